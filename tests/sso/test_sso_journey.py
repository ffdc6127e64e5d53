"""Single sign-on end to end in a browser, against a real OpenID Connect provider (npm's
oidc-provider, started on a local port): sign in with it, land in Pulse with the role its groups
give, sign out of both, and signing in again asks for the password again."""

import os
import re

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

from core.roles import Role
from tests.sso.conftest import LEE, PROVIDER_NAME, ROOT, TINA

RESULTS = ROOT / "test-results"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def sign_in_at_provider(page: Page, username: str, password: str) -> None:
    expect(page.get_by_role("heading", name="Sign in to the test provider")).to_be_visible()
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Continue").click()


def test_sign_in_with_the_provider_then_sign_out_of_both(
    page: Page, live_server, oidc_provider, console_errors
):
    base = live_server.url
    page.goto(f"{base}/programs/")  # signed out: the login page, coming back here after
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))
    shots = ROOT / "docs" / "screenshots" if os.environ.get("UPDATE_SCREENSHOTS") else RESULTS
    shots.mkdir(parents=True, exist_ok=True)
    page.locator(".auth-card").screenshot(path=shots / "sso-login.png")
    page.get_by_role("link", name=f"Sign in with {PROVIDER_NAME}").click()

    # At the provider: a wrong password is refused there, the right one brings us back.
    expect(page).to_have_url(re.compile(rf"^{re.escape(oidc_provider.issuer)}/interaction/"))
    sign_in_at_provider(page, TINA[0], "not the password")
    expect(page.get_by_role("alert")).to_have_text("Wrong username or password.")
    sign_in_at_provider(page, *TINA)

    # Signed in to Pulse where the journey started, as a TPM (the groups claim's pulse-tpm).
    expect(page).to_have_url(f"{base}/programs/")
    expect(page.locator(".nav-profile-name")).to_have_text("Tina Provider")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Home").click()
    expect(page.get_by_role("heading", name="Hello, Tina")).to_be_visible()
    bar = page.locator(".nav-links > li > a")
    expect(bar.nth(0)).to_have_text("Home")  # a TPM's order: Home, Programs, Ops review ...
    expect(bar.nth(2)).to_have_text("Ops review")
    user = get_user_model().objects.get(username=TINA[0])
    assert set(user.groups.values_list("name", flat=True)) == {Role.TPM}
    assert (user.email, user.has_usable_password()) == ("tina.sso@example.test", False)

    # Signing out ends the provider's session too (it asks, then sends us back to Pulse).
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(oidc_provider.issuer)}/session/end"))
    page.get_by_role("button", name="Yes, sign me out").click()
    expect(page).to_have_url(f"{base}/accounts/login/")
    page.goto(f"{base}/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))

    # Signing in again: the provider asks for the password again (no session left there).
    page.get_by_role("link", name=f"Sign in with {PROVIDER_NAME}").click()
    sign_in_at_provider(page, *TINA)
    expect(page.get_by_role("heading", name="Hello, Tina")).to_be_visible()
    assert console_errors == [], console_errors


def test_groups_only_in_the_id_token_give_the_role_too(page: Page, live_server, oidc_provider):
    """Lee's groups come in the ID token only (as Entra ID sends them): Leadership, whose home
    is the portfolio dashboard."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("link", name=f"Sign in with {PROVIDER_NAME}").click()
    sign_in_at_provider(page, *LEE)
    expect(page).to_have_url(f"{live_server.url}/dashboard/")
    user = get_user_model().objects.get(username=LEE[0])
    assert set(user.groups.values_list("name", flat=True)) == {Role.LEADERSHIP}
