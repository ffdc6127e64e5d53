"""Single sign-on's settings, pages and accounts, without a browser: off by default, what the
login page offers, passwords switched off, the round trip's first step, sign-out's redirect to
the provider, accounts and roles from claims, discovery against the real provider."""

import json
import os
import subprocess
import sys
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.models import Group
from django.core.exceptions import SuspiciousOperation
from django.urls import reverse

from core.roles import Role
from core.sso import provider
from core.sso.backends import OIDCBackend
from core.sso.checks import check_sso_settings
from core.sso.services import sso_user_sync
from tests.factories import UserFactory
from tests.sso.conftest import ROLE_MAP, ROOT, start_provider, stop_provider, switch_on

pytestmark = pytest.mark.django_db

IDP = "https://id.example.test"
ENDPOINTS = {
    "OIDC_AUTHORIZATION_ENDPOINT": f"{IDP}/authorize",
    "OIDC_TOKEN_ENDPOINT": f"{IDP}/token",
    "OIDC_USERINFO_ENDPOINT": f"{IDP}/userinfo",
    "OIDC_JWKS_ENDPOINT": f"{IDP}/jwks",
    "OIDC_END_SESSION_ENDPOINT": f"{IDP}/logout",
}


@pytest.fixture
def sso_on(settings):
    """Single sign-on on, each endpoint given (nothing to discover, no network)."""
    switch_on(settings, "", **ENDPOINTS)
    return settings


def claims(**extra):
    return {
        "sub": "abc-123",
        "preferred_username": "pat.sso",
        "email": "pat@example.test",
        "given_name": "Pat",
        "family_name": "Provider",
        "groups": ["pulse-tpm"],
        **extra,
    }


# --- Off by default ---------------------------------------------------------------------------


def test_off_by_default_nothing_changes(client):
    assert not provider.enabled()
    page = client.get(reverse("login"))
    assert b"Sign in with" not in page.content and b'name="password"' in page.content
    # The round trip's views answer 404 (signed out: they are the only views exempted).
    assert client.get(reverse("oidc_authentication_init")).status_code == 404
    assert (
        client.get(reverse("oidc_authentication_callback"), {"code": "x", "state": "y"}).status_code
        == 404
    )


def test_half_a_configuration_stays_off_and_check_says_so(settings):
    settings.OIDC_CLIENT_ID = "pulse"
    assert not provider.enabled()
    assert [problem.id for problem in check_sso_settings()] == ["pulse.W201"]


def test_check_refuses_a_role_map_to_no_role(sso_on):
    sso_on.OIDC_ROLE_MAP = {**ROLE_MAP, "pulse-bosses": "Boss"}
    assert [problem.id for problem in check_sso_settings()] == ["pulse.E201"]


def test_settings_come_from_the_environment():
    """config/settings read OIDC_* from the environment, and let the sign-out form reach the
    provider (form-action)."""
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "OIDC_ISSUER": "https://id.example.test/realms/acme/",
        "OIDC_CLIENT_ID": "pulse",
        "OIDC_CLIENT_SECRET": "s3cret",
        "OIDC_ROLE_MAP": "pulse-tpm=TPM,pulse-leaders=Leadership",
        "OIDC_PASSWORD_SIGN_IN": "false",
    }
    script = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "from core.sso import provider; "
        "print(json.dumps([s.OIDC_ISSUER, s.OIDC_ROLE_MAP, s.SECURE_CSP['form-action'], "
        "provider.enabled(), provider.password_sign_in_allowed()]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    issuer, role_map, form_action, enabled, passwords = json.loads(
        out.stdout.strip().splitlines()[-1]
    )
    assert issuer == "https://id.example.test/realms/acme"
    assert role_map == {"pulse-tpm": "TPM", "pulse-leaders": "Leadership"}
    assert form_action == ["'self'", "https://id.example.test"]
    assert (enabled, passwords) == (True, False)


# --- The login page, passwords, the first step --------------------------------------------------


def test_the_login_page_offers_the_provider_and_passwords(client, sso_on, count_queries, settings):
    page = client.get(reverse("login"), {"next": "/programs/"})
    assert b"Sign in with Test ID" in page.content
    assert b"/accounts/oidc/authenticate/?next=/programs/" in page.content
    assert b'name="password"' in page.content
    with_sso = count_queries(client, reverse("login"))
    settings.OIDC_CLIENT_ID = ""
    assert count_queries(client, reverse("login")) == with_sso  # no query more for it


def test_passwords_switched_off_are_refused_everywhere(client, sso_on, tpm, admin_user, rf):
    sso_on.OIDC_PASSWORD_SIGN_IN = False
    page = client.get(reverse("login"))
    assert b"Sign in with Test ID" in page.content and b'name="password"' not in page.content
    refused = client.post(
        reverse("login"), {"username": tpm.username, "password": "pw"}, follow=True
    )
    assert "_auth_user_id" not in client.session
    assert b"Sign in with Test ID." in refused.content  # the message says how
    assert authenticate(rf.post("/"), username=tpm.username, password="pw") is None
    client.post("/admin/login/", {"username": admin_user.username, "password": "pw"})
    assert "_auth_user_id" not in client.session  # Django admin's own login page too
    # Switched on again, the same passwords sign in.
    sso_on.OIDC_PASSWORD_SIGN_IN = True
    assert authenticate(rf.post("/"), username=tpm.username, password="pw") == tpm
    client.post("/admin/login/", {"username": admin_user.username, "password": "pw"})
    assert client.session["_auth_user_id"] == str(admin_user.pk)


def test_sign_in_with_goes_to_the_provider_with_state_nonce_and_pkce(client, sso_on):
    answer = client.get(reverse("oidc_authentication_init"), {"next": "/programs/"})
    assert answer.status_code == 302
    url = urlsplit(answer["Location"])
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{IDP}/authorize"
    query = {name: values[0] for name, values in parse_qs(url.query).items()}
    assert query["client_id"] == "pulse" and query["response_type"] == "code"
    assert query["scope"] == "openid email profile groups"
    assert query["redirect_uri"] == "http://testserver/accounts/oidc/callback/"
    assert query["code_challenge_method"] == "S256" and query["nonce"]
    assert query["state"] in client.session["oidc_states"]
    assert client.session["oidc_login_next"] == "/programs/"


def test_only_the_round_trip_is_open_signed_out(client, sso_on):
    assert client.get(reverse("oidc_authentication_init")).status_code == 302  # to the provider
    callback = client.get(reverse("oidc_authentication_callback"))  # nothing to sign in with
    assert callback["Location"] == reverse("login")
    assert client.get(reverse("profile"))["Location"].startswith(reverse("login"))


def test_a_bad_callback_goes_back_to_the_login_page_with_a_message(client, sso_on):
    client.get(reverse("oidc_authentication_init"))
    back = client.get(
        reverse("oidc_authentication_callback"), {"error": "access_denied"}, follow=True
    )
    assert back.redirect_chain[-1][0] == reverse("login")
    assert b"Signing in with Test ID did not work" in back.content


# --- Signing out --------------------------------------------------------------------------------


def test_sign_out_after_single_sign_on_ends_the_providers_session(client, sso_on, tpm):
    client.force_login(tpm)
    session = client.session
    session["oidc_id_token"] = "the.id.token"
    session.save()
    answer = client.post(reverse("logout"))
    url = urlsplit(answer["Location"])
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{IDP}/logout"
    assert parse_qs(url.query) == {
        "id_token_hint": ["the.id.token"],
        "post_logout_redirect_uri": ["http://testserver/accounts/login/"],
        "client_id": ["pulse"],
    }
    assert "_auth_user_id" not in client.session


def test_sign_out_after_a_password_stays_in_pulse(client, sso_on, tpm):
    client.force_login(tpm)
    assert client.post(reverse("logout"))["Location"] == reverse("login")


# --- Accounts and roles from claims -------------------------------------------------------------


def role_set(user):
    return set(user.groups.values_list("name", flat=True))


def test_a_first_sign_in_creates_the_account_with_its_roles(sso_on):
    user = sso_user_sync(user=None, username="pat.sso", claims=claims(), roles=frozenset({"TPM"}))
    user.refresh_from_db()
    assert (user.username, user.email, user.first_name, user.last_name) == (
        "pat.sso", "pat@example.test", "Pat", "Provider",
    )  # fmt: skip
    assert not user.has_usable_password() and not user.is_staff and not user.is_superuser
    assert role_set(user) == {Role.TPM}


def test_each_sign_in_sets_the_roles_again_and_leaves_other_groups(sso_on):
    user = UserFactory(username="pat.sso", roles=[Role.TPM, Role.ENGINEER, "Book club"])
    user = sso_user_sync(
        user=user, username="pat.sso", claims=claims(), roles=frozenset({Role.LEADERSHIP})
    )
    assert role_set(user) == {Role.LEADERSHIP, "Book club"}
    assert user.check_password("pw")  # a local password made by an admin is kept
    user = sso_user_sync(
        user=user, username="pat.sso", claims=claims(), roles=frozenset({Role.ADMIN})
    )
    assert role_set(user) == {Role.ADMIN, "Book club"} and user.is_staff


def test_the_backend_matches_by_username_and_never_takes_over_a_superuser(sso_on):
    backend = OIDCBackend()
    local = UserFactory(username="Pat.SSO")
    assert list(backend.filter_users_by_claims(claims())) == [local]
    UserFactory(username="root", is_superuser=True)
    with pytest.raises(SuspiciousOperation):
        backend.filter_users_by_claims(claims(preferred_username="root"))
    assert backend.verify_claims(claims())
    assert not backend.verify_claims(claims(groups=["everyone"]))  # no role: refused
    sso_on.OIDC_DEFAULT_ROLE = "Engineer"
    assert backend.roles(claims(groups=["everyone"])) == {"Engineer"}


def test_syncing_costs_the_same_queries_whatever_the_data(sso_on, same_queries_at_two_sizes):
    user = sso_user_sync(user=None, username="pat.sso", claims=claims(), roles=frozenset({"TPM"}))

    def grow():
        for index in range(20):
            UserFactory(roles=[Role.TPM, Role.ENGINEER])
            Group.objects.create(name=f"Team {index}")

    same_queries_at_two_sizes(
        None,
        {
            "sign-in": lambda: sso_user_sync(
                user=user, username="pat.sso", claims=claims(), roles=frozenset({"TPM"})
            )
        },
        grow=grow,
    )


# --- Discovery against the real provider --------------------------------------------------------


@pytest.fixture
def real_provider():
    running = start_provider("http://localhost:8000")
    yield running
    stop_provider(running.process)


def test_endpoints_come_from_the_issuers_discovery_document(settings, real_provider):
    switch_on(settings, real_provider.issuer)
    found = provider.endpoints()
    issuer = real_provider.issuer
    assert (found.authorization, found.token, found.jwks, found.end_session) == (
        f"{issuer}/auth", f"{issuer}/token", f"{issuer}/jwks", f"{issuer}/session/end",
    )  # fmt: skip
    settings.OIDC_END_SESSION_ENDPOINT = "https://elsewhere.test/logout"  # a setting wins
    assert provider.endpoints().end_session == "https://elsewhere.test/logout"


def test_a_document_for_another_issuer_or_none_is_refused(settings, real_provider, client):
    # The same server under another name: its document names 127.0.0.1, not localhost.
    switch_on(settings, real_provider.issuer.replace("127.0.0.1", "localhost"))
    with pytest.raises(provider.ProviderUnavailable):
        provider.endpoints()
    switch_on(settings, "http://127.0.0.1:9")  # nothing listens there
    back = client.get(reverse("oidc_authentication_init"), follow=True)
    assert back.redirect_chain[-1][0] == reverse("login")
    assert b"Test ID cannot be reached" in back.content
