"""Demo data of the metrics app: success metrics with readings, scores and 12 weeks of history.

Runs when ``seed_demo`` sends ``programs.signals.demo_seeded``. Deterministic per seed, bulk
inserts only, so 10,000 programs stay quick.
"""

import datetime
import random
import time

from django.utils import timezone

from metrics.health import Grade
from metrics.models import Direction, HealthSnapshot, MetricReading, SuccessMetric
from metrics.services import health_recompute
from programs.models import Phase, Portfolio, Program

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
READING_EVERY_DAYS = 14


def seed_metrics(*, seed: int, today: datetime.date, batch_size: int = 2000) -> dict[str, int]:
    """One or two success metrics per active program, with a reading every two weeks.

    How far behind its path a metric runs depends on the program (a few programs lag badly),
    so outcomes cost some programs points and not others.
    """
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
        lag[pk] = rng.choice((0.0, 0.0, 0.05, 0.1, 0.25, 0.45))
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


def _grade(score: int) -> str:
    return Grade.GREEN if score >= 75 else Grade.YELLOW if score >= 50 else Grade.RED


def seed_history(*, seed: int, today: datetime.date, batch_size: int = 2000) -> int:
    """Backfill daily snapshots for the 12 weeks before today, ending at today's real score.

    A seeded random walk backwards from the computed score: the charts show plausible trends
    (some programs sliding, some recovering) without recomputing 84 past days of data.
    """
    rng = random.Random(f"history-{seed}")  # noqa: S311 - demo data, reproducible on purpose
    now = timezone.now()
    current = list(
        HealthSnapshot.objects.filter(day=today).values_list(
            "program_id", "score", "components", "reported_health"
        )
    )
    rows: list[HealthSnapshot] = []
    written = 0
    for program_id, score, components, reported in current:
        drift = rng.choice((-0.6, -0.3, 0.0, 0.0, 0.3, 0.5))  # points per day, going back
        value = float(score)
        for back in range(1, HISTORY_DAYS):
            value = min(100.0, max(5.0, value + drift + rng.uniform(-1.5, 1.5)))
            day_score = round(value)
            rows.append(
                HealthSnapshot(
                    program_id=program_id,
                    day=today - datetime.timedelta(days=back),
                    score=day_score,
                    grade=_grade(day_score),
                    components=components,
                    reasons=[],
                    reported_health=reported,
                    computed_at=now,
                    watermelon=reported == "on_track" and day_score < 75,
                )  # fmt: skip
            )
        if len(rows) >= batch_size * 5:
            HealthSnapshot.objects.bulk_create(rows, batch_size=batch_size, ignore_conflicts=True)
            written += len(rows)
            rows = []
    HealthSnapshot.objects.bulk_create(rows, batch_size=batch_size, ignore_conflicts=True)
    return written + len(rows)


def seed_reports(*, today: datetime.date) -> int:
    """Last week's report of every portfolio, so the reports page has something to read."""
    from metrics.reports import last_complete_week, weekly_report_generate

    week = last_complete_week(today)
    portfolios = list(Portfolio.objects.order_by("pk"))
    for portfolio in portfolios:
        weekly_report_generate(portfolio=portfolio, week_start=week, today=today)
    return len(portfolios)


def on_demo_seeded(sender, *, seed, today, batch_size, with_health, write, **kwargs) -> None:
    started = time.perf_counter()
    counts = seed_metrics(seed=seed, today=today, batch_size=batch_size)
    if with_health:
        counts["programs scored"] = health_recompute(today=today).scored  # done, cancelled: not
        counts["health history rows"] = seed_history(seed=seed, today=today, batch_size=batch_size)
        counts["weekly reports"] = seed_reports(today=today)
    for label, count in counts.items():
        write(f"  {label:<24}  {count:>9,}")
    write(f"Seeded metrics and health in {time.perf_counter() - started:.1f} s.")
