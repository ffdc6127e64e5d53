"""Write helpers every app's services share."""

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import models

from core.errors import StaleWriteError
from core.models import VersionedModel


def apply_versioned_update[M: VersionedModel](
    *,
    instance: M,
    expected_version: int | None,
    data: Mapping[str, Any],
    user: Any = None,
    change_reason: str | None = None,
    m2m: Mapping[str, Iterable[models.Model]] | None = None,
) -> M:
    """Apply ``data`` to ``instance`` if nobody changed it since ``expected_version``.

    Must run inside ``transaction.atomic``. The row is locked (``SELECT ... FOR UPDATE``) so
    two writers holding the same version cannot both pass the check. ``expected_version``
    None means the caller holds the lock for another reason (an internal write).
    """
    locked = type(instance).objects.select_for_update().get(pk=instance.pk)
    if expected_version is not None and locked.version != expected_version:
        raise StaleWriteError(current_version=locked.version, submitted_version=expected_version)
    for field, value in data.items():
        setattr(locked, field, value)
    locked.version = locked.version + 1
    locked.full_clean()
    if user is not None:
        locked._history_user = user
    if change_reason:
        locked._change_reason = change_reason
    locked.save()
    for field, values in (m2m or {}).items():
        getattr(locked, field).set(values)
    return locked
