"""The analysts' bulk export: every analytics view as CSV and as Parquet, in one zip.

The views are the single definition of the data (``views.sql``, documented in
``docs/analytics.md``): the export reads them, never the tables. Each view is read once, by a
server-side cursor in batches, and every batch goes both to the zip's CSV entry and to a
Parquet row group, so memory holds one batch whatever the data size. All views are read in one
REPEATABLE READ transaction on a connection of their own: the files agree with each other (a
row cannot appear in one view's file and be missing from another's), and the progress written
on Django's connection is committed as it goes, for the page to poll.

Who may export: admins and leadership only. The views show every program, confidential ones
included, and a zip cannot be filtered per reader once downloaded; TPMs see only the
confidential programs they are on, so they get the insights pages and the API, not this.
"""

import csv
import datetime
import decimal
import io
import json
import logging
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Q
from django.utils import timezone

from core.roles import sees_everything
from metrics.analytics import install
from metrics.models import AnalyticsExport, ExportState

logger = logging.getLogger(__name__)

# Rows per fetch, CSV write and Parquet row group: large enough for Parquet's compression,
# small enough that a batch of the widest view stays a few megabytes.
BATCH_ROWS = 10_000
DICTIONARY_PATH = Path(settings.BASE_DIR) / "docs" / "analytics.md"
NOT_POSTGRESQL = (
    "The export needs PostgreSQL: the analytics schema it reads exists only there, and this "
    "Pulse runs on SQLite."
)
NOT_INSTALLED = "The analytics views are not installed: run `manage.py migrate` to the end first."


class ExportUnavailable(Exception):
    """The database cannot give an export (not PostgreSQL, or the views are not installed)."""


def may_export(user: Any) -> bool:
    return sees_everything(user)


def unavailable_reason(*, db: BaseDatabaseWrapper | None = None) -> str | None:
    """Why an export cannot run on this database (default: Pulse's) now, or None if it can."""
    db = db or connection
    if not install.is_supported(db):
        return NOT_POSTGRESQL
    if not set(install.view_names()) <= install.installed_views(db):
        return NOT_INSTALLED
    return None


# --- Column types: PostgreSQL type OIDs (cursor.description) to Arrow ----------------------

_JSON_OIDS = {114, 3802}
_ARROW_TYPES: dict[int, pa.DataType] = {
    16: pa.bool_(),
    20: pa.int64(),
    21: pa.int16(),
    23: pa.int32(),
    700: pa.float32(),
    701: pa.float64(),
    1700: pa.float64(),  # numeric: analysts compute with floats; exact text stays in the CSV
    1082: pa.date32(),
    1184: pa.timestamp("us", tz="UTC"),
    1114: pa.timestamp("us"),
}


def arrow_schema(description: Sequence[Any]) -> pa.Schema:
    """The Parquet schema from the cursor's columns; types Arrow has no match for are text."""
    return pa.schema(
        [pa.field(col.name, _ARROW_TYPES.get(col.type_code, pa.string())) for col in description]
    )


def _arrow_value(value: Any, kind: pa.DataType) -> Any:
    if value is None:
        return None
    if isinstance(value, decimal.Decimal):
        return float(value)
    if pa.types.is_string(kind) and not isinstance(value, str):
        return json.dumps(value) if isinstance(value, (dict, list)) else str(value)
    return value


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    return value


def record_batch(rows: list[tuple], schema: pa.Schema) -> pa.RecordBatch:
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in schema]
    return pa.record_batch(
        [
            pa.array([_arrow_value(v, field.type) for v in column], type=field.type)
            for column, field in zip(columns, schema, strict=True)
        ],
        schema=schema,
    )


# --- Writing the zip ---------------------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    views_done: int
    views_total: int
    rows_written: int


def _batches(cursor: Any) -> Iterator[list[tuple]]:
    while rows := cursor.fetchmany(BATCH_ROWS):
        yield rows


def _readme(views: list[str], taken_at: datetime.datetime) -> str:
    header = (
        f"Pulse analytics export, read at {taken_at.isoformat()} (one consistent snapshot).\n"
        f"csv/<view>.csv and parquet/<view>.parquet hold the same rows of each view: "
        f"{', '.join(views)}.\n"
        "CSV: UTF-8, a header row, empty for NULL, true/false, ISO 8601 timestamps.\n"
        "The views show every program, confidential ones included: each row of a program's "
        "data has a `confidential` column. Keep this file where only approved readers see it.\n"
        "The data dictionary follows (docs/analytics.md).\n\n"
    )
    return header + DICTIONARY_PATH.read_text(encoding="utf-8")


def write_export(*, target: Path, report: Callable[[Progress], None]) -> Progress:
    """Write the zip to ``target`` (a temporary name beside it first), calling ``report``.

    Raises ExportUnavailable on a database without the analytics views.
    """
    reason = unavailable_reason()
    if reason:
        raise ExportUnavailable(reason)
    views = install.view_names()
    report(Progress(views_done=0, views_total=len(views), rows_written=0))
    partial = target.with_name(target.name + ".partial")
    parquet_scratch = target.with_name(target.name + ".parquet.partial")
    reader = connections.create_connection(DEFAULT_DB_ALIAS)
    rows_written = 0

    def partial_progress(views_done: int, before: int) -> Callable[[int], None]:
        """Progress within a view: the rows of the views before it plus those written so far."""
        return lambda rows: report(Progress(views_done, len(views), before + rows))

    try:
        reader.ensure_connection()
        raw = reader.connection
        # Not autocommit: a server-side cursor lives in a transaction, here one for all views.
        raw.set_session(isolation_level="REPEATABLE READ", readonly=True, autocommit=False)
        taken_at = timezone.now()
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for done, view in enumerate(views):
                # A named cursor is a server-side one: PostgreSQL sends BATCH_ROWS at a time.
                with raw.cursor(name=f"export_{view}") as cursor:
                    cursor.itersize = BATCH_ROWS
                    cursor.execute(f"SELECT * FROM {install.SCHEMA}.{view}")  # noqa: S608 (names from views.sql)
                    rows_written += _write_view(
                        cursor=cursor,
                        view=view,
                        archive=archive,
                        scratch=parquet_scratch,
                        on_batch=partial_progress(done, rows_written),
                    )
                report(Progress(done + 1, len(views), rows_written))
            archive.writestr("README.md", _readme(views, taken_at))
        raw.rollback()
        partial.replace(target)
    finally:
        reader.close()
        partial.unlink(missing_ok=True)
        parquet_scratch.unlink(missing_ok=True)
    return Progress(len(views), len(views), rows_written)


def _write_view(
    *,
    cursor: Any,
    view: str,
    archive: zipfile.ZipFile,
    scratch: Path,
    on_batch: Callable[[int], None],
) -> int:
    """One view: its CSV streamed into the zip, its Parquet built beside it and then added."""
    written = 0
    batches = _batches(cursor)
    first = next(batches, [])
    # A named cursor describes its columns only after the first fetch.
    schema = arrow_schema(cursor.description)
    with (
        archive.open(f"csv/{view}.csv", "w", force_zip64=True) as entry,
        io.TextIOWrapper(entry, encoding="utf-8", newline="") as text,
        pq.ParquetWriter(scratch, schema, compression="zstd") as parquet,
    ):
        out = csv.writer(text)
        out.writerow(schema.names)
        batch = first
        while True:
            out.writerows([_csv_value(v) for v in row] for row in batch)
            parquet.write_batch(record_batch(batch, schema))
            written += len(batch)
            on_batch(written)
            batch = next(batches, [])
            if not batch:
                break
    archive.write(scratch, f"parquet/{view}.parquet")
    scratch.unlink()
    return written


# --- Jobs: start, run, tidy --------------------------------------------------------------


def export_root() -> Path:
    return Path(settings.EXPORT_ROOT)


def exports_recent(*, user: Any, limit: int = 5) -> list[AnalyticsExport]:
    """The user's latest exports, newest first (one query)."""
    return list(AnalyticsExport.objects.filter(requested_by=user)[:limit])


def export_of(*, user: Any, pk: int) -> AnalyticsExport | None:
    """One export if ``user`` started it: nobody else may see or fetch another's."""
    return AnalyticsExport.objects.filter(pk=pk, requested_by=user).first()


def export_file(job: AnalyticsExport) -> Path | None:
    """The job's zip on disk, if it is done and the file is still there."""
    if job.state != ExportState.DONE or not job.path:
        return None
    path = export_root() / job.path
    return path if path.is_file() else None


def exports_delete_old(*, now: datetime.datetime) -> int:
    """Delete exports (rows and files) older than ``EXPORT_KEEP_DAYS``: they hold
    confidential data and go stale, so they are not kept around."""
    cutoff = now - datetime.timedelta(days=settings.EXPORT_KEEP_DAYS)
    old = list(AnalyticsExport.objects.filter(created_at__lt=cutoff))
    for job in old:
        if job.path:
            (export_root() / job.path).unlink(missing_ok=True)
    AnalyticsExport.objects.filter(pk__in=[job.pk for job in old]).delete()
    # A worker killed mid-export leaves its scratch files behind (no finally runs).
    if export_root().is_dir():
        for scratch in export_root().glob("*.partial"):
            if scratch.stat().st_mtime < cutoff.timestamp():
                scratch.unlink(missing_ok=True)
    return len(old)


# Longer than the export task's hard time limit (metrics.tasks.analytics_export): a job still
# queued or running after this has no live worker behind it.
EXPORT_STALLED_AFTER = datetime.timedelta(minutes=20)


def exports_fail_stalled(*, now: datetime.datetime) -> int:
    """Mark failed the exports whose worker went away (killed, or the broker lost the task):
    queued or running for longer than any export may run. Their users see why and start
    another instead of watching a progress bar that never moves."""
    cutoff = now - EXPORT_STALLED_AFTER
    return AnalyticsExport.objects.filter(
        Q(state=ExportState.QUEUED, created_at__lt=cutoff)
        | Q(state=ExportState.RUNNING, started_at__lt=cutoff)
    ).update(
        state=ExportState.FAILED,
        finished_at=now,
        error="The export stopped before it finished (its worker went away); start another.",
    )


def exports_tidy(*, now: datetime.datetime) -> tuple[int, int]:
    """The scheduled sweep: fail the stalled exports, delete the old. Returns both counts."""
    return exports_fail_stalled(now=now), exports_delete_old(now=now)


def export_start(*, user: Any) -> AnalyticsExport:
    """Queue an export for ``user`` (admins and leadership only) and tidy old ones.

    Raises PermissionError for anyone else and ExportUnavailable without the analytics views.
    """
    from metrics.tasks import analytics_export  # tasks import this module's services

    if not may_export(user):
        raise PermissionError("The export holds every program's data: admins and leadership only.")
    reason = unavailable_reason()
    if reason:
        raise ExportUnavailable(reason)
    exports_delete_old(now=timezone.now())
    job = AnalyticsExport.objects.create(requested_by=user, views_total=len(install.view_names()))
    transaction.on_commit(lambda: _enqueue(job.pk, analytics_export))
    return job


def _enqueue(job_id: int, task: Any) -> None:
    try:
        # retry=False: with the broker down, say so on the job at once rather than hang.
        task.apply_async(args=[job_id], retry=False)
    except Exception:  # kombu, redis and socket errors alike
        logger.warning("analytics export %s not enqueued", job_id, exc_info=True)
        AnalyticsExport.objects.filter(pk=job_id, state=ExportState.QUEUED).update(
            state=ExportState.FAILED,
            finished_at=timezone.now(),
            error="The task queue is unavailable; try again in a few minutes.",
        )


def export_run(*, job_id: int) -> AnalyticsExport | None:
    """Build one queued export; the job row records progress, the file and any error.

    Running it again (a redelivered task) starts the same file over.
    """
    job = AnalyticsExport.objects.filter(pk=job_id).first()
    if job is None or job.state == ExportState.DONE:
        return job
    export_root().mkdir(parents=True, exist_ok=True)
    name = f"pulse-analytics-{job.pk}-{timezone.now():%Y%m%d-%H%M%S}.zip"
    AnalyticsExport.objects.filter(pk=job.pk).update(
        state=ExportState.RUNNING, started_at=timezone.now(), error=""
    )

    def report(progress: Progress) -> None:
        AnalyticsExport.objects.filter(pk=job.pk).update(
            views_done=progress.views_done,
            views_total=progress.views_total,
            rows_written=progress.rows_written,
        )

    try:
        done = write_export(target=export_root() / name, report=report)
    except ExportUnavailable as exc:
        _fail(job.pk, str(exc))
    except Exception as exc:
        logger.exception("analytics export %s failed", job.pk)
        _fail(job.pk, f"The export failed ({type(exc).__name__}); see the worker's log.")
    else:
        AnalyticsExport.objects.filter(pk=job.pk).update(
            state=ExportState.DONE,
            finished_at=timezone.now(),
            views_done=done.views_done,
            rows_written=done.rows_written,
            path=name,
            size_bytes=(export_root() / name).stat().st_size,
        )
    job.refresh_from_db()
    return job


def _fail(job_id: int, error: str) -> None:
    AnalyticsExport.objects.filter(pk=job_id).update(
        state=ExportState.FAILED, finished_at=timezone.now(), error=error
    )
