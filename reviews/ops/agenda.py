"""The operational review's agenda: health, updates, launches, capacity and action items.

``review_agenda(review=..., user=...)`` answers the agenda as a JSON-ready dict: the same shape
for the page, the printable view, the API and the frozen copy a closed review keeps. It runs
a fixed number of queries whatever the data size (one per section, plus the previous review
and the viewer's roles). Only programs the viewer may see appear (``visible_programs``); a
builder call without a viewer (``user=None``) sees every program, which is what a closed
review freezes, and reading a frozen agenda filters it for the reader again.

Sections, for the review's date D and scope (every program, or one portfolio), in this order:
- the health sections, supplied by metrics (which sits above reviews) through the builder it
  registers with ``register_agenda_builder`` (``metrics.agenda``): programs that turned red or
  yellow since the previous review, and watermelons. Without metrics the agenda has only the
  sections below;
- overdue_updates: active programs whose last update (or creation) plus their cadence lies
  before D; those with no current update at all are marked stale;
- launches: launch reviews neither launched nor withdrawn launching from D to D + 14 days;
- capacity: capacity requests submitted and waiting for a decision;
- overdue_actions: open action items due before D.

Every item that concerns a program carries ``program`` (id, name, slug, url): that is what the
frozen copy is filtered by, so a supplied section's items must carry it too.
"""

import datetime
from collections.abc import Callable
from typing import Any

from django.db.models import Q, QuerySet
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from core.formatting import format_quantity
from programs.models import Program
from programs.selectors import ACTIVE_PHASES, visible_programs
from reviews.models import (
    ActionItem,
    ActionItemState,
    CapacityRequest,
    CapacityRequestState,
    LaunchReview,
    LaunchReviewState,
    OperationalReview,
)
from reviews.ops.selectors import previous_review

# Two weeks: the launches a weekly meeting can still act on before they happen.
LAUNCH_HORIZON_DAYS = 14
# Without a previous review, "since the last review" means since a week before (a weekly meeting).
DEFAULT_LOOKBACK_DAYS = 7

# The review's own sections: (key, title, what the page says when it is empty).
SECTIONS = [
    ("overdue_updates", "Overdue status updates", "Every active program's update is current."),
    (
        "launches",
        f"Launches in the next {LAUNCH_HORIZON_DAYS} days",
        f"Nothing launches in the next {LAUNCH_HORIZON_DAYS} days.",
    ),
    ("capacity", "Capacity requests waiting", "No capacity request waits for a decision."),
    ("overdue_actions", "Overdue action items", "No open action item is overdue."),
]

# (programs in scope, the review's date, the previous review's date) → sections in the
# agenda's shape ({"key", "title", "empty", "items"}), shown before the review's own.
AgendaBuilder = Callable[[QuerySet[Program], datetime.date, datetime.date], list[dict[str, Any]]]
_agenda_builders: list[AgendaBuilder] = []


def register_agenda_builder(builder: AgendaBuilder) -> None:
    """Called once by metrics when it is ready: reviews cannot import metrics, which sits
    above it, so the health sections come in this way (as panels do on the program page)."""
    _agenda_builders[:] = [builder]


def agenda_program(program_id: int, name: str, slug: str) -> dict[str, Any]:
    """A program as an agenda item names it (the frozen copy is filtered by its id)."""
    return {
        "id": program_id,
        "name": name,
        "slug": slug,
        "url": reverse("programs:detail", kwargs={"slug": slug}),
    }


def agenda_day(value: datetime.date | None) -> str | None:
    return value.isoformat() if value else None


def _overdue_updates(programs: QuerySet[Program], day: datetime.date) -> list:
    zone = timezone.get_current_timezone()
    day_start = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min), zone)
    # Every cadence is at least a day, so only updates older than that can be overdue; the
    # exact cadence is applied below (portable: SQLite cannot multiply an interval).
    rows = (
        programs.filter(phase__in=ACTIVE_PHASES)
        .annotate(last_at=Coalesce("last_update_at", "created_at"))
        .filter(last_at__lt=day_start - datetime.timedelta(days=1))
        .values(
            "id",
            "name",
            "slug",
            "last_update_at",
            "last_at",
            "update_cadence_days",
            "health_stale",
            "tpm__first_name",
            "tpm__last_name",
            "tpm__username",
        )  # fmt: skip
        .order_by("last_at", "name")
    )
    result = []
    for row in rows:
        due_at = row["last_at"] + datetime.timedelta(days=row["update_cadence_days"])
        if due_at >= day_start:
            continue
        due = due_at.astimezone(zone).date()
        last = row["last_update_at"].astimezone(zone).date() if row["last_update_at"] else None
        tpm = f"{row['tpm__first_name']} {row['tpm__last_name']}".strip() or row["tpm__username"]
        result.append(
            {
                "program": agenda_program(row["id"], row["name"], row["slug"]),
                "last_update": agenda_day(last),
                "due": agenda_day(due),
                "days_overdue": (day - due).days,
                "tpm": tpm,
                "stale": row["health_stale"],
            }
        )
    result.sort(key=lambda item: (item["due"], item["program"]["name"]))
    return result


def _launches(program_ids: QuerySet, day: datetime.date) -> list:
    horizon = day + datetime.timedelta(days=LAUNCH_HORIZON_DAYS)
    reviews = (
        LaunchReview.objects.filter(program__in=program_ids, launch_date__range=(day, horizon))
        .exclude(state__in=[LaunchReviewState.LAUNCHED, LaunchReviewState.WITHDRAWN])
        .select_related("program")
        .order_by("launch_date", "id")
    )
    return [
        {
            "id": review.pk,
            "title": review.title,
            "url": review.get_absolute_url(),
            "launch_date": agenda_day(review.launch_date),
            "state": review.state,
            "state_label": review.get_state_display(),
            "program": agenda_program(review.program_id, review.program.name, review.program.slug),
        }
        for review in reviews
    ]


def _capacity(program_ids: QuerySet) -> list:
    requests = (
        CapacityRequest.objects.filter(
            program__in=program_ids, state=CapacityRequestState.SUBMITTED
        )
        .select_related("program", "team")
        .order_by("needed_by", "id")
    )
    return [
        {
            "id": request.pk,
            "url": request.get_absolute_url(),
            "amount": format_quantity(request.amount, request.unit),
            "resource": request.get_resource_kind_display(),
            "team": request.team.name,
            "needed_by": agenda_day(request.needed_by),
            "program": agenda_program(
                request.program_id, request.program.name, request.program.slug
            ),
        }
        for request in requests
    ]


def _overdue_actions(program_ids: QuerySet, review: OperationalReview) -> list:
    in_scope = Q(program__in=program_ids)
    if review.portfolio_id is None:
        in_scope |= Q(program__isnull=True)
    else:
        in_scope |= Q(program__isnull=True, created_in__portfolio_id=review.portfolio_id)
    items = (
        ActionItem.objects.filter(in_scope, state=ActionItemState.OPEN, due_date__lt=review.date)
        .select_related("owner", "program", "created_in")
        .order_by("due_date", "id")
    )
    return [
        {
            "id": item.pk,
            "title": item.title,
            "owner": item.owner.get_full_name() or item.owner.username,
            "owner_username": item.owner.username,
            "due_date": agenda_day(item.due_date),
            "days_overdue": (review.date - item.due_date).days,
            "created_in": {"id": item.created_in_id, "date": agenda_day(item.created_in.date)},
            # Where it was agreed (and is closed): the item in its review's action items.
            "url": f"{item.created_in.get_absolute_url()}#action-item-{item.pk}",
            "program": agenda_program(item.program.pk, item.program.name, item.program.slug)
            if item.program is not None
            else None,
        }
        for item in items
    ]


def build_agenda(*, review: OperationalReview, user) -> dict[str, Any]:
    """The agenda live, for ``user`` (None: every program)."""
    previous = previous_review(review)
    since = previous.date if previous else review.date - datetime.timedelta(DEFAULT_LOOKBACK_DAYS)
    programs = Program.objects.all() if user is None else visible_programs(user)
    if review.portfolio_id:
        programs = programs.filter(portfolio_id=review.portfolio_id)
    program_ids = programs.values("pk")
    supplied = [
        section for builder in _agenda_builders for section in builder(programs, review.date, since)
    ]
    own = {
        "overdue_updates": _overdue_updates(programs, review.date),
        "launches": _launches(program_ids, review.date),
        "capacity": _capacity(program_ids),
        "overdue_actions": _overdue_actions(program_ids, review),
    }
    return {
        "date": agenda_day(review.date),
        "since": agenda_day(since),
        "previous_review": (
            {"id": previous.pk, "date": agenda_day(previous.date)} if previous else None
        ),
        "portfolio": review.portfolio.slug if review.portfolio is not None else None,
        "built_at": timezone.now().isoformat(),
        "frozen": False,
        "sections": [
            *supplied,
            *(
                {"key": key, "title": title, "empty": empty, "items": own[key]}
                for key, title, empty in SECTIONS
            ),
        ],
    }


def _frozen_for(agenda: dict[str, Any], user) -> dict[str, Any]:
    """A closed review's stored agenda, minus the programs the reader may not see."""
    if user is None:
        return {**agenda, "frozen": True}
    ids = {
        item["program"]["id"]
        for section in agenda["sections"]
        for item in section["items"]
        if item.get("program")
    }
    visible = set(visible_programs(user).filter(pk__in=ids).values_list("pk", flat=True))
    return {
        **agenda,
        "frozen": True,
        "sections": [
            {
                **section,
                "items": [
                    item
                    for item in section["items"]
                    if not item.get("program") or item["program"]["id"] in visible
                ],
            }
            for section in agenda["sections"]
        ],
    }


def review_agenda(*, review: OperationalReview, user) -> dict[str, Any]:
    """The review's agenda for ``user``: frozen as it was if the review is closed, else live."""
    if review.is_closed and review.agenda:
        return _frozen_for(review.agenda, user)
    return build_agenda(review=review, user=user)


def agenda_item_count(agenda: dict[str, Any]) -> int:
    return sum(len(section["items"]) for section in agenda["sections"])
