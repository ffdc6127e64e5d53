"""Deliveries: fanning an event out to its destinations, sending each, re-sending, secrets.

A delivery is tried by ``delivery_attempt``: it claims the row (only a pending one whose time
has come; the claim pushes ``next_retry_at`` past the HTTP timeout, so two workers never send
it at once, and a worker that dies mid-request leaves it to the sweep), POSTs the JSON,
records the attempt, and says when to try again: ``WEBHOOK_RETRY_BACKOFF_SECONDS`` doubled
after each failure, capped at ``WEBHOOK_RETRY_BACKOFF_MAX_SECONDS``, until
``WEBHOOK_MAX_ATTEMPTS`` have failed. A failure is an answer outside 2xx (a redirect too:
they are not followed) or no answer (connection refused, DNS, timeout).
"""

import datetime
import json
import logging
import time
from functools import partial
from typing import Any, NamedTuple

import requests
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from metrics.integrations import messages, payloads, signing
from metrics.integrations.models import (
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    SlackChannel,
    WebhookEndpoint,
    new_secret,
)
from programs.models import Portfolio, Program

logger = logging.getLogger(__name__)

USER_AGENT = "Pulse-Webhooks/1.0"
# A retry Celery runs a little early by another machine's clock still claims the delivery.
CLOCK_SLACK = datetime.timedelta(seconds=2)
# The claim holds a delivery this long past the HTTP timeout before the sweep may take it.
LEASE_MARGIN = datetime.timedelta(seconds=30)
# A pending delivery this far past its time was lost by the broker (or enqueued while it was
# down): the sweep, every minute, queues it again. Longer than any retry's scheduling delay.
RESUME_AFTER = datetime.timedelta(minutes=2)
RESUME_BATCH = 500
ERROR_EXCERPT = 500  # characters of a failed answer kept in the log


def _enqueue(delivery_id: int) -> None:
    """Queue one delivery's attempt; with the broker down it stays pending for the sweep."""
    from metrics.integrations.tasks import delivery_attempt as attempt_task

    try:
        attempt_task.apply_async(args=[delivery_id], retry=False)
    except Exception:
        logger.warning("delivery %s not queued; the sweep sends it", delivery_id, exc_info=True)


def _destinations(
    kind: str, program: Program | None, portfolio_id: int | None
) -> tuple[list[SlackChannel], list[WebhookEndpoint]]:
    """The active channels and endpoints that want ``kind`` for this program or portfolio."""
    scope = Q(portfolio_id=portfolio_id)
    if program is not None:
        scope |= Q(program_id=program.pk)
    confidential = program is not None and program.confidential

    def wanted(destination: SlackChannel | WebhookEndpoint) -> bool:
        return destination.wants(kind) and (destination.include_confidential or not confidential)

    channels = [c for c in SlackChannel.objects.filter(scope, active=True) if wanted(c)]
    everywhere = Q(portfolio__isnull=True, program__isnull=True)
    endpoints = [
        e for e in WebhookEndpoint.objects.filter(scope | everywhere, active=True) if wanted(e)
    ]
    return channels, endpoints


def deliveries_create(*, event: dict[str, Any]) -> list[int]:
    """One logged delivery per destination that wants ``event`` (as ``events.publish`` made
    it), each queued after commit. Returns their ids (none: nobody wants it)."""
    program = None
    portfolio_id: int | None = event.get("portfolio_id")
    program_id: int | None = event.get("program_id")
    if program_id is not None:
        program = Program.objects.filter(pk=program_id).first()
        if program is None:
            return []  # deleted since
        portfolio_id = program.portfolio_id
    channels, endpoints = _destinations(event["event"], program, portfolio_id)
    if not channels and not endpoints:
        return []
    portfolio = Portfolio.objects.filter(pk=portfolio_id).first() if portfolio_id else None
    body = payloads.envelope(event, program=program, portfolio=portfolio)
    common = {"event": event["event"], "event_id": event["id"], "program": program}
    rows = [Delivery(channel=c, payload=messages.slack_message(body), **common) for c in channels]
    rows += [Delivery(endpoint=e, payload=body, **common) for e in endpoints]
    with transaction.atomic():
        Delivery.objects.bulk_create(rows)
        for row in rows:
            transaction.on_commit(partial(_enqueue, row.pk), robust=True)
    return [row.pk for row in rows]


class Attempted(NamedTuple):
    status: str
    retry_in: int | None  # seconds until the next attempt; None: no other attempt


def retry_delay(attempts: int) -> int:
    """Seconds before attempt ``attempts + 1``: the base, doubled after each failure, capped."""
    base = settings.WEBHOOK_RETRY_BACKOFF_SECONDS
    return int(min(base * 2 ** (attempts - 1), settings.WEBHOOK_RETRY_BACKOFF_MAX_SECONDS))


def _claim(delivery_id: int, now: datetime.datetime) -> Delivery | None:
    lease = datetime.timedelta(seconds=settings.WEBHOOK_TIMEOUT_SECONDS) + LEASE_MARGIN
    due = Q(next_retry_at__isnull=True) | Q(next_retry_at__lte=now + CLOCK_SLACK)
    claimed = (
        Delivery.objects.filter(due, pk=delivery_id, status=DeliveryStatus.PENDING)
        .update(attempts=F("attempts") + 1, next_retry_at=now + lease)
    )  # fmt: skip
    if not claimed:
        return None
    return Delivery.objects.select_related("channel", "endpoint").get(pk=delivery_id)


def _post(delivery: Delivery) -> tuple[int | None, str]:
    """POST the delivery's JSON: its status code (None: no answer) and the error ('' if 2xx)."""
    body = json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
    if delivery.endpoint is not None:
        headers["X-Pulse-Event"] = delivery.event
        headers["X-Pulse-Delivery"] = str(delivery.pk)
        headers.update(signing.signed_headers(delivery.endpoint.secret, body))
        url = delivery.endpoint.url
    else:
        assert delivery.channel is not None  # noqa: S101 - the table's constraint holds it
        url = delivery.channel.webhook_url
    timeout = settings.WEBHOOK_TIMEOUT_SECONDS
    try:
        with requests.post(
            url, data=body, headers=headers, timeout=timeout, allow_redirects=False, stream=True
        ) as response:
            if 200 <= response.status_code < 300:
                return response.status_code, ""
            excerpt = response.raw.read(ERROR_EXCERPT, decode_content=True)
            text = excerpt.decode("utf-8", "replace").strip()
            return response.status_code, f"HTTP {response.status_code}: {text}".strip(": ")
    except requests.RequestException as error:
        return None, f"{type(error).__name__}: {error}"[:ERROR_EXCERPT]


def delivery_attempt(*, delivery_id: int) -> Attempted | None:
    """Try a pending delivery once, log the attempt, and say whether and when to try again.

    None when there was nothing to do: delivered, failed, or not due (another worker has it,
    or its retry is later). A destination switched off fails its deliveries unsent.
    """
    started = timezone.now()
    delivery = _claim(delivery_id, started)
    if delivery is None:
        return None
    destination = delivery.destination
    clock = time.monotonic()
    if destination is None or not destination.active:
        status_code, error = None, "Not sent: the destination is switched off."
        final = True
    else:
        status_code, error = _post(delivery)
        final = not error or delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS
    DeliveryAttempt.objects.create(
        delivery=delivery,
        number=delivery.attempts,
        started_at=started,
        duration_ms=int((time.monotonic() - clock) * 1000),
        status_code=status_code,
        error=error,
    )
    retry_in = None if final else retry_delay(delivery.attempts)
    changes: dict[str, Any] = {"status_code": status_code, "last_error": error}
    if not error:
        changes |= {
            "status": DeliveryStatus.DELIVERED,
            "delivered_at": timezone.now(),
            "next_retry_at": None,
        }
    elif final:
        changes |= {"status": DeliveryStatus.FAILED, "next_retry_at": None}
        logger.warning(
            "delivery %s failed after %s attempts: %s", delivery.pk, delivery.attempts, error
        )
    else:
        changes["next_retry_at"] = timezone.now() + datetime.timedelta(seconds=retry_in or 0)
    Delivery.objects.filter(pk=delivery.pk).update(**changes, updated_at=timezone.now())
    return Attempted(changes.get("status", DeliveryStatus.PENDING), retry_in)


def deliveries_resume(*, now: datetime.datetime | None = None) -> int:
    """Queue again the pending deliveries well past their time (lost by the broker, or made
    while it was down); at most ``RESUME_BATCH`` a run. Returns how many."""
    now = now or timezone.now()
    due = list(
        Delivery.objects.filter(
            status=DeliveryStatus.PENDING, next_retry_at__lte=now - RESUME_AFTER
        )
        .order_by("next_retry_at")
        .values_list("pk", flat=True)[:RESUME_BATCH]
    )
    for delivery_id in due:
        _enqueue(delivery_id)
    if due:
        logger.info("queued %d deliveries again", len(due))
    return len(due)


@transaction.atomic
def delivery_resend(*, delivery: Delivery) -> Delivery:
    """Send a delivery's JSON again to its destination, as a new logged delivery (same event
    id, so a receiver may drop it as a repeat; signed afresh with the endpoint's secret now)."""
    copy = Delivery.objects.create(
        channel_id=delivery.channel_id,
        endpoint_id=delivery.endpoint_id,
        event=delivery.event,
        event_id=delivery.event_id,
        program_id=delivery.program_id,
        payload=delivery.payload,
        resent_from=delivery,
    )
    transaction.on_commit(partial(_enqueue, copy.pk), robust=True)
    return copy


def endpoint_secret_rotate(*, endpoint: WebhookEndpoint) -> str:
    """A new signing secret for the endpoint (the old one stops working at once); returns it."""
    endpoint.secret = new_secret()
    endpoint.save(update_fields=["secret", "updated_at"])
    return endpoint.secret
