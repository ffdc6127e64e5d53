"""Publishing Pulse's events to Slack channels and webhook endpoints: ``publish``, and only it.

``publish(kind, program=…, data=…)`` is called where the event happens (health recompute,
the weekly report, the overdue-update reminder; the reviews' decisions come through
``reviews.signals``, connected in ``IntegrationsConfig.ready``). It queues, once the
transaction commits, one Celery task that finds the destinations that want the event and
creates a logged delivery for each (``services.deliveries_create``), each sent by its own
task. The caller pays one enqueue after its commit: no query, no HTTP. A rolled-back write
publishes nothing; an event nobody subscribes to is not even queued (the subscribed kinds
are cached, and forgotten whenever a channel or endpoint is saved or deleted).
"""

import logging
import uuid
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from metrics.integrations.models import EventKind, SlackChannel, WebhookEndpoint
from programs.models import Portfolio, Program
from programs.signals import changes_unannounced

logger = logging.getLogger(__name__)

SUBSCRIBED_KEY = "integrations:subscribed-kinds"
# A safety net only: saving or deleting a destination forgets the cached kinds at once.
SUBSCRIBED_TTL_SECONDS = 5 * 60


def subscribed_kinds() -> frozenset[str] | None:
    """The event kinds some active destination wants (cached); None when unknown (the cache
    is down): publish then queues anyway, and the fan-out decides."""
    try:
        kinds = cache.get(SUBSCRIBED_KEY)
        if kinds is None:
            found: set[str] = set()
            for model in (SlackChannel, WebhookEndpoint):
                for types in model.objects.filter(active=True).values_list(
                    "event_types", flat=True
                ):
                    found.update(types or [])
            kinds = sorted(found)
            cache.set(SUBSCRIBED_KEY, kinds, SUBSCRIBED_TTL_SECONDS)
    except Exception:  # the cache (Redis) is down: publishing must not fail
        logger.warning("subscribed event kinds unknown", exc_info=True)
        return None
    return frozenset(kinds)


def forget_subscriptions(**kwargs: Any) -> None:
    """A destination changed: forget the cached kinds now, and again when the change commits
    (a read in between would have cached the old list)."""

    def forget() -> None:
        try:
            cache.delete(SUBSCRIBED_KEY)
        except Exception:
            logger.warning("subscribed event kinds not forgotten", exc_info=True)

    forget()
    transaction.on_commit(forget, robust=True)


def connect_subscription_cache() -> None:
    for model in (SlackChannel, WebhookEndpoint):
        uid = f"integrations.subscriptions.{model.__name__}"
        post_save.connect(forget_subscriptions, sender=model, dispatch_uid=f"{uid}.save")
        post_delete.connect(forget_subscriptions, sender=model, dispatch_uid=f"{uid}.delete")


def _id(value: Program | Portfolio | int | None) -> int | None:
    return value if value is None or isinstance(value, int) else value.pk


def publish(
    kind: EventKind | str,
    *,
    program: Program | int | None = None,
    portfolio: Portfolio | int | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """Send event ``kind`` about ``program`` (or, portfolio-wide, ``portfolio``) to every
    destination that wants it, after the current transaction commits.

    ``data`` holds plain JSON values (it travels as the task's arguments); see
    ``payloads`` for what each event's ``data`` becomes. Never raises for a delivery problem:
    when the broker cannot take the task, the deliveries are created here and the sweep
    (``deliveries_resume``, every minute) sends them once it is back.
    """
    if changes_unannounced():  # the demo seeder's bulk writes
        return
    event = {
        "id": str(uuid.uuid4()),
        "event": str(kind),
        "occurred_at": timezone.now().isoformat(),
        "program_id": _id(program),
        "portfolio_id": _id(portfolio),
        "data": data or {},
    }

    def enqueue() -> None:
        kinds = subscribed_kinds()
        if kinds is not None and event["event"] not in kinds:
            return
        from metrics.integrations import services
        from metrics.integrations.tasks import deliveries_create

        try:
            deliveries_create.apply_async(args=[event], retry=False)
        except Exception:  # the broker is down: log the deliveries now, the sweep sends them
            logger.warning("event %s not queued; fanned out inline", kind, exc_info=True)
            try:
                services.deliveries_create(event=event)
            except Exception:  # an outage must not fail the committed write
                logger.exception("event %s about program %s lost", kind, event["program_id"])

    transaction.on_commit(enqueue, robust=True)


# --- The reviews' decisions (reviews.signals), sent on their commit --------------------------


def on_launch_review_decided(
    sender: Any,
    *,
    review_id: int,
    program_id: int,
    decision: str,
    decided_by_id: int | None,
    comment: str = "",
    **kwargs: Any,
) -> None:
    publish(
        EventKind.LAUNCH_REVIEW_DECIDED,
        program=program_id,
        data={
            "review_id": review_id,
            "decision": decision,
            "decided_by_id": decided_by_id,
            "comment": comment,
        },
    )


def on_capacity_request_decided(
    sender: Any,
    *,
    request_id: int,
    program_id: int,
    decision: str,
    decided_by_id: int | None,
    auto_approved: bool = False,
    **kwargs: Any,
) -> None:
    publish(
        EventKind.CAPACITY_REQUEST_DECIDED,
        program=program_id,
        data={
            "request_id": request_id,
            "decision": decision,
            "decided_by_id": decided_by_id,
            "auto_approved": auto_approved,
        },
    )
