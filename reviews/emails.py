"""E-mails of the review workflows: what each says is in ``templates/emails/``; they are sent
by a Celery task once the transaction that caused them commits (``core.emails``).

A rolled-back write sends nothing; a mail server that is down does not undo the write.
"""

from core.emails import absolute, send_on_commit
from core.formatting import format_quantity


def _name(user) -> str:
    return (user.get_full_name() or user.username) if user else "Pulse"


def review_submitted(review, reviewers) -> None:
    """Tell each reviewer of the review's areas that it waits for them."""
    send_on_commit(
        "emails/review_submitted",
        {
            "author": _name(review.author),
            "title": review.title,
            "program": review.program.name,
            "launch_date": f"{review.launch_date.day} {review.launch_date:%b %Y}",
            "url": absolute(review.get_absolute_url()),
        },
        [user.email for user in reviewers],
    )


def review_decided(review, *, what: str, who, comment: str = "") -> None:
    """Tell the author about a decision on their review."""
    send_on_commit(
        "emails/review_decided",
        {
            "who": _name(who),
            "what": what,
            "comment": comment,
            "title": review.title,
            "url": absolute(review.get_absolute_url()),
        },
        [review.author.email],
    )


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
