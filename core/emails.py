"""E-mails: rendered from templates (plain text and HTML), sent by a Celery task after commit.

``send_on_commit("emails/<name>", context, recipients)`` queues the mail for when the
transaction that caused it commits (a rolled-back write sends nothing). The task renders
``templates/emails/<name>.subject.txt``, ``.txt`` and ``.html`` and sends one message per
recipient list; it retries with backoff when the mail server is down and never fails the
request that caused it. Links in mails are absolute, from ``SITE_URL``.
"""

import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction

logger = logging.getLogger(__name__)


def absolute(path: str) -> str:
    """A path of the app as a link from outside it (an e-mail): SITE_URL in front."""
    return f"{settings.SITE_URL}{path}"


def send_on_commit(template: str, context: dict[str, Any], recipients: Iterable[str]) -> None:
    """Queue a mail to ``recipients`` (blank addresses dropped) for after the commit.

    ``context`` holds plain values (text, numbers): it travels to the worker as the task's
    arguments. When the broker cannot take the task, the mail is sent right away instead.
    """
    to = sorted({address for address in recipients if address})
    if not to:
        return

    def enqueue() -> None:
        from core.tasks import send_email

        try:
            send_email.apply_async(args=[template, context, to], retry=False)
        except Exception:  # the broker is down: send it now rather than lose it
            logger.warning("e-mail %s not queued; sending it inline", template, exc_info=True)
            try:
                send_email.run(template, context, to)
            except Exception:  # a mail outage must not fail the committed write
                logger.exception("e-mail %s to %s could not be sent", template, to)

    transaction.on_commit(enqueue, robust=True)
