"""Sign-in throttling (django-axes) and session lifetime (idle and absolute limits)."""

import datetime
import time

import pytest
from axes.models import AccessAttempt
from axes.utils import reset
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def sign_in(client, username, password, ip="10.1.2.3"):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def test_an_account_is_locked_after_five_failures_even_with_the_right_password(client, tpm):
    for _ in range(4):
        assert sign_in(client, tpm.username, "wrong").status_code == 200  # the form, an error
    locked = sign_in(client, tpm.username, "wrong")
    assert locked.status_code == 429
    assert b"Sign-in paused" in locked.content and b"15 minutes" in locked.content
    # The real password no longer opens the account, from any address, until the cool-off.
    assert sign_in(client, tpm.username, "pw", ip="10.9.9.9").status_code == 429
    assert "_auth_user_id" not in client.session
    reset(username=tpm.username)  # an admin unlocks it (admin, or `manage.py axes_reset`)
    assert sign_in(client, tpm.username, "pw").status_code == 302
    assert client.session["_auth_user_id"] == str(tpm.pk)


def test_an_address_is_locked_after_five_failures_across_accounts(client, db):
    people = [UserFactory() for _ in range(6)]
    for person in people[:5]:
        sign_in(client, person.username, "wrong", ip="10.4.4.4")
    assert sign_in(client, people[5].username, "pw", ip="10.4.4.4").status_code == 429
    assert sign_in(client, people[5].username, "pw", ip="10.5.5.5").status_code == 302


def test_the_lockout_ends_after_the_cool_off(client, tpm, settings):
    for _ in range(5):
        sign_in(client, tpm.username, "wrong")
    assert sign_in(client, tpm.username, "pw").status_code == 429
    # Fifteen minutes later (the attempts are dated back rather than the test waiting).
    AccessAttempt.objects.update(
        attempt_time=datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=16)
    )
    assert sign_in(client, tpm.username, "pw").status_code == 302


def test_a_success_clears_earlier_failures(client, tpm):
    for _ in range(4):
        sign_in(client, tpm.username, "wrong")
    assert sign_in(client, tpm.username, "pw").status_code == 302
    client.logout()
    for _ in range(4):
        assert sign_in(client, tpm.username, "wrong").status_code == 200  # not locked yet


def age_session(client, *, signed_in_ago: int, seen_ago: int) -> None:
    session = client.session
    now = int(time.time())
    session["pulse_signed_in_at"] = now - signed_in_ago
    session["pulse_seen_at"] = now - seen_ago
    session.save()


def test_a_session_idle_for_30_minutes_ends(client, tpm):
    client.force_login(tpm)
    assert client.get(reverse("home")).status_code == 200
    age_session(client, signed_in_ago=29 * 60, seen_ago=29 * 60)
    assert client.get(reverse("home")).status_code == 200  # 29 minutes: still signed in
    age_session(client, signed_in_ago=31 * 60, seen_ago=31 * 60)
    response = client.get(reverse("home"))
    assert response.status_code == 302 and reverse("login") in response["Location"]
    assert "_auth_user_id" not in client.session


def test_a_busy_session_still_ends_after_12_hours(client, tpm):
    client.force_login(tpm)
    client.get(reverse("home"))
    age_session(client, signed_in_ago=12 * 3600 - 60, seen_ago=10)
    assert client.get(reverse("home")).status_code == 200
    age_session(client, signed_in_ago=12 * 3600 + 60, seen_ago=10)
    assert client.get(reverse("home")).status_code == 302
    # The API, on a session, finds itself signed out too.
    client.force_login(tpm)
    age_session(client, signed_in_ago=60, seen_ago=31 * 60)
    assert client.get("/api/v1/programs/").status_code in (401, 403)


def test_the_limits_come_from_settings(client, tpm, settings):
    settings.SESSION_IDLE_TIMEOUT = datetime.timedelta(minutes=5)
    client.force_login(tpm)
    client.get(reverse("home"))
    age_session(client, signed_in_ago=6 * 60, seen_ago=6 * 60)
    assert client.get(reverse("home")).status_code == 302
