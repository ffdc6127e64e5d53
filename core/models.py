"""What every app's models share: timestamps and an optimistic-concurrency version."""

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from knox.models import AbstractAuthToken

if TYPE_CHECKING:
    from core.types import User


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Not fields: a service sets them before save() so that django-simple-history's history row
    # names who made the change and why (it reads them off the instance). Declared here, on the
    # base of every model with history, so the type checker knows them.
    _history_user: "User"
    _change_reason: str

    class Meta:
        abstract = True


class VersionedModel(TimeStampedModel):
    """A row that clients edit concurrently: every write bumps ``version``.

    Services compare the version a client read with the stored one under a row lock
    (``core.services.apply_versioned_update``), so a stale write is refused instead of
    silently overwriting somebody else's change.
    """

    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        abstract = True


# Limits on free text, so one paste cannot fill a page (or the database): a sentence or two
# for reasons and comments, a long document for Markdown briefs, notes and justifications.
SHORT_TEXT = 2_000
LONG_TEXT = 20_000


class BoundedTextField(models.TextField):
    """A TextField with a length limit checked everywhere: by ``full_clean`` (which every
    service calls, so the API answers 400 with the field's message), by model forms, and by
    DRF model serializers (both take ``max_length`` from the field). The column stays ``text``.
    """

    def __init__(self, *args: Any, max_length: int = LONG_TEXT, **kwargs: Any) -> None:
        kwargs["max_length"] = max_length
        super().__init__(*args, **kwargs)
        self.validators.append(MaxLengthValidator(max_length))


class ApiToken(AbstractAuthToken):
    """An API token (django-rest-knox): stored hashed (SHA-512), shown once when made, named by
    its owner, with an expiry; a person may hold several (one per script or CI job) and revoke
    each on the profile page. Only the first characters (``token_key``) are kept in clear, to
    find the row and to tell tokens apart."""

    name = models.CharField(max_length=100, help_text="What uses it, e.g. 'CI deploy job'.")
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.name} ({self.token_key}…) of {self.user}"


class CalendarToken(models.Model):
    """The secret in a person's calendar feed URLs (``reviews.calendar``): a calendar app
    fetches the feed without a session, so the URL itself is the credential. Kept in clear
    because the profile page shows the URL again (like a calendar service's "secret address");
    revoking replaces it, and the old URL answers 404 at once."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_token"
    )
    key = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "calendar token"

    def __str__(self) -> str:
        return f"Calendar URL of {self.user} ({self.key[:6]}…)"
