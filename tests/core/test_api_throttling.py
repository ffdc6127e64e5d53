"""API throttling: per signed-in user and per address for refused anonymous requests.

Rates come from the settings (``API_THROTTLE_USER``, ``API_THROTTLE_ANON``); these tests set
low ones with ``override_settings`` and use addresses of their own (TEST-NET), so the counts
they leave in the cache never reach another test.
"""

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import override_settings
from rest_framework.test import APIClient

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ME = "/api/v1/me/"


def rates(**changed):
    """Settings with these throttle rates (the others as configured)."""
    framework = settings.REST_FRAMEWORK
    return override_settings(
        REST_FRAMEWORK={
            **framework,
            "DEFAULT_THROTTLE_RATES": {**framework["DEFAULT_THROTTLE_RATES"], **changed},
        }
    )


@pytest.fixture
def address():
    """An address of this test's own; its anonymous count is removed afterwards."""
    addresses = []

    def make(n: int) -> str:
        addresses.append(f"192.0.2.{n}")
        return addresses[-1]

    yield make
    for used in addresses:
        cache.delete(f"throttle_anon_{used}")


def signed_in(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def assert_throttled(response, *, at_most: int) -> None:
    assert response.status_code == 429, response.content
    assert response["Content-Type"].startswith("application/json")
    assert "throttled" in response.json()["detail"].lower()
    assert 0 < int(response["Retry-After"]) <= at_most


def test_a_user_past_their_rate_gets_429_with_retry_after_and_others_are_not_slowed():
    alice, bob = UserFactory(username="alice.busy"), UserFactory(username="bob.calm")
    with rates(user="3/minute"):
        client = signed_in(alice)
        assert [client.get(ME).status_code for _ in range(3)] == [200, 200, 200]
        assert_throttled(client.get(ME), at_most=60)
        assert_throttled(client.post("/api/v1/programs/", {}, format="json"), at_most=60)
        assert signed_in(bob).get(ME).status_code == 200


def test_refused_anonymous_requests_count_per_address_then_answer_429(address):
    """Guessing tokens from one address is slowed down; other addresses and users are not."""
    guesser, neighbour = address(10), address(11)
    user = UserFactory(username="carol.ok")
    with rates(anon="2/minute"):
        client = APIClient(REMOTE_ADDR=guesser)
        client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
        assert [client.get(ME).status_code for _ in range(2)] == [401, 401]
        assert_throttled(client.get(ME), at_most=60)
        assert_throttled(APIClient(REMOTE_ADDR=guesser).get(ME), at_most=60)

        assert APIClient(REMOTE_ADDR=neighbour).get(ME).status_code == 401
        assert signed_in(user).get(ME, REMOTE_ADDR=guesser).status_code == 200


def test_a_rate_can_be_switched_off(address):
    ip = address(12)
    user = UserFactory(username="dave.script")
    with rates(user="off", anon="off"):
        client = signed_in(user)
        assert {client.get(ME).status_code for _ in range(5)} == {200}
        anonymous = APIClient(REMOTE_ADDR=ip)
        assert {anonymous.get(ME).status_code for _ in range(5)} == {401}


@override_settings(
    CACHES={
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
        }
    }
)
def test_throttling_never_fails_a_request_when_its_cache_is_unreachable(address):
    user = UserFactory(username="erin.redisdown")
    with rates(user="3/minute", anon="2/minute"):
        assert {signed_in(user).get(ME).status_code for _ in range(4)} == {200}
        anonymous = APIClient(REMOTE_ADDR=address(13))
        assert {anonymous.get(ME).status_code for _ in range(3)} == {401}


def test_rates_come_from_the_environment_with_defaults():
    """``API_THROTTLE_USER`` / ``API_THROTTLE_ANON`` set the rates; unset, 2000 and 60 an hour."""
    program = (
        "import json; from config.settings import base; "
        "print(json.dumps(base.REST_FRAMEWORK['DEFAULT_THROTTLE_RATES']))"
    )
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("API_THROTTLE_")}

    def rates_with(**env) -> str:
        result = subprocess.run(
            [sys.executable, "-c", program],
            env={**base_env, **env},
            capture_output=True,
            text=True,
            check=True,
            cwd=settings.BASE_DIR,
        )
        return result.stdout.strip()

    assert rates_with() == '{"user": "2000/hour", "anon": "60/hour"}'
    assert (
        rates_with(API_THROTTLE_USER="50/minute", API_THROTTLE_ANON="off")
        == '{"user": "50/minute", "anon": "off"}'
    )
