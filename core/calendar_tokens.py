"""The secret of a person's calendar feeds (``core.models.CalendarToken``): made, read and
replaced by its owner on the profile page. The feeds themselves are ``reviews.calendar``."""

import secrets

from django.db import transaction

from core.models import CalendarToken
from core.types import User

# 32 random bytes, URL-safe: 43 characters that cannot be guessed.
TOKEN_BYTES = 32


def calendar_token_of(user: User) -> CalendarToken | None:
    """The person's calendar token, if they made one."""
    return CalendarToken.objects.filter(user=user).first()


def calendar_feed_owner(key: str) -> User | None:
    """Whose feeds the secret ``key`` opens: an active person's, or nobody's (unknown or
    revoked secret, inactive owner)."""
    token = (
        CalendarToken.objects.select_related("user").filter(key=key, user__is_active=True).first()
    )
    return token.user if token else None


@transaction.atomic
def calendar_token_renew(*, user: User) -> CalendarToken:
    """Make the person's calendar token, replacing (revoking) the one they had: every URL
    holding the old secret answers 404 from now on."""
    CalendarToken.objects.filter(user=user).delete()
    return CalendarToken.objects.create(user=user, key=secrets.token_urlsafe(TOKEN_BYTES))
