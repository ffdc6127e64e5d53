"""Write helpers every app's services share."""

import enum
from collections.abc import Iterable, Mapping
from typing import Any, Final, Literal

from django.db import models

from core.errors import StaleWriteError
from core.models import VersionedModel


class Unset(enum.Enum):
    """The value of an update argument the caller left out.

    None cannot mean "not given": clearing a sponsor or an owner is a change to None. An update
    service defaults every optional field to ``UNSET`` and writes only those it was given.
    """

    UNSET = "unset"

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = Unset.UNSET

type Maybe[T] = T | Literal[Unset.UNSET]
"""An update argument: a new value, or ``UNSET`` to leave the field as it is."""


def given(**arguments: object) -> dict[str, Any]:
    """The update arguments the caller gave (those not ``UNSET``), by field name.

    An update service passes its optional field arguments here and hands the result to
    ``apply_versioned_update``: a PATCH that names two fields changes only those two.
    """
    return {name: value for name, value in arguments.items() if value is not UNSET}


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
    locked = type(instance)._default_manager.select_for_update().get(pk=instance.pk)
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
