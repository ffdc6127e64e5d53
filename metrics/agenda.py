"""The health sections of the operational review's agenda (the rest is ``reviews.ops.agenda``).

Registered with ``reviews.ops.agenda.register_agenda_builder`` when metrics is ready, they come
first on the agenda, for the review's date D and scope:
- worsened: active programs graded red or yellow at D whose grade got worse since the previous
  review's date (or that had no grade then), each with the sentence of the reason deciding its
  grade; grades and reasons come from the daily HealthSnapshot;
- watermelons: active programs flagged by the engine: a current update says on track while the
  grade is yellow or red (a stale program, with no current update, never is one), each with
  the sentence of its deciding reason;
- plans_unacknowledged: active programs whose published plan has waited longer than their
  health policy allows (``plan_ack_watch_days``, the same threshold as the health watch line)
  for a team lead's or the sponsor's acknowledgement, with who has not answered.
A fixed number of queries each, whatever the data size.
"""

import datetime
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery
from django.urls import reverse
from django.utils import timezone

from core.grades import GRADE_RANK, Grade
from metrics.health import reason_view
from metrics.models import HealthSnapshot
from metrics.selectors import PolicyBook
from programs.models import Program
from programs.plans.selectors import plans_awaiting, waiting_for
from programs.selectors import ACTIVE_PHASES
from reviews.ops.agenda import agenda_program

HEALTH_SECTIONS = [
    ("worsened", "Turned red or yellow", "No program got worse since the last review."),
    ("watermelons", "Watermelons", "No program reports better health than Pulse computes."),
    (
        "plans_unacknowledged",
        "Plans not yet agreed",
        "Every published plan is acknowledged, or has been waiting only a few days.",
    ),
]


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
                "program": agenda_program(row["id"], row["name"], row["slug"]),
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
            "program": agenda_program(row["id"], row["name"], row["slug"]),
            "grade": row["health_grade"],
            "score": row["health_score"],
            "reason": _reason_text(row["reason"]),
        }
        for row in rows.order_by("health_score", "name")
    ]


def _plans_unacknowledged(programs: QuerySet[Program], day: datetime.date) -> list:
    """Four queries: the policies and the tuned slip factor, the plans waiting, who they wait
    on."""
    book = PolicyBook()
    policies = [book.default, *book.by_portfolio.values()]
    shortest = min(p.plan_ack_watch_days for p in policies)
    end_of_day = datetime.datetime.combine(
        day + datetime.timedelta(days=1), datetime.time(), tzinfo=timezone.get_current_timezone()
    )
    waiting = []
    for plan in plans_awaiting(
        programs=programs.filter(phase__in=ACTIVE_PHASES),
        older_than=datetime.timedelta(days=shortest),
        now=end_of_day,
    ):
        since = timezone.localdate(plan.awaiting_since) if plan.awaiting_since else day
        policy = book.by_portfolio.get(plan.program.portfolio_id, book.default)
        if (day - since).days > policy.plan_ack_watch_days:
            waiting.append((plan, since))
    asks = waiting_for(plans=[plan for plan, _since in waiting])
    return [
        {
            "program": agenda_program(plan.program_id, plan.program.name, plan.program.slug),
            "url": reverse("plans:detail", kwargs={"slug": plan.program.slug}),
            "version": plan.published,
            "since": since.isoformat(),
            "days": (day - since).days,
            "waiting_on": [
                {"party": ack.party, "person": ack.asked.get_full_name() or ack.asked.username}
                for ack in asks[plan.pk]
            ],
        }
        for plan, since in waiting
    ]


def health_sections(
    programs: QuerySet[Program], day: datetime.date, since: datetime.date
) -> list[dict[str, Any]]:
    """The agenda's health sections for the programs in scope, at ``day``."""
    items = {
        "worsened": _worsened(programs, day, since),
        "watermelons": _watermelons(programs),
        "plans_unacknowledged": _plans_unacknowledged(programs, day),
    }
    return [
        {"key": key, "title": title, "empty": empty, "items": items[key]}
        for key, title, empty in HEALTH_SECTIONS
    ]
