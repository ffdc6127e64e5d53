"""Domain signals that tell the apps above that a program changed (metrics recomputes health).

Sent from services on transaction commit, so listeners never see uncommitted rows and a
rolled-back write triggers nothing. ``programs`` imports no app above it.
"""

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import transaction
from django.dispatch import Signal

# Sent with ``program_ids``: a frozenset of the programs whose health inputs changed.
program_changed = Signal()


_unannounced = contextvars.ContextVar("program_changes_unannounced", default=False)


@contextmanager
def program_changes_unannounced() -> Iterator[None]:
    """Writes inside do not announce themselves: for bulk writers (the demo seeder) that
    recompute health once for everything afterwards, instead of once per write."""
    token = _unannounced.set(True)
    try:
        yield
    finally:
        _unannounced.reset(token)


def changes_unannounced() -> bool:
    """Whether writes are being made unannounced (inside ``program_changes_unannounced``)."""
    return _unannounced.get()


def notify_program_changed(*program_ids: int) -> None:
    """Tell the apps above, once the write commits. Robust: a listener that fails is logged and
    never turns a saved change into an error (the row is already committed)."""
    if _unannounced.get():
        return
    ids = frozenset(program_ids)
    transaction.on_commit(lambda: program_changed.send(sender=None, program_ids=ids), robust=True)
