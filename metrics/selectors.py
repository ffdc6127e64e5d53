"""Reads for the health engine and the health pages.

``health_inputs`` loads everything the engine needs for a chunk of programs with a fixed number
of queries (one per table), whatever the chunk's size: no query per program or milestone.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable, Iterator

from django.db.models import F, OuterRef, Q, QuerySet, Subquery, Sum, Window
from django.db.models.functions import RowNumber, TruncDate
from django.utils import timezone

from core.queries import fetch_rows, ids_q
from metrics.health import (
    Grade,
    LaunchInput,
    MetricInput,
    MilestoneInput,
    Policy,
    ProgramInput,
    RiskInput,
    UpstreamInput,
    slip_days,
)
from metrics.models import Direction, HealthPolicy, HealthSnapshot, MetricReading, SuccessMetric
from programs.models import (
    OPEN_MILESTONE_STATES,
    Milestone,
    MilestoneState,
    Program,
    Risk,
    StatusUpdate,
)
from reviews.selectors import launch_readiness_inputs

# Programs per chunk of a full recompute: memory stays bounded however many programs there are.
CHUNK_SIZE = 1000

_depends_on = Milestone.depends_on.through


def _troubled(today: datetime.date, *, dependant_target) -> Q:
    """``health.upstream_is_trouble`` on dependency rows: the upstream milestone is open and
    overdue or due after its dependant, or its program is red."""
    return Q(to_milestone__state__in=OPEN_MILESTONE_STATES) & (
        Q(to_milestone__target_date__lt=today) | Q(to_milestone__target_date__gt=dependant_target)
    ) | Q(to_milestone__program__health_grade=Grade.RED)


def _troubled_dependencies(ids: Iterable[int], today: datetime.date) -> QuerySet:
    """Dependency rows of the programs' open milestones on troubled upstream milestones, in a
    fixed order: a milestone's upstream list is part of its inputs, and the order of reasons
    decides which are scaled down when a component runs out of points."""
    return _depends_on.objects.filter(
        _troubled(today, dependant_target=F("from_milestone__target_date")),
        ids_q("from_milestone__program_id", ids),
        from_milestone__state__in=OPEN_MILESTONE_STATES,
    ).order_by("from_milestone_id", "to_milestone_id")


def _notable_milestones(
    ids: Iterable[int], today: datetime.date, *, waiting: Iterable[int]
) -> QuerySet[Milestone]:
    """The chunk's milestones that ``health.summarise`` would list, found in SQL.

    Overdue, moved more than once, waiting on a troubled upstream milestone (``waiting``: their
    ids, already loaded with the dependencies), or the next open critical one (the forecast's
    subject); ordered as the program page lists them. Each test is a set computed once for the
    chunk (PostgreSQL hashes it) or a column, not a subquery per row.
    """
    first_critical = (
        Milestone.objects.filter(
            ids_q("program_id", ids), critical=True, state__in=OPEN_MILESTONE_STATES
        )
        .annotate(
            rank=Window(RowNumber(), partition_by=F("program_id"), order_by=(F("target_date"), F("pk")))
        )
        .filter(rank=1)
        .values("pk")
    )  # fmt: skip
    return (
        Milestone.objects.filter(ids_q("program_id", ids))
        .filter(
            Q(state__in=OPEN_MILESTONE_STATES, target_date__lt=today)
            | Q(pk__in=list(waiting))
            | (Q(times_moved__gt=1) & ~Q(state=MilestoneState.CANCELLED))
            | Q(pk__in=first_critical)
        )
        .order_by("program_id", "pk")
    )


def _slip_days_by_program(ids: Iterable[int]) -> defaultdict[int, int]:
    """Each program's summed slip against baselines (cancelled and pulled-in milestones: 0)."""
    rows = (
        Milestone.objects.filter(ids_q("program_id", ids), target_date__gt=F("baseline_date"))
        .exclude(state=MilestoneState.CANCELLED)
        .values("program_id")
        .annotate(slip=Sum(F("target_date") - F("baseline_date")))
        .values_list("program_id", "slip")
    )
    return defaultdict(int, {program_id: slip.days for program_id, slip in fetch_rows(rows)})


def health_inputs(program_ids: Iterable[int], *, today: datetime.date) -> list[ProgramInput]:
    """The engine's inputs for these programs in their summarised form, in seven queries.

    Only notable milestones are listed (``health.summarise``: typically a fifth of them); the
    slip of the others arrives as ``unlisted_slip_days``, summed in SQL.
    """
    ids = program_ids if isinstance(program_ids, range) else list(program_ids)
    zone = timezone.get_current_timezone()
    latest_health = (
        StatusUpdate.objects.filter(program=OuterRef("pk"))
        .order_by("-created_at", "-id")
        .values("reported_health")[:1]
    )
    programs = fetch_rows(
        Program.objects.filter(ids_q("pk", ids))
        .annotate(
            # Local days, worked out by the database: per row in Python they cost more than
            # the row.
            created_on=TruncDate("created_at", tzinfo=zone),
            last_update_on=TruncDate("last_update_at", tzinfo=zone),
            reported=Subquery(latest_health),
        )
        .values_list(
            "id",
            "name",
            "phase",
            "start_date",
            "target_date",
            "created_on",
            "update_cadence_days",
            "last_update_on",
            "reported",
        )  # fmt: skip
        .order_by("id")
    )
    upstream: dict[int, list[UpstreamInput]] = defaultdict(list)
    # Only troubled upstream milestones of open ones: the others cost nothing.
    for row in fetch_rows(_troubled_dependencies(ids, today).values_list(
        "from_milestone_id", "to_milestone__name", "to_milestone__program__name",
        "to_milestone__target_date", "to_milestone__state", "to_milestone__program__health_grade",
    )):  # fmt: skip
        upstream[row[0]].append(UpstreamInput(row[1], row[2], row[3], row[4], row[5] or ""))
    # MilestoneInput's fields in its order (planned on: its creation day, here; no upstream
    # yet), then the program.
    milestones = (
        _notable_milestones(ids, today, waiting=upstream)
        .annotate(planned_on=TruncDate("created_at", tzinfo=zone))
        .values_list(
            "id", "name", "baseline_date", "target_date", "state", "critical", "completed_date",
            "planned_on", "times_moved", "program_id",
        )
    )  # fmt: skip
    milestones_by_program: dict[int, list[MilestoneInput]] = defaultdict(list)
    # What is left of each program's slip once its listed milestones' is taken out.
    unlisted_slip = _slip_days_by_program(ids)
    for row in fetch_rows(milestones):
        *fields, program_id = row
        upstream_of = upstream.get(row[0])
        if upstream_of:
            fields.append(tuple(upstream_of))
        milestone = MilestoneInput(*fields)
        milestones_by_program[program_id].append(milestone)
        unlisted_slip[program_id] -= slip_days(milestone)
    launches = launch_readiness_inputs(ids)
    risks_by_program: dict[int, list[RiskInput]] = defaultdict(list)
    for program_id, *risk in fetch_rows(
        Risk.objects.filter(ids_q("program_id", ids))
        .exclude(state="closed")
        .values_list("program_id", "title", "likelihood", "impact", "state", "due_date")
    ):  # RiskInput's fields in its order, after the program; the model's order of risks
        risks_by_program[program_id].append(RiskInput(*risk))
    latest_reading = MetricReading.objects.filter(metric=OuterRef("pk")).order_by(
        "-measured_on", "-id"
    )
    metrics_by_program: dict[int, list[MetricInput]] = defaultdict(list)
    for (
        program_id,
        name,
        base,
        target,
        base_on,
        target_on,
        direction,
        value,
        on,
        unit,
    ) in fetch_rows(
        SuccessMetric.objects.filter(ids_q("program_id", ids))
        .annotate(
            latest_value=Subquery(latest_reading.values("value")[:1]),
            latest_on=Subquery(latest_reading.values("measured_on")[:1]),
        )
        .values_list(
            "program_id",
            "name",
            "baseline_value",
            "target_value",
            "baseline_date",
            "target_date",
            "direction",
            "latest_value",
            "latest_on",
            "unit",
        )  # fmt: skip
        # Each program's metrics by name, as the model orders them, without joining programs
        # to sort by their names.
        .order_by("program_id", "name", "id")
    ):
        metrics_by_program[program_id].append(
            MetricInput(
                name,
                base,
                target,
                base_on,
                target_on,
                direction == Direction.INCREASE,
                value,
                on,
                unit,
            )  # fmt: skip
        )
    return [
        ProgramInput(
            *program,  # id to reported health, in ProgramInput's order
            milestones=tuple(milestones_by_program.get(program[0], ())),
            risks=tuple(risks_by_program.get(program[0], ())),
            metrics=tuple(metrics_by_program.get(program[0], ())),
            launches=tuple(LaunchInput(*launch) for launch in launches.get(program[0], ())),
            unlisted_slip_days=unlisted_slip.get(program[0], 0),
        )
        for program in programs
    ]


def program_id_chunks(
    program_ids: Iterable[int] | None = None, size: int = CHUNK_SIZE
) -> Iterator[Iterable[int]]:
    """The given program ids in chunks, or all programs as ``range``s of ids (keyset
    pagination, no OFFSET), each holding ``size`` programs: see ``core.queries.ids_q``."""
    if program_ids is not None:
        ids = sorted(set(program_ids))
        for start in range(0, len(ids), size):
            yield ids[start : start + size]
        return
    last = 0
    while True:
        chunk = list(
            Program.objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:size]
        )
        if not chunk:
            return
        yield range(chunk[0], chunk[-1] + 1)
        last = chunk[-1]


def _policy_from_row(row: HealthPolicy) -> Policy:
    return Policy(
        weights=row.weights(),
        green_at=row.green_at,
        yellow_at=row.yellow_at,
        critical_overdue_ceiling_days=row.critical_overdue_ceiling_days,
        launch_lookahead_days=row.launch_lookahead_days,
        high_exposure=row.high_risk_exposure,
    )


class PolicyBook:
    """Every policy, read once: the default and the per-portfolio overrides."""

    def __init__(self) -> None:
        rows = list(HealthPolicy.objects.order_by("pk"))
        default_row = next((r for r in rows if r.portfolio_id is None), None)
        self.default = _policy_from_row(default_row) if default_row else Policy()
        self.by_portfolio = {r.portfolio_id: _policy_from_row(r) for r in rows if r.portfolio_id}
        self.portfolio_of: dict[int, int] = {}

    def load_portfolios(self, program_ids: Iterable[int]) -> None:
        if self.by_portfolio:
            self.portfolio_of.update(
                Program.objects.filter(ids_q("pk", program_ids)).values_list("pk", "portfolio_id")
            )

    def for_program(self, program: ProgramInput) -> Policy:
        return self.by_portfolio.get(self.portfolio_of.get(program.id), self.default)


def score_history(*, program: Program, days: int = 84) -> list[HealthSnapshot]:
    """The program's daily snapshots over the last ``days`` days (12 weeks), oldest first."""
    since = timezone.localdate() - datetime.timedelta(days=days)
    return list(program.health_snapshots.filter(day__gte=since).order_by("day"))


def latest_snapshot(*, program: Program) -> HealthSnapshot | None:
    return program.health_snapshots.order_by("-day").first()


def metric_input(metric: SuccessMetric, latest: MetricReading | None = None) -> MetricInput:
    """One success metric (and its latest reading, if known) as the engine sees it."""
    return MetricInput(
        name=metric.name,
        baseline_value=metric.baseline_value,
        target_value=metric.target_value,
        baseline_date=metric.baseline_date,
        target_date=metric.target_date,
        higher_is_better=metric.direction == Direction.INCREASE,
        latest_value=latest.value if latest else None,
        latest_at=latest.measured_on if latest else None,
        unit=metric.unit,
    )
