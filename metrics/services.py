"""Writes of the metrics domain: storing health results in bulk, and success metrics."""

import datetime
import logging
from collections.abc import Callable, Iterable

from django.db import connection, transaction
from django.utils import timezone

from core.errors import DomainError, StaleWriteError
from core.services import apply_versioned_update
from metrics import health
from metrics.models import HealthSnapshot, MetricReading, SuccessMetric
from metrics.selectors import PolicyBook, health_inputs, program_id_chunks
from programs.models import Program
from programs.signals import notify_program_changed

logger = logging.getLogger(__name__)

SNAPSHOT_FIELDS = [
    "score", "grade", "components", "reasons", "watermelon", "reported_health", "forecast",
    "ceiling", "computed_at",
]  # fmt: skip


def _forecast_json(forecast: health.Forecast | None) -> dict | None:
    if forecast is None:
        return None
    return {
        "milestone_id": forecast.milestone_id,
        "milestone": forecast.milestone_name,
        "target_date": forecast.target_date.isoformat(),
        "forecast_date": forecast.forecast_date.isoformat(),
        "days_late": forecast.days_late,
    }


def _update_program_scores(rows: list[tuple[int, int | None, str, int]], now) -> None:
    """Set the denormalised health columns of many programs in one UPDATE per 1,000 rows.

    ``UPDATE ... FROM (VALUES ...)`` (as a CTE, which SQLite and PostgreSQL both take): Django's
    ``bulk_update`` builds a CASE expression per row and field, ten times slower here.
    """
    table = connection.ops.quote_name(Program._meta.db_table)
    for start in range(0, len(rows), 1000):
        batch = rows[start : start + 1000]
        values = ", ".join(["(%s, %s, %s, %s)"] * len(batch))
        params = [value for row in batch for value in row]
        with connection.cursor() as cursor:
            cursor.execute(
                f"WITH scores(id, score, grade, watermelon) AS (VALUES {values}) "  # noqa: S608 - placeholders only
                f"UPDATE {table} SET health_score = CAST(scores.score AS integer), "
                "health_grade = scores.grade, health_watermelon = CAST(scores.watermelon AS boolean), "
                f"health_computed_at = %s FROM scores WHERE {table}.id = scores.id",
                [*params, now],
            )


@transaction.atomic
def health_results_store(
    *,
    results: list[health.HealthResult],
    inputs: dict[int, health.ProgramInput],
    today: datetime.date,
) -> None:
    """Write scores to programs and upsert the day's snapshots, in bulk, in one transaction.

    Idempotent: the same results give the same rows (one snapshot per program per day).
    """
    now = timezone.now()
    scores = []
    snapshots = []
    for result in results:
        scores.append(
            (
                result.program_id,
                result.score,
                result.grade.value if result.grade else "",
                1 if result.watermelon else 0,
            )
        )
        if not result.scored:
            continue
        snapshots.append(
            HealthSnapshot(
                program_id=result.program_id,
                day=today,
                score=result.score,
                grade=result.grade.value,
                components=dict(result.components),
                reasons=[reason.as_dict() for reason in result.reasons],
                watermelon=result.watermelon,
                reported_health=inputs[result.program_id].reported_health or "",
                forecast=_forecast_json(result.forecast),
                ceiling=result.ceiling or "",
                computed_at=now,
            )
        )
    _update_program_scores(scores, now)
    HealthSnapshot.objects.bulk_create(
        snapshots,
        batch_size=500,
        update_conflicts=True,
        unique_fields=["program", "day"],
        update_fields=SNAPSHOT_FIELDS,
    )


def health_recompute(
    *,
    program_ids: Iterable[int] | None = None,
    today: datetime.date | None = None,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Recompute health for these programs (all when None), chunk by chunk. Returns the count."""
    today = today or timezone.localdate()
    policies = PolicyBook()
    done = 0
    for chunk in program_id_chunks(program_ids):
        inputs = health_inputs(chunk)
        policies.load_portfolios(chunk)
        results = [health.compute(p, today=today, policy=policies.for_program(p)) for p in inputs]
        health_results_store(results=results, inputs={p.id: p for p in inputs}, today=today)
        done += len(inputs)
        if progress:
            progress(done)
    return done


# --- Success metrics -------------------------------------------------------------------------

# What a metric's straight target path is drawn from; changing any of them re-checks its shape.
PATH_FIELDS = ("baseline_value", "target_value", "baseline_date", "target_date")


def _check_target_path(
    *,
    baseline_value: float,
    target_value: float,
    baseline_date: datetime.date,
    target_date: datetime.date,
) -> None:
    """A path needs a start before its end and somewhere to go: field messages otherwise.

    The database constraints hold the same rules; checking here names the field at fault.
    """
    errors = {}
    if target_date <= baseline_date:
        errors["target_date"] = ["The target date must be after the baseline date."]
    if target_value == baseline_value:
        errors["target_value"] = ["The target value must differ from the baseline value."]
    if errors:
        raise DomainError(errors)


@transaction.atomic
def success_metric_create(*, program: Program, user, **fields) -> SuccessMetric:
    """Add a success metric to a program (history recorded) and recompute its health on commit."""
    metric = SuccessMetric(program=program, **fields)
    _check_target_path(**{name: getattr(metric, name) for name in PATH_FIELDS})
    metric.full_clean()
    metric._history_user = user
    metric.save()
    notify_program_changed(program.pk)
    return metric


@transaction.atomic
def success_metric_update(
    *, metric: SuccessMetric, user, version: int | None, **fields
) -> SuccessMetric:
    """Change a metric's fields if nobody changed it since ``version`` (409 otherwise).

    The row is locked first, so the target path is checked against what the write will
    really change; the program's health is recomputed on commit.
    """
    locked = SuccessMetric.objects.select_for_update().get(pk=metric.pk)
    if version is not None and locked.version != version:
        raise StaleWriteError(current_version=locked.version, submitted_version=version)
    _check_target_path(**{name: fields.get(name, getattr(locked, name)) for name in PATH_FIELDS})
    updated = apply_versioned_update(
        instance=locked, expected_version=version, data=fields, user=user
    )
    notify_program_changed(updated.program_id)
    return updated


@transaction.atomic
def metric_reading_record(
    *, metric: SuccessMetric, user, value: float, measured_on: datetime.date, source: str = ""
) -> MetricReading:
    """Record a measurement (a fact: never edited) and recompute the program's health on commit.

    A reading cannot be dated in the future: it says what was measured, not what is hoped.
    """
    if measured_on > timezone.localdate():
        raise DomainError({"measured_on": ["A reading cannot be dated in the future."]})
    reading = MetricReading(
        metric=metric, value=value, measured_on=measured_on, source=source, recorded_by=user
    )
    reading.full_clean()
    reading.save()
    notify_program_changed(metric.program_id)
    return reading
