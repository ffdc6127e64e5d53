"""Domain signals that tell the apps above that a review workflow decided something.

Sent on transaction commit (a rolled-back decision announces nothing), with plain facts:
``metrics.integrations`` pushes them to Slack channels and webhooks. ``reviews`` imports no
app above it; the listeners connect in their ``AppConfig.ready``.
"""

from typing import Any

from django.db import transaction
from django.dispatch import Signal

from programs.signals import changes_unannounced

# review_id, program_id, decision ("approved" / "changes_requested"), decided_by_id, comment
launch_review_decided = Signal()
# request_id, program_id, decision (the new state: "approved", "partially_approved",
# "denied"), decided_by_id (None when approved automatically), auto_approved
capacity_request_decided = Signal()


def announce(signal: Signal, **facts: Any) -> None:
    """Send ``signal`` with ``facts`` once the write commits. Robust: a listener that fails is
    logged and never turns the committed decision into an error."""
    if changes_unannounced():  # the demo seeder's bulk writes
        return
    transaction.on_commit(lambda: signal.send(sender=None, **facts), robust=True)
