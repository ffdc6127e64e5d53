"""E-mails of capacity requests: what each says is in ``templates/emails/``; they are sent
by a Celery task once the transaction that caused them commits (``core.emails``).

A rolled-back write sends nothing; a mail server that is down does not undo the write.
"""

from core.emails import absolute, send_on_commit
from core.formatting import format_quantity


def capacity_decided(request) -> None:
    """Tell the requester what was decided on their capacity request."""
    send_on_commit(
        "emails/capacity_decided",
        {
            "state": request.get_state_display().lower(),
            "amount": format_quantity(request.amount, request.unit),
            "approved": (
                format_quantity(request.approved_amount, request.unit)
                if request.approved_amount
                else ""
            ),
            "team": request.team.name,
            "environment": request.environment,
            "region": request.region,
            "note": request.decision_note,
            "url": absolute(request.get_absolute_url()),
        },
        [request.requester.email],
    )
