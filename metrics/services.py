"""Writes of the metrics domain: storing health results in bulk, and success metrics."""

import datetime
import gc
import hashlib
import logging
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as futures_wait
from contextlib import contextmanager
from functools import partial
from typing import NamedTuple

import orjson
from django.db import connection, connections, transaction
from django.utils import timezone

from core.errors import DomainError, StaleWriteError
from core.services import apply_versioned_update
from metrics import health
from metrics.models import HealthSnapshot, MetricReading, SuccessMetric
from metrics.selectors import CHUNK_SIZE, PolicyBook, health_inputs, program_id_chunks
from programs.models import Program
from programs.signals import notify_program_changed

logger = logging.getLogger(__name__)

# Every column of a snapshot but its key, in the order the upsert writes them.
SNAPSHOT_FIELDS = [
    "score", "grade", "components", "reasons", "watermelon", "reported_health", "forecast",
    "ceiling", "digest", "computed_at",
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


def _update_program_scores(
    rows: list[tuple[int, int | None, str, int]], now, *, only_changed: bool
) -> int:
    """Set the denormalised health columns of many programs in one UPDATE per 1,000 rows.

    ``UPDATE ... FROM (VALUES ...)`` (SQLite and PostgreSQL both take it): Django's
    ``bulk_update`` builds a CASE expression per row and field, ten times slower here. With
    ``only_changed`` rows whose score, grade and flag are already right are left alone: a
    program row is wide and indexed, and rewriting it costs more than computing its score.
    Returns how many programs were written.
    """
    table = connection.ops.quote_name(Program._meta.db_table)
    # VALUES columns are column1..4 in both PostgreSQL and SQLite: (id, score, grade, watermelon).
    score, grade, watermelon = (
        "CAST(scores.column2 AS integer)", "scores.column3", "CAST(scores.column4 AS boolean)"
    )  # fmt: skip
    changed = (
        f" AND ({table}.health_score IS DISTINCT FROM {score}"
        f" OR {table}.health_grade <> {grade} OR {table}.health_watermelon <> {watermelon})"
        if only_changed
        else ""
    )
    written = 0
    for start in range(0, len(rows), 1000):
        batch = rows[start : start + 1000]
        values = ", ".join(["(%s, %s, %s, %s)"] * len(batch))
        params = [value for row in batch for value in row]
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET health_score = {score}, health_grade = {grade}, "  # noqa: S608 - placeholders only
                f"health_watermelon = {watermelon}, health_computed_at = %s "
                f"FROM (VALUES {values}) AS scores WHERE {table}.id = scores.column1{changed}",
                [now, *params],
            )
            written += cursor.rowcount
    return written


def _json(value) -> str:
    """JSON text for a jsonb column: orjson, which writes a snapshot's reasons ten times faster
    than the standard library (a full recompute writes ten thousand of them)."""
    return orjson.dumps(value).decode()


def _digest(result: health.HealthResult, reported: str) -> str:
    """A hash of all a snapshot stores but its time, taken from the result itself (before any
    JSON is written, so unchanged snapshots cost no JSON).

    It sees the reasons' exact points where the snapshot keeps one decimal: finer than what
    is stored, so an equal digest always means an equal snapshot.
    """
    content = (
        result.score,
        result.grade,
        result.components,
        result.reasons,
        result.watermelon,
        reported,
        result.forecast,
        result.ceiling or "",
    )
    return hashlib.blake2b(orjson.dumps(content, default=tuple), digest_size=16).hexdigest()


def _snapshot_row(result: health.HealthResult, reported: str, digest: str, today, now) -> tuple:
    """A snapshot as the upsert writes it: ``program_id``, ``day``, then SNAPSHOT_FIELDS."""
    reasons = [
        {"component": component, "text": text, "points": round(points, 1)}
        for component, text, _, points in result.reasons
    ]  # as the snapshot stores them: cost in score points, to one decimal
    forecast = _forecast_json(result.forecast)
    return (
        result.program_id,
        today,
        result.score,
        result.grade.value,
        _json(result.components),
        _json(reasons),
        result.watermelon,
        reported,
        _json(forecast) if forecast else None,
        result.ceiling or "",
        digest,
        now,
    )


def _upsert_snapshots(rows: list[tuple], *, only_changed: bool) -> None:
    """Insert or update the day's snapshots, 500 rows per statement.

    ``INSERT ... ON CONFLICT (program, day) DO UPDATE``, written out because Django's
    ``bulk_create(update_conflicts=True)`` cannot skip rows that would not change: with
    ``only_changed`` a snapshot that already says the same (the same digest) is not rewritten,
    nor its time.
    """
    table = connection.ops.quote_name(HealthSnapshot._meta.db_table)
    json_value = "CAST(%s AS jsonb)" if connection.vendor == "postgresql" else "%s"
    placeholder = f"(%s, %s, %s, %s, {json_value}, {json_value}, %s, %s, {json_value}, %s, %s, %s)"
    columns = ["program_id", "day", *SNAPSHOT_FIELDS]
    update = ", ".join(f"{c} = excluded.{c}" for c in SNAPSHOT_FIELDS)
    where = f" WHERE {table}.digest IS DISTINCT FROM excluded.digest" if only_changed else ""
    for start in range(0, len(rows), 500):
        batch = rows[start : start + 500]
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES "  # noqa: S608 - placeholders only
                f"{', '.join([placeholder] * len(batch))} "
                f"ON CONFLICT (program_id, day) DO UPDATE SET {update}{where}",
                [value for row in batch for value in row],
            )


@transaction.atomic
def health_results_store(
    *,
    results: list[health.HealthResult],
    inputs: dict[int, health.ProgramInput],
    today: datetime.date,
    only_changed: bool = False,
) -> int:
    """Write scores to programs and upsert the day's snapshots, in bulk, in one transaction.

    Idempotent: the same results give the same rows (one snapshot per program per day). With
    ``only_changed`` (the scheduled full recompute) rows that already hold these results are
    not rewritten. Returns how many programs' scores were written.
    """
    now = timezone.now()
    reported = {r.program_id: inputs[r.program_id].reported_health or "" for r in results}
    digests = {r.program_id: _digest(r, reported[r.program_id]) for r in results if r.scored}
    if only_changed and digests:
        # Today's stored snapshots and scores: a program whose snapshot (by digest) and score
        # columns already say this is not sent at all, nor its JSON written.
        stored = {
            program_id: rest
            for program_id, *rest in HealthSnapshot.objects.filter(
                day=today, program_id__gte=min(digests), program_id__lte=max(digests)
            ).values_list(
                "program_id",
                "digest",
                "program__health_score",
                "program__health_grade",
                "program__health_watermelon",
            )  # fmt: skip
        }
        results = [
            r
            for r in results
            if stored.get(r.program_id)
            != [digests.get(r.program_id), r.score, r.grade.value if r.grade else "", r.watermelon]
        ]
    scores = [
        (r.program_id, r.score, r.grade.value if r.grade else "", 1 if r.watermelon else 0)
        for r in results
    ]
    snapshots = [
        _snapshot_row(r, reported[r.program_id], digests[r.program_id], today, now)
        for r in results
        if r.scored
    ]
    written = _update_program_scores(scores, now, only_changed=only_changed)
    _upsert_snapshots(snapshots, only_changed=only_changed)
    return written


def _close_connections_after(barrier: threading.Barrier) -> None:
    barrier.wait(timeout=30)
    connections.close_all()


def _loaded_ahead(
    chunks: Iterable[Iterable[int]], load: Callable[[Iterable[int]], list], *, ahead: int = 2
) -> Iterator[list]:
    """``load(chunk)`` for each chunk, in order; from the second chunk on, the next ``ahead``
    chunks load in threads (each with its own database connection) while the caller scores
    and writes this one.

    A load mostly waits on PostgreSQL, which runs on another core: with two in flight, one
    thread's queries run while the other builds its rows, and loading nearly disappears
    from a long recompute. One chunk (every edit, and small sites) loads inline.
    """
    chunks = iter(chunks)
    first = next(chunks, None)
    if first is None:
        return
    yield load(first)
    with ThreadPoolExecutor(max_workers=ahead, thread_name_prefix="health-load") as pool:
        try:
            pending: deque = deque()
            for chunk in chunks:
                pending.append(pool.submit(load, chunk))
                if len(pending) > ahead:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            # Each thread closes its own connection: the barrier holds every close until all
            # the pool's threads have taken one.
            barrier = threading.Barrier(ahead)
            for _ in range(ahead):
                pool.submit(_close_connections_after, barrier)


class _StoredBehind:
    """Writes each chunk's results, from the second chunk on, in one thread with its own
    database connection while the caller scores the next chunk: one write at a time, in order.

    A write of a day's first snapshots mostly waits on PostgreSQL (on another core), so the
    scoring goes on meanwhile. The first chunk (every edit, and small sites) writes inline.
    """

    def __init__(self) -> None:
        self.first = True
        self.pool: ThreadPoolExecutor | None = None
        self.pending: tuple[Future, Callable[[int], None]] | None = None

    def submit(self, store: Callable[[], int], then: Callable[[int], None]) -> None:
        """Run ``store()`` and pass what it returns to ``then`` (in the caller's thread)."""
        if self.first:
            self.first = False
            then(store())
            return
        if self.pool is None:
            self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="health-store")
        self.wait()
        self.pending = (self.pool.submit(store), then)

    def wait(self) -> None:
        if self.pending is not None:
            future, then = self.pending
            self.pending = None
            then(future.result())

    def close(self) -> None:
        if self.pool is not None:
            futures_wait([self.pending[0]] if self.pending else [])
            self.pool.submit(connections.close_all).result()  # the thread's connection
            self.pool.shutdown()


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for a bulk computation.

    A full recompute allocates a few hundred thousand short-lived tuples, none in reference
    cycles, each freed as its chunk is done; the collector would walk every live object of the
    process again and again for nothing (about a tenth of the run). It resumes afterwards.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class Recomputed(NamedTuple):
    programs: int  # how many were scored
    changed: int  # how many had their stored score, grade or watermelon flag written


def health_recompute(
    *,
    program_ids: Iterable[int] | None = None,
    today: datetime.date | None = None,
    progress: Callable[[int], None] | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> Recomputed:
    """Recompute health for these programs (all when None), chunk by chunk.

    Named programs (after an edit, or ``--program``) are always written, so their computed
    time is now. The full recompute (every 30 minutes) writes only what changed: most scores
    do not move between two runs, and rewriting 10,000 unchanged rows would cost more than
    computing them. On PostgreSQL the next chunk loads while this one is scored and written.
    """
    today = today or timezone.localdate()
    policies = PolicyBook()
    done = changed = 0
    chunks = program_id_chunks(program_ids, size=chunk_size)
    load = partial(health_inputs, today=today)
    only_changed = program_ids is None

    def stored(count: int, changed_now: int) -> None:
        nonlocal done, changed
        done += count
        changed += changed_now
        if progress:
            progress(done)

    if connection.vendor == "postgresql":  # SQLite lets one connection write at a time
        loaded, behind = _loaded_ahead(chunks, load), _StoredBehind()
    else:
        loaded, behind = map(load, chunks), None
    with _collector_paused():
        try:
            for inputs in loaded:
                policies.load_portfolios([p.id for p in inputs])
                results = [
                    health.compute(p, today=today, policy=policies.for_program(p)) for p in inputs
                ]
                store = partial(
                    health_results_store,
                    results=results,
                    inputs={p.id: p for p in inputs},
                    today=today,
                    only_changed=only_changed,
                )
                then = partial(stored, len(inputs))
                if behind is None:
                    then(store())
                else:
                    behind.submit(store, then)
            if behind is not None:
                behind.wait()
        finally:
            if behind is not None:
                behind.close()
    return Recomputed(done, changed)


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
