"""Whether single sign-on is on, and the provider's endpoints (from settings or discovery).

Everything is read from settings at run time, so a test switches single sign-on on with
``override_settings`` alone.
"""

import logging
from dataclasses import dataclass
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)

# An hour: providers change their endpoints rarely, and a restart forgets them anyway.
DISCOVERY_CACHE_SECONDS = 60 * 60


class ProviderUnavailable(Exception):
    """The provider's discovery document could not be read (down, or not a provider)."""


@dataclass(frozen=True)
class Endpoints:
    authorization: str
    token: str
    userinfo: str
    jwks: str
    end_session: str  # empty when the provider offers no RP-initiated logout


def enabled() -> bool:
    """On when a client id and secret are set, and the issuer or each endpoint it needs."""
    if not (settings.OIDC_CLIENT_ID and settings.OIDC_CLIENT_SECRET):
        return False
    return bool(settings.OIDC_ISSUER) or all(
        (
            settings.OIDC_AUTHORIZATION_ENDPOINT,
            settings.OIDC_TOKEN_ENDPOINT,
            settings.OIDC_USERINFO_ENDPOINT,
            settings.OIDC_JWKS_ENDPOINT,
        )
    )


def password_sign_in_allowed() -> bool:
    """Pulse passwords sign in unless single sign-on is on and they were switched off."""
    return not enabled() or settings.OIDC_PASSWORD_SIGN_IN


def provider_name() -> str:
    return settings.OIDC_PROVIDER_NAME


def endpoints() -> Endpoints:
    """The provider's endpoints: each one set in settings wins over the discovery document,
    which is read (and cached) only when some endpoint is missing."""
    explicit = {
        "authorization": settings.OIDC_AUTHORIZATION_ENDPOINT,
        "token": settings.OIDC_TOKEN_ENDPOINT,
        "userinfo": settings.OIDC_USERINFO_ENDPOINT,
        "jwks": settings.OIDC_JWKS_ENDPOINT,
        "end_session": settings.OIDC_END_SESSION_ENDPOINT,
    }
    if all(explicit.values()) or not settings.OIDC_ISSUER:
        return Endpoints(**explicit)
    found = discovery(settings.OIDC_ISSUER)
    return Endpoints(
        **{
            name: value or found.get(f"{name}_endpoint" if name != "jwks" else "jwks_uri", "")
            for name, value in explicit.items()
        }
    )


def discovery(issuer: str) -> dict:
    """The issuer's ``/.well-known/openid-configuration``, checked to name that issuer."""
    key = f"pulse:oidc:discovery:{issuer}"
    document = cache.get(key)
    if document is not None:
        return document
    url = f"{issuer}/.well-known/openid-configuration"
    try:
        response = requests.get(url, timeout=settings.OIDC_TIMEOUT)
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as error:
        logger.warning("OIDC discovery failed at %s: %s", url, error)
        raise ProviderUnavailable(str(error)) from error
    # OpenID Connect Discovery 1.0, section 4.3: the document must name the issuer asked for.
    if not isinstance(document, dict) or document.get("issuer", "").rstrip("/") != issuer:
        logger.warning("OIDC discovery at %s names another issuer", url)
        raise ProviderUnavailable(f"{url} does not describe the issuer {issuer}")
    cache.set(key, document, DISCOVERY_CACHE_SECONDS)
    return document


def logout_url(*, id_token: str, post_logout_redirect_uri: str) -> str:
    """Where the browser goes to end its session at the provider (OpenID Connect RP-Initiated
    Logout 1.0), or "" when the provider offers none or cannot be reached."""
    try:
        end_session = endpoints().end_session
    except ProviderUnavailable:
        return ""
    if not end_session:
        return ""
    query = urlencode(
        {
            "id_token_hint": id_token,
            "post_logout_redirect_uri": post_logout_redirect_uri,
            "client_id": settings.OIDC_CLIENT_ID,
        }
    )
    return f"{end_session}{'&' if '?' in end_session else '?'}{query}"
