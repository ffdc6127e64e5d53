"""E-mails of launch reviews: what each says is in ``templates/emails/``; they are sent
by a Celery task once the transaction that caused them commits (``core.emails``).

A rolled-back write sends nothing; a mail server that is down does not undo the write.
"""

from core.emails import absolute, send_on_commit


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
