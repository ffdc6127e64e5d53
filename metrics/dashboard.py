"""Reads of the portfolio dashboard: counts, chart data and the programs table.

Everything is aggregated in SQL (counts with ``filter=``, one GROUP BY for the grade history)
and scoped to the programs the user may see (``programs.selectors.visible_programs``), so
the page runs the same queries for 10 programs or 10,000 and never leaks a confidential one.
The reviews models (launches, capacity) are read here, through these selectors only.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import (
    Count,
    DateTimeField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce, Now
from django.db.models.lookups import LessThan
from django.utils import timezone

from core.grades import Grade
from metrics.health import COMPONENTS, reason_view
from metrics.models import HealthSnapshot
from metrics.panels import COMPONENT_LABELS, forecast_view
from programs.models import OPEN_MILESTONE_STATES, SLIP, Milestone, Portfolio, Program, Team
from programs.selectors import (
    ACTIVE_PHASES,
    ListedProgram,
    visible_programs,
    with_list_annotations,
)
from reviews.models import (
    GRANTED_STATES,
    OPEN_REVIEW_STATES,
    RESOURCE_UNITS,
    CapacityBudget,
    CapacityRequest,
    CapacityRequestState,
    LaunchReview,
    ResourceKind,
    quarter_of,
)

WEEKS = 12  # the trend a leader reads: one quarter
LAUNCH_WINDOW_DAYS = 30
LAUNCHES_CHARTED = 30  # the soonest; the launches list has them all
SLIPS_SHOWN = 10
WAITING_ASKS_LISTED = 5
CAPACITY_TEAMS_CHARTED = 10

FLAGS = {
    "watermelon": "Watermelons",
    "stale": "Stale (no current update)",
    "overdue": "Update overdue",
}
# The family of the signal that decides a yellow or red grade (``Program.health_cause``).
CAUSES = {key: COMPONENT_LABELS[key] for key in COMPONENTS}


@dataclass(frozen=True)
class DashboardFilters:
    """What the dashboard shows, all from the query string so a view can be shared.

    ``portfolio`` and ``team`` scope the whole page; ``grade``, ``flag`` and ``cause`` narrow
    the table only, so the counts stay readable while a leader clicks through them.
    """

    portfolio: str = ""
    team: str = ""
    grade: str = ""
    flag: str = ""
    cause: str = ""  # a key of CAUSES
    sort: str = "score"
    capacity_kind: str = ""

    @property
    def scope(self) -> dict[str, str]:
        return {
            key: value
            for key, value in (("portfolio", self.portfolio), ("team", self.team))
            if value
        }


def weekly_days(today: datetime.date, weeks: int = WEEKS) -> list[datetime.date]:
    """One day a week, oldest first, ending today: where the trends sample the snapshots."""
    return [today - datetime.timedelta(days=7 * back) for back in range(weeks - 1, -1, -1)]


class Days(Func):
    """An integer column as a duration of that many days (PostgreSQL and SQLite)."""

    output_field = DurationField()
    template = "make_interval(days => %(expressions)s)"

    def as_sqlite(self, compiler, connection, **extra_context):
        # SQLite keeps durations as integer microseconds.
        return self.as_sql(compiler, connection, template="(%(expressions)s * 86400000000)")


def _overdue_update() -> Q:
    """No status update within the cadence: last update (or creation) + cadence days < now."""
    due = ExpressionWrapper(
        Coalesce("last_update_at", "created_at") + Days("update_cadence_days"),
        output_field=DateTimeField(),
    )
    return Q(LessThan(due, Now()))


def scoped_programs(*, user, filters: DashboardFilters) -> QuerySet[Program]:
    """The active programs the user may see, in the chosen portfolio and team."""
    programs = visible_programs(user).filter(phase__in=ACTIVE_PHASES)
    if filters.portfolio:
        programs = programs.filter(portfolio__slug=filters.portfolio)
    if filters.team:
        programs = programs.filter(
            Exists(
                Program.teams.through.objects.filter(
                    program=OuterRef("pk"), team__slug=filters.team
                )
            )
        )
    return programs


@dataclass(frozen=True)
class Counts:
    total: int
    by_grade: dict[str, int]
    unscored: int
    watermelons: int
    stale: int
    overdue_updates: int
    launches: int
    capacity_waiting: int


def _program_counts(programs: QuerySet[Program]) -> dict[str, int]:
    """Grade, watermelon, stale and overdue counts of these programs in one aggregate query."""
    return programs.aggregate(
        total=Count("pk"),
        **{grade.value: Count("pk", filter=Q(health_grade=grade)) for grade in Grade},
        unscored=Count("pk", filter=Q(health_grade="")),
        watermelons=Count("pk", filter=Q(health_watermelon=True)),
        stale=Count("pk", filter=Q(health_stale=True)),
        overdue=Count("pk", filter=_overdue_update()),
    )


def grade_history(programs: QuerySet[Program], days: list[datetime.date]) -> list[dict[str, Any]]:
    """Programs per grade on each of ``days``, from the snapshots, in one GROUP BY."""
    rows = (
        HealthSnapshot.objects.filter(program__in=programs.values("pk"), day__in=days)
        .values("day", "grade")
        .annotate(n=Count("id"))
        .order_by()
    )
    by_day: dict[datetime.date, dict[str, int]] = {day: {} for day in days}
    for row in rows:
        by_day[row["day"]][row["grade"]] = row["n"]
    return [{"day": day, "counts": by_day[day]} for day in days]


def biggest_slips(programs: QuerySet[Program], limit: int = SLIPS_SHOWN) -> list[Milestone]:
    """Open milestones whose current target lies furthest after their baseline (read in order
    from the ``milestone_open_slips`` index: the filter and the order are its own)."""
    return list(
        Milestone.objects.filter(
            program__in=programs.values("pk"),
            state__in=OPEN_MILESTONE_STATES,
            target_date__gt=F("baseline_date"),
        )
        .annotate(slip=SLIP)
        .select_related("program")
        .only(
            "name",
            "baseline_date",
            "target_date",
            "state",
            "critical",
            "program__name",
            "program__slug",
        )
        .order_by("-slip", "target_date", "id")[:limit]
    )


def upcoming_launches(
    programs: QuerySet[Program], today: datetime.date, days: int = LAUNCH_WINDOW_DAYS
) -> list[LaunchReview]:
    """Open launch reviews launching within ``days`` days, soonest first."""
    return list(
        LaunchReview.objects.filter(
            program__in=programs.values("pk"),
            state__in=OPEN_REVIEW_STATES,
            launch_date__gte=today,
            launch_date__lte=today + datetime.timedelta(days=days),
        )
        .select_related("program")
        .only("title", "launch_date", "state", "tier", "program__name", "program__slug")
        .order_by("launch_date", "id")
    )


@dataclass(frozen=True)
class CapacityTeam:
    team: str
    requested: Decimal
    approved: Decimal
    budget: Decimal | None


@dataclass(frozen=True)
class Capacity:
    quarter: str
    kind: str
    kind_label: str
    unit: str
    kinds: list[tuple[str, str]]
    teams: list[CapacityTeam]
    waiting: list[CapacityRequest]
    waiting_count: int


def capacity(
    programs: QuerySet[Program], *, today: datetime.date, team: str = "", kind: str = ""
) -> Capacity:
    """This quarter's capacity per team for one resource kind: requested, approved, budget.

    Requests are the programs' (so the portfolio filter applies); budgets belong to teams.
    Kinds cannot be added up (vCPU and dollars), so one kind is shown: the one asked, or the
    kind with the most requests this quarter. Four queries whatever the data size.
    """
    quarter = quarter_of(today)
    requests = CapacityRequest.objects.filter(program__in=programs.values("pk"))
    if team:
        requests = requests.filter(team__slug=team)
    per_team = list(
        requests.filter(quarter=quarter)
        .exclude(state__in=[CapacityRequestState.DRAFT])
        .values("team__name", "resource_kind")
        .annotate(
            requested=Sum("amount"),
            approved=Sum("approved_amount", filter=Q(state__in=GRANTED_STATES)),
            n=Count("id"),
        )
        .order_by("team__name")
    )
    kinds_seen: dict[str, int] = defaultdict(int)
    for row in per_team:
        kinds_seen[row["resource_kind"]] += row["n"]
    if kind not in ResourceKind.values:
        kind = (
            max(kinds_seen, key=lambda k: (kinds_seen[k], k)) if kinds_seen else ResourceKind.VCPU
        )
    budgets_query = CapacityBudget.objects.filter(quarter=quarter, resource_kind=kind)
    if team:
        budgets_query = budgets_query.filter(team__slug=team)
    budgets = dict(budgets_query.values_list("team__name", "amount"))
    teams = [
        CapacityTeam(
            team=row["team__name"],
            requested=row["requested"] or Decimal(0),
            approved=row["approved"] or Decimal(0),
            budget=budgets.get(row["team__name"]),
        )
        for row in per_team
        if row["resource_kind"] == kind
    ]
    # The teams asking most; a chart of more bars stops being readable.
    teams = sorted(teams, key=lambda t: (-t.requested, t.team))[:CAPACITY_TEAMS_CHARTED]
    waiting_requests = requests.filter(state=CapacityRequestState.SUBMITTED)
    waiting = list(
        waiting_requests.select_related("team", "program").order_by("submitted_at", "id")[
            :WAITING_ASKS_LISTED
        ]
    )
    return Capacity(
        quarter=quarter,
        kind=kind,
        kind_label=ResourceKind(kind).label,
        unit=RESOURCE_UNITS[kind],
        kinds=[(value, label) for value, label in ResourceKind.choices if value in kinds_seen],
        teams=teams,
        waiting=waiting,
        waiting_count=waiting_requests.count()
        if len(waiting) == WAITING_ASKS_LISTED
        else len(waiting),
    )


# --- The programs table ---------------------------------------------------------------------

SORTS = {
    "score": (F("health_score").asc(nulls_last=True), "name"),
    "-score": (F("health_score").desc(nulls_last=True), "name"),
    "name": ("name",),
    "-name": ("-name",),
    "next": (F("next_milestone_date").asc(nulls_last=True), "name"),
    "-next": (F("next_milestone_date").desc(nulls_last=True), "name"),
    "tpm": ("tpm__first_name", "tpm__last_name", "tpm__username", "name"),
    "-tpm": ("-tpm__first_name", "-tpm__last_name", "-tpm__username", "name"),
}
SORT_LABELS = {
    "score": "Score, worst first",
    "-score": "Score, best first",
    "name": "Name A–Z",
    "-name": "Name Z–A",
    "next": "Next milestone, soonest first",
    "-next": "Next milestone, latest first",
    "tpm": "TPM A–Z",
    "-tpm": "TPM Z–A",
}


def table_programs(*, user, filters: DashboardFilters) -> QuerySet[ListedProgram]:
    """The table's rows: the scoped programs narrowed by grade, flag and cause, with what each
    row shows annotated in the one query (next milestone, latest reported health, the latest
    snapshot's forecast and first reason)."""
    programs = scoped_programs(user=user, filters=filters)
    if filters.grade == "none":
        programs = programs.filter(health_grade="")
    elif filters.grade:
        programs = programs.filter(health_grade=filters.grade)
    if filters.flag == "watermelon":
        programs = programs.filter(health_watermelon=True)
    elif filters.flag == "stale":
        programs = programs.filter(health_stale=True)
    elif filters.flag == "overdue":
        programs = programs.filter(_overdue_update())
    if filters.cause in CAUSES:
        programs = programs.filter(health_cause=filters.cause)
    latest = HealthSnapshot.objects.filter(program=OuterRef("pk")).order_by("-day")
    order = SORTS.get(filters.sort, SORTS["score"])
    return (
        with_list_annotations(programs)
        .annotate(
            latest_forecast=Subquery(latest.values("forecast")[:1]),
            # The deciding reason (the first, as ranked by the engine): its words on the row.
            latest_first_reason=Subquery(latest.values("reasons__0")[:1]),
        )
        .defer("problem_statement", "success_criteria")
        .order_by(*order)
    )


@dataclass
class Sparkline:
    """A score trend drawn as inline SVG: no script, a few hundred bytes."""

    points: list[tuple[datetime.date, int]] = field(default_factory=list)
    width: int = 96
    height: int = 24

    @property
    def polyline(self) -> str:
        if len(self.points) < 2:
            return ""
        first = self.points[0][0]
        span = max(1, (self.points[-1][0] - first).days)
        pad = 2
        coords = []
        for day, score in self.points:
            x = pad + (self.width - 2 * pad) * (day - first).days / span
            y = pad + (self.height - 2 * pad) * (1 - score / 100)
            coords.append(f"{x:.1f},{y:.1f}")
        return " ".join(coords)

    @property
    def last(self) -> tuple[float, float] | None:
        if len(self.points) < 2:
            return None
        x, y = self.polyline.rsplit(" ", 1)[-1].split(",")
        return float(x), float(y)

    @property
    def change(self) -> int:
        return self.points[-1][1] - self.points[0][1] if len(self.points) > 1 else 0


def sparklines(program_ids: Iterable[int], days: list[datetime.date]) -> dict[int, Sparkline]:
    """Each program's score on the weekly days, in one query."""
    lines: dict[int, Sparkline] = defaultdict(Sparkline)
    for program_id, day, score in (
        HealthSnapshot.objects.filter(program_id__in=list(program_ids), day__in=days)
        .order_by("program_id", "day")
        .values_list("program_id", "day", "score")
    ):
        lines[program_id].points.append((day, score))
    return lines


def first_reason_of(program: Program) -> dict[str, Any] | None:
    """The latest snapshot's first reason as pages show it (``health.reason_view``), for a
    yellow or red program; None for a green or unscored one (its reasons are watch lines)."""
    reason = getattr(program, "latest_first_reason", None)
    if not reason or program.health_grade not in (Grade.YELLOW, Grade.RED):
        return None
    return reason_view(reason)


def forecast_of(program: Program, today: datetime.date) -> dict[str, Any] | None:
    """The latest snapshot's forecast of the next critical milestone, as pages show it
    (``panels.forecast_view``: dates parsed, ``overdue_days`` once its target has passed)."""
    return forecast_view(getattr(program, "latest_forecast", None), today)


DASHBOARD_PAGE_SIZE = 25


@dataclass(frozen=True)
class TablePage:
    """A page of the programs table, each row with what it shows beside the program."""

    page: Page
    rows: list[dict[str, Any]]


def table_page(
    *, user, filters: DashboardFilters, page: str | None, today: datetime.date
) -> TablePage:
    """One page of ``table_programs`` with each row's sparkline, forecast and first reason
    (three queries: the count, the page, the sparklines)."""
    programs = table_programs(user=user, filters=filters)
    shown = Paginator(programs, DASHBOARD_PAGE_SIZE).get_page(page)
    lines = sparklines((p.pk for p in shown.object_list), weekly_days(today))
    rows = [
        {
            "program": p,
            "spark": lines.get(p.pk),
            "forecast": forecast_of(p, today),
            "reason": first_reason_of(p),
        }
        for p in shown.object_list
    ]
    return TablePage(shown, rows)


CSV_HEADER = [
    "Program", "Portfolio", "Phase", "TPM", "Grade", "Score", "Cause", "First reason",
    "Watermelon", "Stale", "Reported", "Next milestone", "Next milestone date",
    "Forecast milestone", "Forecast date", "Days late", "Days overdue", "Last update", "URL",
]  # fmt: skip


def csv_rows(
    programs: QuerySet[ListedProgram],
    *,
    base_url: str = "",
    today: datetime.date | None = None,
) -> Iterator[list[str]]:
    """The table as CSV rows (header first), streamed in chunks: one query per 2,000 rows.

    An overdue next critical milestone has its days overdue and no forecast date or days late
    (its forecast would only be today's date)."""
    today = today or timezone.localdate()
    yield CSV_HEADER
    for program in programs.iterator(chunk_size=2000):
        forecast = forecast_of(program, today) or {}
        overdue = forecast.get("overdue_days", 0)
        reason = first_reason_of(program)
        yield [
            program.name,
            program.portfolio.name,
            program.get_phase_display(),
            program.tpm.get_full_name() or program.tpm.username,
            program.get_health_grade_display() if program.health_grade else "",
            "" if program.health_score is None else str(program.health_score),
            program.health_cause,
            reason["text"] if reason else "",
            "yes" if program.health_watermelon else "",
            "yes" if program.health_stale else "",
            (program.latest_reported_health or "").replace("_", " "),
            program.next_milestone_name or "",
            program.next_milestone_date.isoformat() if program.next_milestone_date else "",
            forecast.get("milestone", ""),
            forecast["forecast_date"].isoformat() if forecast and not overdue else "",
            str(forecast.get("days_late", "")) if not overdue else "",
            str(overdue) if overdue else "",
            timezone.localtime(program.last_update_at).strftime("%Y-%m-%d %H:%M")
            if program.last_update_at
            else "",
            f"{base_url}{program.get_absolute_url()}",
        ]


# --- The whole page -------------------------------------------------------------------------


@dataclass(frozen=True)
class Dashboard:
    filters: DashboardFilters
    today: datetime.date
    counts: Counts
    weeks: list[dict[str, Any]]
    slips: list[Milestone]
    launches: list[LaunchReview]
    capacity: Capacity

    @property
    def charted_launches(self) -> list[LaunchReview]:
        """The launches the chart and its table show: the soonest ``LAUNCHES_CHARTED``."""
        return self.launches[:LAUNCHES_CHARTED]


def portfolio_dashboard(
    *, user, filters: DashboardFilters, today: datetime.date | None = None
) -> Dashboard:
    """Everything above the programs table, in a fixed number of queries."""
    today = today or timezone.localdate()
    programs = scoped_programs(user=user, filters=filters)
    counts = _program_counts(programs)
    launches = upcoming_launches(programs, today)
    capacity_data = capacity(programs, today=today, team=filters.team, kind=filters.capacity_kind)
    return Dashboard(
        filters=filters,
        today=today,
        counts=Counts(
            total=counts["total"],
            by_grade={grade.value: counts[grade] for grade in Grade},
            unscored=counts["unscored"],
            watermelons=counts["watermelons"],
            stale=counts["stale"],
            overdue_updates=counts["overdue"],
            launches=len(launches),
            capacity_waiting=capacity_data.waiting_count,
        ),
        weeks=grade_history(programs, weekly_days(today)),
        slips=biggest_slips(programs),
        launches=launches,
        capacity=capacity_data,
    )


def filter_choices() -> tuple[list[Portfolio], list[Team]]:
    """The portfolios and teams the filters offer (names only: nothing confidential)."""
    return (
        list(Portfolio.objects.only("name", "slug").order_by("name")),
        list(Team.objects.only("name", "slug").order_by("name")),
    )
