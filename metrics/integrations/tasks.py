"""Celery tasks of Slack and webhooks. Thin: ids in, ``services`` does the work.

Safe to run twice: a delivery is claimed before it is sent, so a duplicate task finds it
claimed (or done) and does nothing.
"""

from typing import Any

from celery import shared_task

from metrics.integrations import services


@shared_task(bind=True, autoretry_for=(Exception,), retry_backoff=5, max_retries=5)
def deliveries_create(self, event: dict[str, Any]) -> int:
    """Fan an event out: one logged delivery per destination that wants it, each queued."""
    return len(services.deliveries_create(event=event))


# Retries are counted by the delivery itself (WEBHOOK_MAX_ATTEMPTS), not by Celery.
@shared_task(bind=True, max_retries=None)
def delivery_attempt(self, delivery_id: int) -> str | None:
    """Send one delivery; after a failure Celery runs this again after the backoff."""
    attempted = services.delivery_attempt(delivery_id=delivery_id)
    if attempted is None:
        return None
    if attempted.retry_in is None:
        return attempted.status
    if self.request.is_eager:
        # Eager Celery (no broker: development, the tests) waits for no countdown: a retry
        # already due runs now; a later one is left pending (re-send it from the admin).
        if attempted.retry_in == 0:
            return delivery_attempt.apply(args=[delivery_id]).get()
        return attempted.status
    raise self.retry(countdown=attempted.retry_in)


@shared_task(bind=True, autoretry_for=(Exception,), retry_backoff=5, max_retries=3)
def deliveries_resume(self) -> int:
    """Every minute (Celery beat): queue again the deliveries the broker lost."""
    return services.deliveries_resume()
