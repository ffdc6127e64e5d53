"""The probes, sign-in, and that nothing but login and liveness is open to strangers."""

import pytest
from django.urls import reverse

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


def test_token_is_created_replaced_and_revoked_from_the_profile(client, tpm):
    from rest_framework.authtoken.models import Token

    client.force_login(tpm)
    client.post(reverse("token-create"))
    first = Token.objects.get(user=tpm).key
    client.post(reverse("token-create"))
    second = Token.objects.get(user=tpm).key
    assert first != second
    client.post(reverse("token-revoke"))
    assert not Token.objects.filter(user=tpm).exists()


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
