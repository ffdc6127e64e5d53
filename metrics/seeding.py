"""Demo data of the metrics app: success metrics with readings, scores and 12 weeks of history.

Runs as ``seed_demo``'s step ``metrics.health`` (``programs.demo``, stage HISTORY, after the
reviews). Deterministic per seed, bulk inserts only, so 10,000 programs stay quick.
"""

import bisect
import datetime
import random
import time
from collections import defaultdict
from collections.abc import Mapping

from django.utils import timezone

from core.grades import Grade
from metrics import health
from metrics.health import MilestoneInput, Policy, is_watermelon
from metrics.models import Direction, HealthSnapshot, MetricReading, SuccessMetric
from metrics.selectors import PolicyBook
from metrics.services import forecast_json, health_recompute
from metrics.tuning import forecast_tune
from programs.models import (
    Milestone,
    MilestoneDateChange,
    MilestoneState,
    Phase,
    Portfolio,
    Program,
    StatusUpdate,
)

# (name, unit, baseline, target): what infrastructure programs promise to move.
METRIC_KINDS = [
    ("Hosts on the new kernel", "hosts", 0, 12000),
    ("Services migrated", "services", 0, 340),
    ("p99 request latency", "ms", 420, 180),
    ("Monthly infrastructure cost", "k$", 910, 640),
    ("Traffic served from the new region", "%", 0, 35),
    ("Endpoints on TLS 1.3", "%", 22, 100),
    ("Secrets rotated automatically", "%", 5, 95),
    ("Pages per on-call week", "pages", 48, 12),
    ("Clusters on Postgres 17", "clusters", 0, 86),
    ("Queues off the legacy broker", "queues", 0, 1500),
    ("Dashboards on the new pipeline", "dashboards", 0, 420),
    ("IPv6-reachable services", "%", 8, 100),
]
HISTORY_DAYS = 84  # 12 weeks of daily snapshots behind every trend chart
# How far behind its path a healthy program's metric runs (a share of the progress due): at
# most a tenth, with the readings' noise of 3% well inside the rubric's 25%.
ON_PATH_LAGS = (0.0, 0.0, 0.03, 0.05, 0.08, 0.1)
READING_EVERY_DAYS = 14


def seed_metrics(
    *,
    seed: int,
    today: datetime.date,
    batch_size: int = 2000,
    stories: Mapping[int, str] | None = None,
) -> dict[str, int]:
    """One or two success metrics per active program, with a reading every two weeks.

    A program whose story (``seed_demo``'s) is a metric behind its path runs 70% behind it
    (more than a quarter of the distance, half way through: yellow); the others stay within
    a tenth of it, as healthy programs do.
    """
    stories = stories or {}
    rng = random.Random(f"metrics-{seed}")  # noqa: S311 - demo data, reproducible on purpose
    programs = list(
        Program.objects.exclude(phase__in=[Phase.PROPOSED, Phase.CANCELLED])
        .order_by("pk")
        .values_list("pk", "start_date", "target_date")
    )
    metrics: list[SuccessMetric] = []
    lag: dict[int, float] = {}
    for pk, start, target in programs:
        if target <= start:
            continue
        for name, unit, baseline, goal in rng.sample(METRIC_KINDS, k=rng.choice((1, 1, 2))):
            metrics.append(
                SuccessMetric(
                    program_id=pk,
                    name=name,
                    unit=unit,
                    baseline_value=baseline,
                    target_value=goal,
                    direction=Direction.INCREASE if goal > baseline else Direction.DECREASE,
                    baseline_date=start,
                    target_date=target,
                )  # fmt: skip
            )
        lag[pk] = 0.7 if stories.get(pk) == "metric_behind" else rng.choice(ON_PATH_LAGS)
    SuccessMetric.objects.bulk_create(metrics, batch_size=batch_size)
    readings: list[MetricReading] = []
    for metric in metrics:
        span = (metric.target_date - metric.baseline_date).days
        day = metric.baseline_date + datetime.timedelta(days=READING_EVERY_DAYS)
        while day <= min(today, metric.target_date):
            progress = (day - metric.baseline_date).days / span
            achieved = max(0.0, progress * (1 - lag[metric.program_id]) + rng.uniform(-0.03, 0.03))
            value = metric.baseline_value + (metric.target_value - metric.baseline_value) * achieved
            readings.append(
                MetricReading(
                    metric=metric, value=round(value, 1), measured_on=day, source="Weekly export"
                )
            )
            day += datetime.timedelta(days=READING_EVERY_DAYS)
    MetricReading.objects.bulk_create(readings, batch_size=batch_size)
    return {"success metrics": len(metrics), "metric readings": len(readings)}


def seed_history(*, seed: int, today: datetime.date, batch_size: int = 2000) -> int:
    """Backfill daily snapshots for the 12 weeks before today (since the program was created),
    ending at today's real score.

    A seeded random walk backwards from the computed score, each day's grade the band its score
    lies in (so a score is always inside its grade's band), draws plausible trends (some
    programs sliding, some recovering) without recomputing 84 past days of data. What the
    program's updates said is replayed: each day's reported health is its latest update's, and
    a day on which that update was older than the freshness window is stale, and graded as
    its silence would have been (yellow, red beyond four cadences). A watermelon is a current
    "on track" over a yellow or red grade.

    Each day's forecast is the engine's, replayed: the next critical milestone open that day,
    at the target date it had that day (``_CriticalReplay``), so the forecast accuracy page has
    a history to measure.
    """
    rng = random.Random(f"history-{seed}")  # noqa: S311 - demo data, reproducible on purpose
    now = timezone.now()
    zone = timezone.get_current_timezone()
    current = list(
        HealthSnapshot.objects.filter(day=today)
        .order_by("program_id")
        .values_list("program_id", "score", "components")
    )
    ids = [program_id for program_id, _score, _components in current]
    policies = PolicyBook()
    policies.load_portfolios(ids)
    programs = {
        pk: (created.astimezone(zone).date(), cadence)
        for pk, created, cadence in Program.objects.filter(pk__in=ids).values_list(
            "pk", "created_at", "update_cadence_days"
        )
    } if ids else {}  # fmt: skip
    updates: dict[int, list[tuple[datetime.date, str]]] = defaultdict(list)
    for program_id, created_at, reported in (
        StatusUpdate.objects.filter(program_id__in=ids, created_at__date__lt=today)
        .order_by("program_id", "created_at", "id")
        .values_list("program_id", "created_at", "reported_health")
    ):
        updates[program_id].append((created_at.astimezone(zone).date(), reported))
    criticals = _CriticalReplay.of_programs(ids, zone)
    rows: list[HealthSnapshot] = []
    written = 0
    for program_id, score, components in current:
        policy = policies.for_program(program_id)
        replays = criticals.get(program_id, [])
        created_on, cadence = programs[program_id]
        posted = updates.get(program_id, [])
        posted_days = [on for on, _reported in posted]
        # Points per day, going back: up to some 25 points over the 12 weeks, so that most
        # programs keep their grade and a few slid into it or recovered from it.
        drift = rng.choice((-0.3, -0.15, 0.0, 0.0, 0.15, 0.25))
        value = float(score)
        for back in range(1, HISTORY_DAYS):
            day = today - datetime.timedelta(days=back)
            if day < created_on:
                break
            value = min(100.0, max(5.0, value + drift + rng.uniform(-1.5, 1.5)))
            latest = bisect.bisect_right(posted_days, day) - 1
            last_on, reported = posted[latest] if latest >= 0 else (None, "")
            silence = (day - (last_on or created_on)).days
            stale = silence > policy.stale_yellow_cadences * cadence
            day_score = round(value)
            if stale:  # silence is yellow at least; red beyond four cadences since an update
                red = last_on is not None and silence > policy.stale_red_cadences * cadence
                day_score = min(day_score, (policy.yellow_at if red else policy.green_at) - 1)
            grade = _grade(day_score, policy)
            rows.append(
                HealthSnapshot(
                    program_id=program_id,
                    day=day,
                    score=day_score,
                    grade=grade,
                    components=components,
                    reasons=[],
                    reported_health=reported,
                    computed_at=now,
                    watermelon=is_watermelon(reported or None, grade, stale=stale),
                    stale=stale,
                    forecast=_CriticalReplay.forecast(replays, day, policy),
                )  # fmt: skip
            )
        if len(rows) >= batch_size * 5:
            HealthSnapshot.objects.bulk_create(rows, batch_size=batch_size, ignore_conflicts=True)
            written += len(rows)
            rows = []
    HealthSnapshot.objects.bulk_create(rows, batch_size=batch_size, ignore_conflicts=True)
    return written + len(rows)


class _CriticalReplay:
    """A critical milestone as it stood on a past day: open or not, and its target that day
    (the date it was moved from by its first move after that day, else today's target)."""

    def __init__(self, row: tuple, moves: list[tuple[datetime.date, datetime.date]]) -> None:
        self.id, self.name, self.baseline, self.target, self.completed, self.planned_on = row
        self.moves = moves  # (day moved, date moved from), in order

    def as_of(self, day: datetime.date) -> MilestoneInput | None:
        """The milestone as the engine would have seen it on ``day`` (None: not open then)."""
        if day < self.planned_on or (self.completed is not None and self.completed <= day):
            return None
        target = next((was for moved_on, was in self.moves if moved_on > day), self.target)
        return MilestoneInput(
            self.id, self.name, self.baseline, target, MilestoneState.IN_PROGRESS,
            critical=True, planned_on=self.planned_on,
        )  # fmt: skip

    @staticmethod
    def forecast(
        replays: list["_CriticalReplay"], day: datetime.date, policy: Policy
    ) -> dict | None:
        first = health.next_critical(m for r in replays if (m := r.as_of(day)) is not None)
        if first is None or first.planned_on is None:
            return None
        return forecast_json(
            health.forecast_of(
                first, day, planned_on=first.planned_on, slip_factor=policy.forecast_slip_factor
            )
        )

    @classmethod
    def of_programs(
        cls, ids: list[int], zone: datetime.tzinfo
    ) -> dict[int, list["_CriticalReplay"]]:
        """Every critical milestone not cancelled of these programs, by program (two queries)."""
        critical = Milestone.objects.filter(program_id__in=ids, critical=True).exclude(
            state=MilestoneState.CANCELLED
        )
        moves: dict[int, list[tuple[datetime.date, datetime.date]]] = defaultdict(list)
        for milestone_id, changed_at, from_date in (
            MilestoneDateChange.objects.filter(milestone__in=critical)
            .order_by("milestone_id", "changed_at", "pk")
            .values_list("milestone_id", "changed_at", "from_date")
        ):
            moves[milestone_id].append((changed_at.astimezone(zone).date(), from_date))
        found: dict[int, list[_CriticalReplay]] = defaultdict(list)
        for program_id, pk, name, baseline, target, completed, created_at in critical.order_by(
            "pk"
        ).values_list(
            "program_id", "pk", "name", "baseline_date", "target_date", "completed_date",
            "created_at",
        ):  # fmt: skip
            planned_on = created_at.astimezone(zone).date()  # the plan was agreed on creation
            row = (pk, name, baseline, target, completed, planned_on)
            found[program_id].append(cls(row, moves.get(pk, [])))
        return found


def _grade(score: int, policy: Policy) -> Grade:
    """The grade whose band holds a score."""
    if score >= policy.green_at:
        return Grade.GREEN
    return Grade.YELLOW if score >= policy.yellow_at else Grade.RED


def seed_reports(*, today: datetime.date) -> int:
    """Last week's report of every portfolio, so the reports page has something to read."""
    from metrics.reports.build import last_complete_week
    from metrics.reports.services import weekly_report_generate

    week = last_complete_week(today)
    portfolios = list(Portfolio.objects.order_by("pk"))
    for portfolio in portfolios:
        weekly_report_generate(portfolio=portfolio, week_start=week, today=today)
    return len(portfolios)


def on_demo_seeded(*, seed, today, batch_size, with_health, write, **kwargs) -> None:
    started = time.perf_counter()
    counts = seed_metrics(
        seed=seed, today=today, batch_size=batch_size, stories=kwargs.get("stories") or {}
    )
    if with_health:
        counts["programs scored"] = health_recompute(today=today).scored  # done, cancelled: not
        counts["health history rows"] = seed_history(seed=seed, today=today, batch_size=batch_size)
        # The weekly tuning, as if it ran this morning: it measures the history just replayed.
        tuning = forecast_tune(now=timezone.now())
        if tuning.changed:  # today's scores were computed with the old factor
            health_recompute(today=today)
        counts["forecasts measured"] = tuning.samples
        counts["weekly reports"] = seed_reports(today=today)
    for label, count in counts.items():
        write(f"  {label:<24}  {count:>9,}")
    write(f"Seeded metrics and health in {time.perf_counter() - started:.1f} s.")
