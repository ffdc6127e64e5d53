"""Writes of the metrics domain: storing health results in bulk, and success metrics."""

import dataclasses
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
from typing import Any, NamedTuple

import orjson
from django.db import connection, connections, transaction
from django.db.models import JSONField, UniqueConstraint
from django.utils import timezone

from core.errors import DomainError, StaleWriteError
from core.grades import is_worse
from core.queries import fetch_rows, ids_q
from core.services import UNSET, Maybe, apply_versioned_update, given
from core.types import User
from metrics import health
from metrics.integrations.events import publish
from metrics.integrations.models import EventKind
from metrics.models import Direction, HealthSnapshot, MetricReading, SuccessMetric
from metrics.selectors import CHUNK_SIZE, ChunkInputs, PolicyBook, program_id_chunks
from programs.models import Program
from programs.signals import notify_program_changed

logger = logging.getLogger(__name__)

# The columns of a snapshot, from the model: the upsert writes every one (a test holds
# ``_snapshot`` to them), so a new field is written or the test fails.
SNAPSHOT_FIELDS = tuple(f for f in HealthSnapshot._meta.concrete_fields if not f.primary_key)
SNAPSHOT_COLUMNS = tuple(str(f.column) for f in SNAPSHOT_FIELDS)
# The JSON ones, which SQLite takes as text.
JSON_COLUMNS = frozenset(f.column for f in SNAPSHOT_FIELDS if isinstance(f, JSONField))
# A program has one snapshot a day: the upsert's conflict target, left as it is on update.
(_ONE_PER_DAY,) = (
    c for c in HealthSnapshot._meta.constraints if isinstance(c, UniqueConstraint)
)  # fmt: skip
CONFLICT_COLUMNS = tuple(str(f.column) for f in SNAPSHOT_FIELDS if f.name in _ONE_PER_DAY.fields)


def _column_types() -> str:
    """Each snapshot column with its type in this database (``jsonb_to_recordset``'s list)."""
    return ", ".join(f"{f.column} {f.db_type(connection)}" for f in SNAPSHOT_FIELDS)


class _Stored(NamedTuple):
    """Today's stored snapshot of a program, as the scheduled recompute compares with it."""

    inputs_digest: str
    in_step: bool  # the program's score columns say what the snapshot says


def _stored_today(program_ids: Iterable[int], today: datetime.date) -> dict[int, _Stored]:
    """Today's snapshots of these programs (one query), by program."""
    snapshots = HealthSnapshot.objects.filter(ids_q("program_id", program_ids), day=today)
    rows = snapshots.order_by().values_list(  # unordered (a dict): no sort by program name
        "program_id", "inputs_digest", "score", "grade", "watermelon", "stale",
        "program__health_score", "program__health_grade", "program__health_watermelon",
        "program__health_stale",
    )  # fmt: skip
    return {row[0]: _Stored(row[1], row[2:6] == row[6:10]) for row in fetch_rows(rows)}


def _policy_key(policy: health.Policy) -> bytes:
    """What, besides a program's inputs, decides its result: the engine's version and the
    policy. A program whose inputs digest (this and its inputs) is today's stored one is not
    scored again, so a deploy that bumps ``health.ENGINE_VERSION`` scores every program."""
    policy_fields = {f.name: getattr(policy, f.name) for f in dataclasses.fields(policy)}
    return orjson.dumps({"engine": health.ENGINE_VERSION, "policy": policy_fields})


def _hash(content: bytes) -> str:
    return hashlib.blake2b(content, digest_size=16).hexdigest()


def forecast_json(forecast: health.Forecast | None) -> dict[str, Any] | None:
    if forecast is None:
        return None
    return {
        "milestone_id": forecast.milestone_id,
        "milestone": forecast.milestone_name,
        "target_date": forecast.target_date.isoformat(),
        "forecast_date": forecast.forecast_date.isoformat(),
        "days_late": forecast.days_late,
        "slip_rate": forecast.slip_rate,
    }


class _ScoreRow(NamedTuple):
    """A program's denormalised health columns, as ``_update_program_scores`` writes them."""

    program_id: int
    score: int | None
    grade: str
    watermelon: int  # 0 or 1: SQLite has no boolean to cast from
    stale: int
    cause: str


def _update_program_scores(
    rows: list[_ScoreRow], now: datetime.datetime, *, only_changed: bool
) -> int:
    """Set the denormalised health columns of many programs in one UPDATE per 1,000 rows.

    ``UPDATE ... FROM (VALUES ...)`` (SQLite and PostgreSQL both take it): Django's
    ``bulk_update`` builds a CASE expression per row and field, ten times slower here. With
    ``only_changed`` rows whose columns are already right are left alone: a program row is wide
    and indexed, and rewriting it costs more than computing its score.
    Returns how many programs were written.
    """
    table = connection.ops.quote_name(Program._meta.db_table)
    # VALUES columns are column1..6 in both PostgreSQL and SQLite, in _ScoreRow's order.
    values_of = {
        "health_score": "CAST(scores.column2 AS integer)",
        "health_grade": "scores.column3",
        "health_watermelon": "CAST(scores.column4 AS boolean)",
        "health_stale": "CAST(scores.column5 AS boolean)",
        "health_cause": "scores.column6",
    }
    changed = (
        " AND ("
        + " OR ".join(
            f"{table}.{column} IS DISTINCT FROM {value}" for column, value in values_of.items()
        )
        + ")"
        if only_changed
        else ""
    )
    assignments = ", ".join(f"{column} = {value}" for column, value in values_of.items())
    written = 0
    for start in range(0, len(rows), 1000):
        batch = rows[start : start + 1000]
        values = ", ".join(["(%s, %s, %s, %s, %s, %s)"] * len(batch))
        params = [value for row in batch for value in row]
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET {assignments}, health_computed_at = %s "  # noqa: S608 - placeholders only
                f"FROM (VALUES {values}) AS scores WHERE {table}.id = scores.column1{changed}",
                [now, *params],
            )
            written += cursor.rowcount
    return written


def _json(value: object) -> str:
    """JSON text (for SQLite's JSON columns), written by orjson."""
    return orjson.dumps(value).decode()


def _snapshot(
    result: health.HealthResult,
    reported: str,
    inputs_digest: str,
    today: datetime.date,
    now: datetime.datetime,
) -> dict[str, Any]:
    """A snapshot as the upsert writes it: every one of SNAPSHOT_COLUMNS, by name.

    Its ``digest`` hashes all it stores but its time and digests, as stored (plain JSON
    values, which orjson writes without calling back into Python): the scheduled recompute
    leaves alone a stored snapshot with the same digests.
    """
    if result.grade is None:
        raise ValueError("Only a scored result, which has a grade, is stored as a snapshot.")
    content = {
        "score": result.score,
        "grade": result.grade.value,
        "components": result.components,
        # Structured: pages and the API render each sentence from these (health.reason_text).
        "reasons": [
            {
                "family": family,
                "severity": severity,
                "code": code,
                "subject_id": subject_id,
                "subject": subject,
                "figures": figures,
                "cost": round(cost, 1),
            }
            for family, severity, code, subject_id, subject, figures, cost in result.reasons
        ],
        "watermelon": result.watermelon,
        "reported_health": reported,
        "forecast": forecast_json(result.forecast),
        "stale": result.stale,
    }
    return {
        "program_id": result.program_id,
        "day": today,
        **content,
        "digest": _hash(orjson.dumps(content)),
        "inputs_digest": inputs_digest,
        "computed_at": now,
    }


def _upsert_snapshots(snapshots: list[dict[str, Any]], *, only_changed: bool) -> None:
    """Insert or update the day's snapshots, 1,000 per statement.

    ``INSERT ... ON CONFLICT (program, day) DO UPDATE``, written out because Django's
    ``bulk_create(update_conflicts=True)`` cannot skip rows that would not change: with
    ``only_changed`` a snapshot that already says the same from the same inputs (the same
    digests) is not rewritten, nor its time. On PostgreSQL each statement sends its snapshots
    as one JSON document that ``jsonb_to_recordset`` turns into rows: a third faster than a
    ``VALUES`` list of 13,000 parameters, each quoted by psycopg2 and parsed by PostgreSQL.
    """
    table = connection.ops.quote_name(HealthSnapshot._meta.db_table)
    columns = ", ".join(SNAPSHOT_COLUMNS)
    update = ", ".join(f"{c} = excluded.{c}" for c in SNAPSHOT_COLUMNS if c not in CONFLICT_COLUMNS)
    where = (
        f" WHERE {table}.digest IS DISTINCT FROM excluded.digest"
        f" OR {table}.inputs_digest IS DISTINCT FROM excluded.inputs_digest"
        if only_changed
        else ""
    )
    upsert = f"ON CONFLICT ({', '.join(CONFLICT_COLUMNS)}) DO UPDATE SET {update}{where}"
    for start in range(0, len(snapshots), 1000):
        batch = snapshots[start : start + 1000]
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                typed = _column_types()
                cursor.execute(
                    f"INSERT INTO {table} ({columns}) SELECT {columns} "  # noqa: S608 - no values
                    f"FROM jsonb_to_recordset(%s::jsonb) AS snapshots({typed}) {upsert}",
                    [orjson.dumps(batch).decode()],
                )
            else:
                row = f"({', '.join(['%s'] * len(SNAPSHOT_COLUMNS))})"
                cursor.execute(
                    f"INSERT INTO {table} ({columns}) VALUES "  # noqa: S608 - placeholders only
                    f"{', '.join([row] * len(batch))} {upsert}",
                    [
                        _json(snapshot[column])
                        if column in JSON_COLUMNS and snapshot[column] is not None
                        else snapshot[column]
                        for snapshot in batch
                        for column in SNAPSHOT_COLUMNS
                    ],
                )


@transaction.atomic
def health_results_store(
    *,
    results: list[health.HealthResult],
    inputs: dict[int, health.ProgramInput],
    inputs_digests: dict[int, str],
    today: datetime.date,
    only_changed: bool = False,
) -> int:
    """Write scores to programs and upsert the day's snapshots, in bulk, in one transaction.

    Idempotent: the same results give the same rows (one snapshot per program per day). With
    ``only_changed`` (the scheduled full recompute) the database leaves alone the score rows
    that already hold these results and the snapshots with the same digests. Returns how many
    programs' scores were written.
    """
    now = timezone.now()
    scores = [
        _ScoreRow(
            r.program_id,
            r.score,
            r.grade.value if r.grade else "",
            int(r.watermelon),
            int(r.stale),
            r.cause,
        )
        for r in results
    ]
    snapshots = []
    for r in results:
        if r.scored:
            reported = inputs[r.program_id].reported_health or ""
            snapshots.append(_snapshot(r, reported, inputs_digests[r.program_id], today, now))
    before = _health_before(results)
    written = _update_program_scores(scores, now, only_changed=only_changed)
    _upsert_snapshots(snapshots, only_changed=only_changed)
    _publish_health_changes(results, before, inputs)
    return written


def _health_before(results: list[health.HealthResult]) -> dict[int, tuple[str, bool]]:
    """The stored grade and watermelon flag of the scored programs, before this write (one
    query per chunk): what their new results are compared with for events."""
    ids = [r.program_id for r in results if r.scored]
    if not ids:
        return {}
    rows = Program.objects.filter(pk__in=ids).order_by().values_list(
        "pk", "health_grade", "health_watermelon"
    )  # fmt: skip
    return {pk: (grade, watermelon) for pk, grade, watermelon in rows}


def _publish_health_changes(
    results: list[health.HealthResult],
    before: dict[int, tuple[str, bool]],
    inputs: dict[int, health.ProgramInput],
) -> None:
    """Publish a grade change (from a grade: a first score is none) and a new watermelon,
    on commit (Slack and webhooks, ``metrics.integrations``)."""
    for r in results:
        if r.program_id not in before or r.grade is None:
            continue
        grade_was, watermelon_was = before[r.program_id]
        reason = r.reasons[0].text if r.reasons else ""
        if grade_was and grade_was != r.grade.value:
            publish(
                EventKind.GRADE_CHANGED,
                program=r.program_id,
                data={
                    "from": grade_was,
                    "to": r.grade.value,
                    "worse": is_worse(r.grade.value, grade_was),
                    "score": r.score,
                    "cause": r.cause,
                    "reason": reason,
                },
            )
        if r.watermelon and not watermelon_was:
            publish(
                EventKind.WATERMELON,
                program=r.program_id,
                data={
                    "reported": inputs[r.program_id].reported_health or "",
                    "grade": r.grade.value,
                    "score": r.score,
                    "reason": reason,
                },
            )


def _close_connections(pool: ThreadPoolExecutor, threads: int) -> None:
    """Close the database connections of a pool's threads, each in its own thread: a barrier
    holds every close until each of the ``threads`` threads has taken one."""
    barrier = threading.Barrier(threads)

    def close() -> None:
        barrier.wait(timeout=30)
        connections.close_all()

    futures_wait([pool.submit(close) for _ in range(threads)])


def _serial_plans() -> None:
    """Let this loading thread's connection plan without parallel workers.

    The loading threads already keep the cores busy, a chunk each; a parallel plan on top
    starts workers that each build the same hash tables over the chunk's milestones again. At
    10,000 programs this measured a sixth less PostgreSQL CPU time for the same rows.
    """
    with connection.cursor() as cursor:
        cursor.execute("SET max_parallel_workers_per_gather = 0")


def _loaded_ahead[T](
    chunks: Iterable[Iterable[int]], load: Callable[[Iterable[int]], T], *, ahead: int = 2
) -> Iterator[T]:
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
    with ThreadPoolExecutor(
        max_workers=ahead, thread_name_prefix="health-load", initializer=_serial_plans
    ) as pool:
        try:
            pending: deque[Future[T]] = deque()
            for chunk in chunks:
                pending.append(pool.submit(load, chunk))
                if len(pending) > ahead:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            _close_connections(pool, ahead)


class _StoredBehind:
    """Writes each chunk's results, from the second chunk on, in a thread with its own
    database connection while the caller scores the next chunk; one write at a time.

    Writing a day's first snapshots mostly waits on PostgreSQL, so the scoring goes on
    meanwhile (a second writing thread measured no faster on two cores, where PostgreSQL is
    already busy loading the chunks ahead). The first chunk (every edit, and small sites)
    writes inline.
    """

    def __init__(self) -> None:
        self.first = True
        self.pool: ThreadPoolExecutor | None = None
        self.pending: tuple[Future[int], Callable[[int], None]] | None = None

    def submit(self, store: Callable[[], int], then: Callable[[int], None]) -> None:
        """Run ``store()`` and pass what it returns to ``then`` (in the caller's thread)."""
        if self.first:
            self.first = False
            then(store())
            return
        self.wait()
        if self.pool is None:
            self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="health-store")
        self.pending = (self.pool.submit(store), then)

    def wait(self) -> None:
        if self.pending is not None:
            future, then = self.pending
            self.pending = None
            then(future.result())

    def close(self) -> None:
        if self.pool is not None:
            futures_wait([self.pending[0]] if self.pending else [])
            _close_connections(self.pool, 1)
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
    programs: int  # how many were looked at
    changed: int  # how many had their stored score, grade or watermelon flag written
    scored: int  # how many the engine scored: the others' inputs had not changed today


def health_recompute(
    *,
    program_ids: Iterable[int] | None = None,
    today: datetime.date | None = None,
    progress: Callable[[int], None] | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> Recomputed:
    """Recompute health for these programs (all when None), chunk by chunk.

    Named programs (after an edit, or ``--program``) are always scored and written, so their
    computed time is now. The full recompute (every 30 minutes) is incremental within a day: a
    program whose inputs, policy and engine are what today's snapshot was computed from is
    not scored again (the engine is pure: it would give the same result), and of the others
    only what changed is written. The day's first run scores every program. On PostgreSQL the
    next chunks load, and the last one is written, while this one is scored.
    """
    today = today or timezone.localdate()
    policies = PolicyBook()
    policy_keys: dict[int, bytes] = {}  # by id(policy): engine and policy, worked out once
    done = changed = scored_count = 0
    full = program_ids is None
    chunks = program_id_chunks(program_ids, size=chunk_size)

    reach = policies.reach

    def load(chunk: Iterable[int]) -> tuple[ChunkInputs, dict[int, _Stored] | None]:
        return (
            ChunkInputs(chunk, today=today, reach=reach),
            _stored_today(chunk, today) if full else None,
        )

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
            for inputs, today_stored in loaded:
                policies.load_portfolios(inputs.ids)
                scoring, keys = [], {}
                for program_id in inputs.ids:
                    policy = policies.for_program(program_id)
                    if (policy_key := policy_keys.get(id(policy))) is None:
                        policy_key = policy_keys[id(policy)] = _policy_key(policy)
                    # What the engine would be given, as loaded (the inputs are parsed only for
                    # the programs scored): equal digests, equal results.
                    key = _hash(policy_key + inputs.fingerprint(program_id))
                    was = today_stored.get(program_id) if today_stored else None
                    if not (was and was.in_step and was.inputs_digest == key):
                        scoring.append((inputs.program_input(program_id), policy))
                        keys[program_id] = key
                results = [health.compute(p, today=today, policy=policy) for p, policy in scoring]
                scored_count += sum(r.scored for r in results)  # done, cancelled: never
                store = partial(
                    health_results_store,
                    results=results,
                    inputs={p.id: p for p, _ in scoring},
                    inputs_digests=keys,
                    today=today,
                    only_changed=full,
                )
                then = partial(stored, len(inputs.ids))
                if behind is None:
                    then(store())
                else:
                    behind.submit(store, then)
            if behind is not None:
                behind.wait()
        finally:
            if behind is not None:
                behind.close()
    return Recomputed(done, changed, scored_count)


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
def success_metric_create(
    *,
    program: Program,
    user: User,
    name: str,
    baseline_value: float,
    target_value: float,
    baseline_date: datetime.date,
    target_date: datetime.date,
    unit: str = "",
    direction: str = Direction.INCREASE,
    reading_interval_days: int = 30,
) -> SuccessMetric:
    """Add a success metric to a program (history recorded) and recompute its health on commit."""
    _check_target_path(
        baseline_value=baseline_value,
        target_value=target_value,
        baseline_date=baseline_date,
        target_date=target_date,
    )
    metric = SuccessMetric(
        program=program,
        name=name,
        unit=unit,
        baseline_value=baseline_value,
        target_value=target_value,
        direction=direction,
        baseline_date=baseline_date,
        target_date=target_date,
        reading_interval_days=reading_interval_days,
    )
    metric.full_clean()
    metric._history_user = user
    metric.save()
    notify_program_changed(program.pk)
    return metric


@transaction.atomic
def success_metric_update(
    *,
    metric: SuccessMetric,
    user: User,
    version: int | None,
    name: Maybe[str] = UNSET,
    unit: Maybe[str] = UNSET,
    baseline_value: Maybe[float] = UNSET,
    target_value: Maybe[float] = UNSET,
    direction: Maybe[str] = UNSET,
    baseline_date: Maybe[datetime.date] = UNSET,
    target_date: Maybe[datetime.date] = UNSET,
    reading_interval_days: Maybe[int] = UNSET,
) -> SuccessMetric:
    """Change a metric's given fields if nobody changed it since ``version`` (409 otherwise).

    The row is locked first, so the target path is checked against what the write will
    really change; the program's health is recomputed on commit.
    """
    locked = SuccessMetric.objects.select_for_update().get(pk=metric.pk)
    if version is not None and locked.version != version:
        raise StaleWriteError(current_version=locked.version, submitted_version=version)
    fields = given(
        name=name,
        unit=unit,
        baseline_value=baseline_value,
        target_value=target_value,
        direction=direction,
        baseline_date=baseline_date,
        target_date=target_date,
        reading_interval_days=reading_interval_days,
    )
    _check_target_path(**{name: fields.get(name, getattr(locked, name)) for name in PATH_FIELDS})
    updated = apply_versioned_update(
        instance=locked, expected_version=version, data=fields, user=user
    )
    notify_program_changed(updated.program_id)
    return updated


@transaction.atomic
def metric_reading_record(
    *,
    metric: SuccessMetric,
    user: User,
    value: float,
    measured_on: datetime.date,
    source: str = "",
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
