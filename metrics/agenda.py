"""The operational review's agenda, built from health, updates, launches, capacity and actions.

``review_agenda(review=..., user=...)`` answers the agenda as a JSON-ready dict: the same shape
for the page, the printable view, the API and the frozen copy a closed review keeps. It runs
a fixed number of queries whatever the data size (one per section, plus the previous review
and the viewer's roles). Only programs the viewer may see appear (``visible_programs``); a
builder call without a viewer (``user=None``) sees every program, which is what a closed
review freezes, and reading a frozen agenda filters it for the reader again.

Sections, for the review's date D and scope (every program, or one portfolio):
- worsened: active programs graded red or yellow at D whose grade got worse since the previous
  review's date (or that had no grade then), each with the sentence of the reason deciding its
  grade; grades and reasons come from the daily HealthSnapshot;
- watermelons: active programs flagged by the engine: a current update says on track while the
  grade is yellow or red (a stale program, with no current update, never is one), each with
  the sentence of its deciding reason;
- overdue_updates: active programs whose last update (or creation) plus their cadence lies
  before D; those with no current update at all are marked stale;
- launches: launch reviews neither launched nor withdrawn launching from D to D + 14 days;
- capacity: capacity requests submitted and waiting for a decision;
- overdue_actions: open action items due before D.
"""

import datetime
from typing import Any

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from core.formatting import format_quantity
from metrics.health import GRADE_RANK, reason_view
from metrics.models import HealthSnapshot
from programs.models import Grade, Program
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
from reviews.ops_selectors import previous_review
from reviews.ops_services import register_agenda_builder

# Two weeks: the launches a weekly meeting can still act on before they happen.
LAUNCH_HORIZON_DAYS = 14
# Without a previous review, "since the last review" means since a week before (a weekly meeting).
DEFAULT_LOOKBACK_DAYS = 7

SECTIONS = [
    ("worsened", "Turned red or yellow", "No program got worse since the last review."),
    ("watermelons", "Watermelons", "No program reports better health than Pulse computes."),
    ("overdue_updates", "Overdue status updates", "Every active program's update is current."),
    (
        "launches",
        f"Launches in the next {LAUNCH_HORIZON_DAYS} days",
        f"Nothing launches in the next {LAUNCH_HORIZON_DAYS} days.",
    ),
    ("capacity", "Capacity requests waiting", "No capacity request waits for a decision."),
    ("overdue_actions", "Overdue action items", "No open action item is overdue."),
]


def _day(value: datetime.date | None) -> str | None:
    return value.isoformat() if value else None


def _program(program_id: int, name: str, slug: str) -> dict[str, Any]:
    return {
        "id": program_id,
        "name": name,
        "slug": slug,
        "url": reverse("programs:detail", kwargs={"slug": slug}),
    }


def _grade_at(day: datetime.date) -> Subquery:
    return Subquery(
        HealthSnapshot.objects.filter(program=OuterRef("pk"), day__lte=day)
        .order_by("-day")
        .values("grade")[:1]
    )


def _score_at(day: datetime.date) -> Subquery:
    return Subquery(
        HealthSnapshot.objects.filter(program=OuterRef("pk"), day__lte=day)
        .order_by("-day")
        .values("score")[:1]
    )


def _first_reason_at(day: datetime.date | None = None) -> Subquery:
    """The first reason (the one deciding the grade) of the latest snapshot on or before
    ``day`` (the latest of all when None)."""
    snapshots = HealthSnapshot.objects.filter(program=OuterRef("pk"))
    if day is not None:
        snapshots = snapshots.filter(day__lte=day)
    return Subquery(snapshots.order_by("-day").values("reasons__0")[:1])


def _reason_text(reason: dict | None) -> str:
    """A stored reason's sentence, as the program page says it ('' without one)."""
    return reason_view(reason)["text"] if reason else ""


def _worsened(programs: QuerySet[Program], day: datetime.date, since: datetime.date) -> list:
    rows = (
        programs.filter(phase__in=ACTIVE_PHASES)
        .annotate(
            grade_now=_grade_at(day),
            score_now=_score_at(day),
            grade_before=_grade_at(since),
            reason_now=_first_reason_at(day),
        )
        .filter(grade_now__in=[Grade.RED, Grade.YELLOW])
        .values("id", "name", "slug", "grade_now", "score_now", "grade_before", "reason_now")
        .order_by("score_now", "name")  # the worst first (red scores lie below yellow ones)
    )
    result = []
    for row in rows:
        # No grade at the last review (a program new to Pulse) counts as a change.
        before = row["grade_before"]
        if before and GRADE_RANK.get(before, 0) >= GRADE_RANK[row["grade_now"]]:
            continue
        result.append(
            {
                "program": _program(row["id"], row["name"], row["slug"]),
                "grade": row["grade_now"],
                "grade_before": before or "",
                "score": row["score_now"],
                "reason": _reason_text(row["reason_now"]),
            }
        )
    return result


def _watermelons(programs: QuerySet[Program]) -> list:
    # The engine never flags a stale program; the filter keeps it so for rows written earlier.
    rows = (
        programs.filter(health_watermelon=True, health_stale=False, phase__in=ACTIVE_PHASES)
        .annotate(reason=_first_reason_at())
        .values("id", "name", "slug", "health_grade", "health_score", "reason")
    )
    return [
        {
            "program": _program(row["id"], row["name"], row["slug"]),
            "grade": row["health_grade"],
            "score": row["health_score"],
            "reason": _reason_text(row["reason"]),
        }
        for row in rows.order_by("health_score", "name")
    ]


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
                "program": _program(row["id"], row["name"], row["slug"]),
                "last_update": _day(last),
                "due": _day(due),
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
            "launch_date": _day(review.launch_date),
            "state": review.state,
            "state_label": review.get_state_display(),
            "program": _program(review.program_id, review.program.name, review.program.slug),
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
            "needed_by": _day(request.needed_by),
            "program": _program(request.program_id, request.program.name, request.program.slug),
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
            "due_date": _day(item.due_date),
            "days_overdue": (review.date - item.due_date).days,
            "created_in": {"id": item.created_in_id, "date": _day(item.created_in.date)},
            # Where it was agreed (and is closed): the item in its review's action items.
            "url": f"{item.created_in.get_absolute_url()}#action-item-{item.pk}",
            "program": _program(item.program_id, item.program.name, item.program.slug)
            if item.program_id
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
    sections = {
        "worsened": _worsened(programs, review.date, since),
        "watermelons": _watermelons(programs),
        "overdue_updates": _overdue_updates(programs, review.date),
        "launches": _launches(program_ids, review.date),
        "capacity": _capacity(program_ids),
        "overdue_actions": _overdue_actions(program_ids, review),
    }
    return {
        "date": _day(review.date),
        "since": _day(since),
        "previous_review": {"id": previous.pk, "date": _day(previous.date)} if previous else None,
        "portfolio": review.portfolio.slug if review.portfolio_id else None,
        "built_at": timezone.now().isoformat(),
        "frozen": False,
        "sections": [
            {"key": key, "title": title, "empty": empty, "items": sections[key]}
            for key, title, empty in SECTIONS
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


# Closing a review (in reviews) freezes what this module builds, and the reviews API serves
# it: reviews cannot import metrics, so the builder registers itself there.
register_agenda_builder(lambda review, user: review_agenda(review=review, user=user))
