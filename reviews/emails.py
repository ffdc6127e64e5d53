"""E-mails of the review workflows, sent when the transaction that caused them commits.

A rolled-back write sends nothing; a mail server that is down does not undo the write.
"""

import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction

logger = logging.getLogger(__name__)


def _absolute(path: str) -> str:
    return f"{getattr(settings, 'PULSE_BASE_URL', '').rstrip('/')}{path}"


def send_on_commit(*, subject: str, body: str, recipients: Iterable[str]) -> None:
    """Queue one e-mail to ``recipients`` (blank addresses dropped) for after the commit."""
    to = sorted({address for address in recipients if address})
    if not to:
        return

    def send() -> None:
        try:
            send_mail(subject, body, None, to)
        except Exception:  # noqa: BLE001 - a mail outage must not fail the committed write
            logger.exception("reviews: could not send %r to %s", subject, to)

    transaction.on_commit(send)


def review_submitted(review, reviewers) -> None:
    """Tell each reviewer of the review's areas that it waits for them."""
    send_on_commit(
        subject=f"[Pulse] Launch review waiting: {review.title} ({review.program.name})",
        body=(
            f"{review.author.get_full_name() or review.author.username} submitted the launch "
            f"review “{review.title}” of {review.program.name}, launching "
            f"{review.launch_date:%-d %b %Y}.\n\n"
            f"Review your areas: {_absolute(review.get_absolute_url())}\n"
        ),
        recipients=[user.email for user in reviewers],
    )


def review_decided(review, *, what: str, who, comment: str = "") -> None:
    """Tell the author about a decision on their review."""
    name = who.get_full_name() or who.username if who else "Pulse"
    send_on_commit(
        subject=f"[Pulse] {review.title}: {what}",
        body=(
            f"{name}: {what}.\n"
            + (f"\n{comment}\n" if comment else "")
            + f"\nThe review: {_absolute(review.get_absolute_url())}\n"
        ),
        recipients=[review.author.email],
    )


def capacity_decided(request) -> None:
    """Tell the requester what was decided on their capacity request."""
    send_on_commit(
        subject=f"[Pulse] Capacity request {request.get_state_display().lower()}: "
        f"{request.amount} {request.unit} for {request.team.name}",
        body=(
            f"Your request for {request.amount} {request.unit} ({request.environment}, "
            f"{request.region}) is {request.get_state_display().lower()}"
            + (
                f": {request.approved_amount} {request.unit} approved"
                if request.approved_amount
                else ""
            )
            + f".\n\n{request.decision_note}\n\n{_absolute(request.get_absolute_url())}\n"
        ),
        recipients=[request.requester.email],
    )
