"""Reads for the health engine and the health pages.

``health_inputs`` loads everything the engine needs for a chunk of programs with a fixed number
of queries (one per table), whatever the chunk's size: no query per program or milestone.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable, Iterator

from django.db.models import Count, OuterRef, Subquery
from django.utils import timezone

from metrics.health import (
    LaunchInput,
    MetricInput,
    MilestoneInput,
    Policy,
    ProgramInput,
    RiskInput,
    UpstreamInput,
)
from metrics.models import Direction, HealthPolicy, HealthSnapshot, MetricReading, SuccessMetric
from programs.models import Milestone, MilestoneDateChange, Program, Risk, StatusUpdate
from reviews.selectors import launch_readiness_inputs

# Programs per chunk of a full recompute: memory stays bounded however many programs there are.
CHUNK_SIZE = 1000


def _local_date(value: datetime.datetime | None, zone=None) -> datetime.date | None:
    return value.astimezone(zone or timezone.get_current_timezone()).date() if value else None


def health_inputs(program_ids: Iterable[int]) -> list[ProgramInput]:
    """The engine's inputs for these programs, in seven queries."""
    ids = list(program_ids)
    zone = timezone.get_current_timezone()  # looked up once: per row it costs more than the row
    latest_health = (
        StatusUpdate.objects.filter(program=OuterRef("pk"))
        .order_by("-created_at", "-id")
        .values("reported_health")[:1]
    )
    programs = list(
        Program.objects.filter(pk__in=ids)
        .annotate(reported=Subquery(latest_health))
        .values(
            "id",
            "name",
            "phase",
            "start_date",
            "target_date",
            "created_at",
            "update_cadence_days",
            "last_update_at",
            "reported",
        )  # fmt: skip
        .order_by("id")
    )
    milestones = list(
        Milestone.objects.filter(program_id__in=ids).values_list(
            "id",
            "program_id",
            "name",
            "baseline_date",
            "target_date",
            "state",
            "critical",
            "created_at",
        )  # fmt: skip
    )
    moves = dict(
        MilestoneDateChange.objects.filter(milestone__program_id__in=ids)
        .values("milestone_id")
        .annotate(n=Count("id"))
        .values_list("milestone_id", "n")
    )
    upstream: dict[int, list[UpstreamInput]] = defaultdict(list)
    for row in Milestone.depends_on.through.objects.filter(
        from_milestone__program_id__in=ids
    ).values(
        "from_milestone_id", "to_milestone__name", "to_milestone__program__name",
        "to_milestone__target_date", "to_milestone__state", "to_milestone__program__health_grade",
    ):  # fmt: skip
        upstream[row["from_milestone_id"]].append(
            UpstreamInput(
                name=row["to_milestone__name"],
                program_name=row["to_milestone__program__name"],
                target_date=row["to_milestone__target_date"],
                state=row["to_milestone__state"],
                program_grade=row["to_milestone__program__health_grade"] or "",
            )
        )
    milestones_by_program: dict[int, list[MilestoneInput]] = defaultdict(list)
    no_upstream: tuple[UpstreamInput, ...] = ()
    for pk, program_id, name, baseline, target, state, critical, created_at in milestones:
        milestones_by_program[program_id].append(
            MilestoneInput(
                pk,
                name,
                baseline,
                target,
                state,
                critical,
                None,
                created_at.astimezone(zone).date(),
                moves.get(pk, 0),
                tuple(upstream[pk]) if pk in upstream else no_upstream,
            )  # fmt: skip
        )
    launches = launch_readiness_inputs(ids)
    risks_by_program: dict[int, list[RiskInput]] = defaultdict(list)
    for r in (
        Risk.objects.filter(program_id__in=ids)
        .exclude(state="closed")
        .values("program_id", "title", "likelihood", "impact", "state", "due_date")
    ):
        risks_by_program[r["program_id"]].append(
            RiskInput(r["title"], r["likelihood"], r["impact"], r["state"], r["due_date"])
        )
    latest_reading = MetricReading.objects.filter(metric=OuterRef("pk")).order_by(
        "-measured_on", "-id"
    )
    metrics_by_program: dict[int, list[MetricInput]] = defaultdict(list)
    for m in (
        SuccessMetric.objects.filter(program_id__in=ids)
        .annotate(
            latest_value=Subquery(latest_reading.values("value")[:1]),
            latest_on=Subquery(latest_reading.values("measured_on")[:1]),
        )
        .values(
            "program_id",
            "name",
            "unit",
            "baseline_value",
            "target_value",
            "direction",
            "baseline_date",
            "target_date",
            "latest_value",
            "latest_on",
        )  # fmt: skip
    ):
        metrics_by_program[m["program_id"]].append(
            MetricInput(
                name=m["name"],
                baseline_value=m["baseline_value"],
                target_value=m["target_value"],
                baseline_date=m["baseline_date"],
                target_date=m["target_date"],
                higher_is_better=m["direction"] == Direction.INCREASE,
                latest_value=m["latest_value"],
                latest_at=m["latest_on"],
                unit=m["unit"],
            )
        )
    return [
        ProgramInput(
            id=p["id"],
            name=p["name"],
            phase=p["phase"],
            start_date=p["start_date"],
            target_date=p["target_date"],
            created_on=_local_date(p["created_at"], zone),
            update_cadence_days=p["update_cadence_days"],
            last_update_on=_local_date(p["last_update_at"], zone),
            reported_health=p["reported"],
            milestones=tuple(milestones_by_program.get(p["id"], ())),
            risks=tuple(risks_by_program.get(p["id"], ())),
            metrics=tuple(metrics_by_program.get(p["id"], ())),
            launches=tuple(LaunchInput(*launch) for launch in launches.get(p["id"], ())),
        )
        for p in programs
    ]


def program_id_chunks(
    program_ids: Iterable[int] | None = None, size: int = CHUNK_SIZE
) -> Iterator[list[int]]:
    """All program ids (or the given ones) in chunks, by keyset pagination (no OFFSET)."""
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
        yield chunk
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

    def load_portfolios(self, program_ids: list[int]) -> None:
        if self.by_portfolio:
            self.portfolio_of.update(
                Program.objects.filter(pk__in=program_ids).values_list("pk", "portfolio_id")
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
