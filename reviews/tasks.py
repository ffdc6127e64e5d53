"""Celery tasks of reviews. Thin: the service does the work and is safe to run twice.

Acknowledged late and re-queued if the worker dies (settings: acks_late,
reject_on_worker_lost); the service is idempotent, so a re-run creates nothing new.
"""

import logging

from celery import shared_task

from reviews.idempotency import idempotency_records_prune as prune_idempotency_records
from reviews.ops.services import operational_review_create_weekly as create_weekly

logger = logging.getLogger(__name__)


@shared_task(bind=True, autoretry_for=(Exception,), retry_backoff=5, max_retries=5)
def operational_review_create_weekly(self) -> int:
    """This week's operational review unless the week has one (Celery beat, Mondays 08:00)."""
    review = create_weekly()
    logger.info("operational review of the week: %s (id %d)", review, review.pk)
    return review.pk


@shared_task(bind=True, autoretry_for=(Exception,), retry_backoff=5, max_retries=5)
def idempotency_records_prune(self) -> int:
    """Delete expired Idempotency-Key records (Celery beat, hourly); safe to run twice."""
    deleted = prune_idempotency_records()
    logger.info("expired idempotency records deleted: %d", deleted)
    return deleted
