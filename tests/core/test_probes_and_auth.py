"""The probes, sign-in, and that nothing but login and liveness is open to strangers."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from core.markdown import render_markdown

pytestmark = pytest.mark.django_db


def test_liveness_answers_without_sign_in_or_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readiness_checks_the_database(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"


@pytest.mark.parametrize("path", ["/", "/programs/", "/accounts/profile/", "/admin/"])
def test_pages_redirect_strangers_to_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert "/login/" in response["Location"] or "/admin/login/" in response["Location"]


@pytest.mark.parametrize("path", ["/api/v1/programs/", "/api/schema/", "/api/docs/"])
def test_api_refuses_strangers(client, path):
    assert client.get(path).status_code in (401, 403)


def test_sign_in_with_wrong_password_says_so(client, tpm):
    response = client.post(reverse("login"), {"username": tpm.username, "password": "nope"})
    assert response.status_code == 200
    assert "do not match" in response.content.decode()


def test_sign_in_and_out(client, tpm):
    response = client.post(reverse("login"), {"username": tpm.username, "password": "pw"})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    client.post(reverse("logout"))
    assert client.get("/").status_code == 302


def test_tokens_are_named_shown_once_stored_hashed_and_revoked_one_by_one(client, tpm):
    from core.models import ApiToken

    client.force_login(tpm)
    client.post(reverse("token-create"), {"name": "CI deploy job", "lifetime_days": "30"})
    page = client.get(reverse("profile"))
    secret = page.context["new_token"]["secret"]
    assert secret in page.content.decode() and "shown only this once" in page.content.decode()
    again = client.get(reverse("profile")).content.decode()
    assert secret not in again and "CI deploy job" in again  # listed, never shown again
    stored = ApiToken.objects.get(user=tpm)
    assert secret not in (stored.digest, stored.token_key) and stored.token_key == secret[:15]
    assert (stored.expiry - stored.created).days in (29, 30)
    client.post(reverse("token-create"), {"name": "Laptop", "lifetime_days": "7"})
    assert ApiToken.objects.filter(user=tpm).count() == 2  # several per person
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    assert api.get("/api/v1/programs/").status_code == 200
    stored.refresh_from_db()
    assert stored.last_used_at is not None
    client.post(reverse("token-revoke", args=[stored.token_key]))
    assert api.get("/api/v1/programs/").status_code == 401  # revoked: stops at once
    assert ApiToken.objects.filter(user=tpm).count() == 1


def test_a_token_needs_a_name_and_a_lifetime_within_a_year(client, tpm):
    client.force_login(tpm)
    client.post(reverse("token-create"), {"name": " ", "lifetime_days": "30"})
    page = client.get(reverse("profile")).content.decode()
    assert "Name the token" in page
    client.post(reverse("token-create"), {"name": "x", "lifetime_days": "9999"})
    assert "between 1 and 365 days" in client.get(reverse("profile")).content.decode()


def test_an_expired_token_no_longer_works_and_others_cannot_revoke_yours(client, tpm, engineer):
    import datetime

    from django.utils import timezone

    from core.models import ApiToken
    from core.tokens import api_token_create

    token, secret = api_token_create(user=tpm, name="old", lifetime_days=1)
    client.force_login(engineer)
    client.post(reverse("token-revoke", args=[token.token_key]))
    assert ApiToken.objects.filter(pk=token.pk).exists()  # not theirs to revoke
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    assert api.get("/api/v1/programs/").status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(
        expiry=timezone.now() - datetime.timedelta(seconds=1)
    )
    assert api.get("/api/v1/programs/").status_code == 401


def test_token_endpoints_refuse_get(client, tpm):
    client.force_login(tpm)
    assert client.get(reverse("token-create")).status_code == 405


@pytest.mark.parametrize(
    "payload",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "[click](javascript:alert(1))",
        '<a href="javascript:alert(1)">x</a>',
        "<iframe src=//evil></iframe>",
        '<p style="background:url(javascript:alert(1))">x</p>',
        "<svg/onload=alert(1)>",
    ],
)
def test_markdown_is_rendered_inert(payload):
    html = render_markdown(payload).lower()
    assert "<script" not in html
    assert "onerror" not in html and "onload" not in html
    assert "javascript:" not in html
    assert "<iframe" not in html and "<svg" not in html
    assert "style=" not in html


def test_markdown_keeps_formatting_and_safe_links():
    html = render_markdown("**bold** and [docs](https://example.com/x)")
    assert "<strong>bold</strong>" in html
    assert 'href="https://example.com/x"' in html
    assert 'rel="noopener noreferrer nofollow"' in html


def test_readiness_checks_a_live_broker(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/15"
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["broker"] == "ok"


def test_readiness_fails_when_the_broker_is_down(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["broker"] == "unavailable"


def test_production_settings_refuse_an_insecure_secret(monkeypatch):
    import importlib
    import sys

    from django.core.exceptions import ImproperlyConfigured

    monkeypatch.setenv("SECRET_KEY", "dev-only-insecure-key-do-not-use-in-production")
    sys.modules.pop("config.settings.production", None)
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY"):
        importlib.import_module("config.settings.production")
    sys.modules.pop("config.settings.production", None)


def test_tokens_kept_in_clear_before_are_kept_hashed_and_their_table_dropped(tpm):
    """The data migration that moved DRF's plain tokens to hashed ones (core 0002)."""
    import importlib

    from django.apps import apps
    from django.db import connection

    from core.models import ApiToken

    migration = importlib.import_module("core.migrations.0002_api_tokens")
    key = "0123456789abcdef0123456789abcdef01234567"
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, created timestamptz, "
            "user_id integer)"
        )
        cursor.execute("INSERT INTO authtoken_token VALUES (%s, now(), %s)", [key, tpm.pk])
    with connection.schema_editor() as editor:
        migration.hash_plain_tokens(apps, editor)
    assert "authtoken_token" not in connection.introspection.table_names()
    stored = ApiToken.objects.get(user=tpm)
    assert key not in (stored.digest, stored.token_key) and stored.expiry is not None
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/programs/").status_code == 200  # the script keeps working
