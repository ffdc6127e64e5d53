"""API tokens: made, listed and revoked by their owner (``core.models.ApiToken``, via
django-rest-knox, which stores only a hash of each token)."""

import datetime

from django.db import transaction
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from knox.settings import knox_settings

from core.errors import DomainError
from core.models import ApiToken
from core.types import User

# How often a token's last use is written (a busy script does not write on every request).
LAST_USED_PRECISION = datetime.timedelta(minutes=5)


class TokenAuthentication(KnoxTokenAuthentication):
    """``Authorization: Token <token>``, checked against the stored hash; notes when a token
    was last used, so its owner can tell a forgotten one."""

    def _cleanup_token(self, auth_token) -> bool:
        """Whether this token has expired (it is then deleted). knox also reads and prunes the
        owner's other tokens on every request; an expired one is refused when used anyway, so
        that extra query is skipped."""
        if auth_token.expiry is not None and auth_token.expiry < timezone.now():
            auth_token.delete()
            return True
        return False

    def validate_user(self, auth_token):
        user, token = super().validate_user(auth_token)
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_PRECISION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return user, token


@transaction.atomic
def api_token_create(*, user: User, name: str, lifetime_days: int) -> tuple[ApiToken, str]:
    """Make a named token that expires in ``lifetime_days``; returns it and its secret, which
    is shown once and never stored (only its hash is)."""
    name = name.strip()
    errors = {}
    if not name:
        errors["name"] = "Name the token after what will use it, e.g. 'CI deploy job'."
    elif len(name) > 100:
        errors["name"] = "Keep the name under 100 characters."
    if not 1 <= lifetime_days <= 365:
        errors["lifetime_days"] = "A token lives between 1 and 365 days."
    limit = knox_settings.TOKEN_LIMIT_PER_USER
    if limit and ApiToken.objects.filter(user=user, expiry__gt=timezone.now()).count() >= limit:
        errors["name"] = f"You already hold {limit} tokens: revoke one you no longer use."
    if errors:
        raise DomainError(errors)
    return ApiToken.objects.create(
        user=user, name=name, expiry=datetime.timedelta(days=lifetime_days)
    )


def api_tokens_of(user: User):
    """The person's tokens that have not expired, newest first."""
    return ApiToken.objects.filter(user=user, expiry__gt=timezone.now()).order_by("-created")


def api_token_revoke(*, user: User, token_key: str) -> bool:
    """Revoke one of the person's own tokens (by its visible prefix): it stops working at
    once. False when there is no such token of theirs."""
    deleted, _ = ApiToken.objects.filter(user=user, token_key=token_key).delete()
    return deleted > 0


class TokenScheme(OpenApiAuthenticationExtension):
    """How the OpenAPI schema describes the token header (drf-spectacular)."""

    target_class = TokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": 'A token from your profile page, prefixed: "Token <token>".',
        }
