"""Authentication backends: whoever comes back from the provider, and a gate on passwords."""

import logging

import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, SuspiciousOperation, ValidationError
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import import_from_settings

from core.sso import provider
from core.sso.claims import roles_from_claims, username_from_claims
from core.sso.services import sso_user_sync

logger = logging.getLogger(__name__)

# The library's setting names for what Pulse's OIDC_* settings hold.
LIBRARY_SETTINGS = {
    "OIDC_RP_CLIENT_ID": "OIDC_CLIENT_ID",
    "OIDC_RP_CLIENT_SECRET": "OIDC_CLIENT_SECRET",
    "OIDC_RP_SCOPES": "OIDC_SCOPES",
    "OIDC_RP_SIGN_ALGO": "OIDC_SIGN_ALGO",
}


def library_setting(name: str, *default):
    """A setting mozilla-django-oidc asks for, read from Pulse's name for it."""
    return import_from_settings(LIBRARY_SETTINGS.get(name, name), *default)


class PasswordSignInGate:
    """Refuses every password while single sign-on is on and ``OIDC_PASSWORD_SIGN_IN`` is off
    (the login page, Django admin's and any other), before ``ModelBackend`` checks it.

    Only ``authenticate``: no ``get_user`` (Django would take it for a backend that keeps
    sessions) and no permissions.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if password is not None and not provider.password_sign_in_allowed():
            raise PermissionDenied("Password sign-in is switched off: use single sign-on.")
        return None


class OIDCBackend(OIDCAuthenticationBackend):
    """mozilla-django-oidc's code flow, with the endpoints found at sign-in (settings or
    discovery), people matched by username and their roles taken from the groups claim."""

    get_settings = staticmethod(library_setting)

    def __init__(self, *args, **kwargs):
        # Django makes every backend for every sign-in, passwords included: read nothing from
        # the provider until one comes back from it (authenticate).
        self.UserModel = get_user_model()

    def authenticate(self, request, **kwargs):
        if request is None or "code" not in request.GET or not provider.enabled():
            return None
        try:
            endpoints = provider.endpoints()
        except provider.ProviderUnavailable:
            return None
        self.OIDC_OP_TOKEN_ENDPOINT = endpoints.token
        self.OIDC_OP_USER_ENDPOINT = endpoints.userinfo
        self.OIDC_OP_JWKS_ENDPOINT = endpoints.jwks
        self.OIDC_RP_CLIENT_ID = settings.OIDC_CLIENT_ID
        self.OIDC_RP_CLIENT_SECRET = settings.OIDC_CLIENT_SECRET
        self.OIDC_RP_SIGN_ALGO = settings.OIDC_SIGN_ALGO
        self.OIDC_RP_IDP_SIGN_KEY = None
        try:
            return super().authenticate(request, **kwargs)
        except requests.RequestException as error:
            logger.warning("OIDC sign-in failed talking to the provider: %s", error)
            return None

    def get_userinfo(self, access_token, id_token, payload):
        """The ID token's claims, with the userinfo endpoint's over them: Entra ID puts the
        groups in the ID token only, most providers in both."""
        userinfo = super().get_userinfo(access_token, id_token, payload)
        if userinfo.get("sub") != payload.get("sub"):
            # OpenID Connect Core 1.0, 5.3.2: the answer is not about the person signing in.
            raise SuspiciousOperation("userinfo is about another subject than the ID token")
        return {**payload, **userinfo}

    def roles(self, claims) -> frozenset[str]:
        return roles_from_claims(
            claims,
            groups_claim=settings.OIDC_GROUPS_CLAIM,
            role_map=settings.OIDC_ROLE_MAP,
            default_role=settings.OIDC_DEFAULT_ROLE,
        )

    def verify_claims(self, claims) -> bool:
        """A username to give the person, and at least one role."""
        if not username_from_claims(claims):
            logger.warning("OIDC sign-in refused: no usable preferred_username or email")
            return False
        if not self.roles(claims):
            logger.warning(
                "OIDC sign-in refused for %s: no group maps to a role", username_from_claims(claims)
            )
            return False
        return True

    def filter_users_by_claims(self, claims):
        """The account of the same username (an admin may make it before the first sign-in).
        A superuser keeps signing in with its password only: a provider account of that name
        does not take it over. One query: the library only counts and indexes the answer."""
        username = username_from_claims(claims)
        users = list(self.UserModel.objects.filter(username__iexact=username))
        if any(user.is_superuser for user in users):
            raise SuspiciousOperation(f"{username} is a superuser: password sign-in only")
        return users

    def create_user(self, claims):
        return self._sync(None, claims)

    def update_user(self, user, claims):
        return self._sync(user, claims)

    def _sync(self, user, claims):
        try:
            return sso_user_sync(
                user=user,
                username=username_from_claims(claims),
                claims=claims,
                roles=self.roles(claims),
            )
        except ValidationError as error:
            raise SuspiciousOperation(
                f"the provider's claims make no valid user: {error}"
            ) from error
