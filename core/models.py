"""What every app's models share: timestamps and an optimistic-concurrency version."""

from django.db import models


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

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
