"""The analysts' bulk export: a zip of every analytics view as CSV and Parquet, built by a real
Celery worker, polled for progress, downloaded by its owner only; refused politely where the
analytics views do not exist; old exports deleted."""

import csv
import datetime
import io
import os
import zipfile

import pyarrow.parquet as pq
import pytest
import redis
from django.db import connection
from django.db.utils import ConnectionHandler
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from metrics.analytics import export, install
from metrics.models import AnalyticsExport, ExportState
from tests.celery_support import celery_worker, wait_for
from tests.conftest import client_for
from tests.factories import UserFactory
from tests.metrics.test_analytics import build_world

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def export_root(tmp_path):
    with override_settings(EXPORT_ROOT=tmp_path):
        yield tmp_path


def view_rows(view: str) -> tuple[list[str], list[tuple]]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM analytics.{view}")  # noqa: S608 (names from views.sql)
        return [col.name for col in cursor.description], cursor.fetchall()


def check_zip(content: bytes) -> dict[str, int]:
    """Every view's CSV and Parquet hold the view's rows and columns; returns rows per view."""
    archive = zipfile.ZipFile(io.BytesIO(content))
    views = install.view_names()
    assert sorted(archive.namelist()) == sorted(
        ["README.md"] + [f"csv/{v}.csv" for v in views] + [f"parquet/{v}.parquet" for v in views]
    )
    assert "# The analytics schema" in archive.read("README.md").decode()
    counts = {}
    for view in views:
        columns, rows = view_rows(view)
        with archive.open(f"csv/{view}.csv") as raw:
            lines = list(csv.reader(io.TextIOWrapper(raw, encoding="utf-8", newline="")))
        assert lines[0] == columns, view
        assert len(lines) - 1 == len(rows), view
        table = pq.read_table(io.BytesIO(archive.read(f"parquet/{view}.parquet")))
        assert table.column_names == columns, view
        assert table.num_rows == len(rows), view
        counts[view] = len(rows)
    return counts


# --- Built by a real worker -----------------------------------------------------------------


@pytest.fixture(scope="module")
def worker(django_db_setup, live_server, tmp_path_factory):
    """A Celery worker writing exports under a temporary EXPORT_ROOT (it reads the variable).

    django_db_setup first: the worker is started on the test database, which must exist.
    """
    root = tmp_path_factory.mktemp("exports")
    try:
        redis.Redis.from_url(REDIS_URL).flushdb()
    except redis.ConnectionError:
        pytest.fail(f"Redis is not reachable at {REDIS_URL}")
    previous = os.environ.get("EXPORT_ROOT")
    os.environ["EXPORT_ROOT"] = str(root)
    try:
        with celery_worker(REDIS_URL) as process, override_settings(EXPORT_ROOT=root):
            yield process
    finally:
        if previous is None:
            os.environ.pop("EXPORT_ROOT", None)
        else:
            os.environ["EXPORT_ROOT"] = previous


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_worker_builds_a_zip_of_every_view_that_its_owner_downloads(worker):
    world = build_world()
    leader = UserFactory(username="lee.leader", roles=["Leadership"])
    api = APIClient()
    api.force_authenticate(leader)

    started = api.post("/api/v1/analytics/exports/")
    assert started.status_code == 202, started.content
    job_url = started.json()["url"]
    assert started["Location"] == job_url
    assert started.json()["state"] == "queued"

    def finished():
        body = api.get(job_url).json()
        return body if body["state"] in ("done", "failed") else None

    body = wait_for(finished, 60, "the export to finish", 0.2)
    assert body["state"] == "done", body["error"]
    assert body["views_done"] == body["views_total"] == len(install.view_names())
    assert body["percent"] == 100

    download = api.get(body["download_url"])
    assert download.status_code == 200
    assert download["Content-Type"] == "application/zip"
    content = b"".join(download.streaming_content)
    counts = check_zip(content)
    assert body["rows_written"] == sum(counts.values()) > 0
    assert body["size_bytes"] == len(content)
    # The confidential program is in the export: that is why only leadership and admins get it.
    programs = pq.read_table(
        io.BytesIO(zipfile.ZipFile(io.BytesIO(content)).read("parquet/programs.parquet"))
    )
    confidential = dict(
        zip(programs["slug"].to_pylist(), programs["confidential"].to_pylist(), strict=True)
    )
    assert confidential == {world["public"].slug: False, world["secret"].slug: True}

    # Someone else, even in leadership, cannot see or fetch it.
    other = APIClient()
    other.force_authenticate(UserFactory(username="other.leader", roles=["Leadership"]))
    assert other.get(job_url).status_code == 404
    assert other.get(body["download_url"]).status_code == 404


# --- The export itself, run in this process -------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_progress_moves_batch_by_batch_and_view_by_view(export_root, monkeypatch):
    build_world()
    monkeypatch.setattr(export, "BATCH_ROWS", 1)  # one row per batch: every row reports
    seen: list[export.Progress] = []
    done = export.write_export(target=export_root / "x.zip", report=seen.append)

    views = len(install.view_names())
    assert seen[0] == export.Progress(0, views, 0)
    assert seen[-1] == done == export.Progress(views, views, done.rows_written)
    assert [p.views_done for p in seen] == sorted(p.views_done for p in seen)
    assert [p.rows_written for p in seen] == sorted(p.rows_written for p in seen)
    assert len({p.rows_written for p in seen}) == done.rows_written + 1  # each row counted once
    counts = check_zip((export_root / "x.zip").read_bytes())
    assert done.rows_written == sum(counts.values())
    assert sorted(p.name for p in export_root.iterdir()) == ["x.zip"]  # no scratch files left


@pytest.mark.django_db(transaction=True)
def test_a_view_with_no_rows_still_gets_its_files_with_columns(export_root):
    export.write_export(target=export_root / "empty.zip", report=lambda _: None)
    counts = check_zip((export_root / "empty.zip").read_bytes())
    assert set(counts.values()) == {0}


@pytest.mark.django_db(transaction=True)
def test_a_failed_run_says_so_on_the_job_and_leaves_no_file(export_root, leader):
    job = AnalyticsExport.objects.create(requested_by=leader, views_total=1)
    with connection.cursor() as cursor:  # committed: the export's own connection sees it
        cursor.execute("ALTER VIEW analytics.programs RENAME TO programs_gone")
    try:
        export.export_run(job_id=job.pk)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("ALTER VIEW analytics.programs_gone RENAME TO programs")
    job.refresh_from_db()
    assert job.state == ExportState.FAILED
    assert job.error == export.NOT_INSTALLED
    assert export.export_file(job) is None
    assert list(export_root.iterdir()) == []


# --- The page --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_only_admins_and_leadership_may_export(client, tpm, leader, admin_user, outsider):
    assert client_for(client, tpm).get("/insights/export/").status_code == 403
    assert client_for(client, outsider).get("/insights/export/").status_code == 403
    assert client_for(client, admin_user).get("/insights/export/").status_code == 200
    page = client_for(client, leader).get("/insights/export/")
    assert page.status_code == 200
    assert b"Start an export" in page.content
    assert b'href="/insights/export/"' in client.get("/insights/").content
    assert b'href="/insights/export/"' not in client_for(client, tpm).get("/insights/").content
    api = APIClient()
    api.force_authenticate(tpm)
    assert api.post("/api/v1/analytics/exports/").status_code == 403


@pytest.mark.django_db
def test_the_page_lists_progress_polled_every_two_seconds_until_done(client, leader, export_root):
    running = AnalyticsExport.objects.create(
        requested_by=leader, state=ExportState.RUNNING, views_total=16, views_done=4,
        rows_written=1234,
    )  # fmt: skip
    (export_root / "done.zip").write_bytes(b"PK zip")
    done = AnalyticsExport.objects.create(
        requested_by=leader, state=ExportState.DONE, views_total=16, views_done=16,
        path="done.zip", size_bytes=6,
    )  # fmt: skip
    page = client_for(client, leader).get("/insights/export/").content.decode()
    assert f'hx-get="/insights/export/{running.pk}/progress/" hx-trigger="every 2s"' in page
    assert 'value="25"' in page and "4 of 16 views · 1234 rows" in page
    assert f'href="/insights/export/{done.pk}/download/"' in page

    row = client.get(f"/insights/export/{running.pk}/progress/").content.decode()
    assert "hx-trigger" in row
    AnalyticsExport.objects.filter(pk=running.pk).update(state=ExportState.FAILED, error="boom")
    row = client.get(f"/insights/export/{running.pk}/progress/").content.decode()
    assert "hx-trigger" not in row and "boom" in row  # polling stops once it ended

    download = client.get(f"/insights/export/{done.pk}/download/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"PK zip"
    assert 'attachment; filename="done.zip"' in download["Content-Disposition"]


@pytest.mark.django_db
def test_someone_elses_export_is_not_found(client, leader, admin_user, export_root):
    (export_root / "mine.zip").write_bytes(b"PK")
    job = AnalyticsExport.objects.create(
        requested_by=leader, state=ExportState.DONE, path="mine.zip", size_bytes=2
    )
    client_for(client, admin_user)
    assert client.get(f"/insights/export/{job.pk}/download/").status_code == 404
    assert client.get(f"/insights/export/{job.pk}/progress/").status_code == 404
    api = APIClient()
    api.force_authenticate(admin_user)
    assert api.get(f"/api/v1/analytics/exports/{job.pk}/download/").status_code == 404
    # Its owner, once the file has gone: 404 as well, not a 500.
    (export_root / "mine.zip").unlink()
    assert client_for(client, leader).get(f"/insights/export/{job.pk}/download/").status_code == 404


@pytest.mark.django_db
def test_the_page_runs_a_fixed_number_of_queries(client, leader, same_queries_at_two_sizes):
    client_for(client, leader)
    AnalyticsExport.objects.create(requested_by=leader)

    def grow():
        for _ in range(6):
            AnalyticsExport.objects.create(requested_by=leader, state=ExportState.DONE)

    same_queries_at_two_sizes(client, {"page": "/insights/export/"}, grow=grow)


@pytest.mark.django_db
def test_without_the_analytics_views_the_page_says_why_and_starts_nothing(client, leader):
    with connection.cursor() as cursor:  # rolled back with the test
        cursor.execute("DROP VIEW analytics.action_items")
    page = client_for(client, leader).get("/insights/export/")
    assert page.status_code == 200
    assert export.NOT_INSTALLED in page.content.decode()
    assert b"Start an export" not in page.content
    assert client.post("/insights/export/").status_code == 503
    api = APIClient()
    api.force_authenticate(leader)
    refused = api.post("/api/v1/analytics/exports/")
    assert refused.status_code == 409
    assert refused.json() == {"detail": export.NOT_INSTALLED}
    assert not AnalyticsExport.objects.exists()


def test_on_sqlite_the_reason_is_that_the_export_needs_postgresql():
    sqlite = ConnectionHandler(
        {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
    )["default"]
    try:
        assert export.unavailable_reason(db=sqlite) == export.NOT_POSTGRESQL
    finally:
        sqlite.close()


# --- Old exports ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_starting_an_export_deletes_those_older_than_the_keep_days(leader, export_root):
    (export_root / "old.zip").write_bytes(b"PK")
    (export_root / "recent.zip").write_bytes(b"PK")
    old = AnalyticsExport.objects.create(
        requested_by=leader, state=ExportState.DONE, path="old.zip"
    )
    recent = AnalyticsExport.objects.create(
        requested_by=leader, state=ExportState.DONE, path="recent.zip"
    )
    AnalyticsExport.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=8)
    )
    abandoned = export_root / "killed.zip.partial"
    abandoned.write_bytes(b"PK")
    eight_days_ago = (timezone.now() - datetime.timedelta(days=8)).timestamp()
    os.utime(abandoned, (eight_days_ago, eight_days_ago))
    (export_root / "running.zip.partial").write_bytes(b"PK")
    with override_settings(EXPORT_KEEP_DAYS=7):
        job = export.export_start(user=leader)
    assert set(AnalyticsExport.objects.values_list("pk", flat=True)) == {recent.pk, job.pk}
    assert sorted(p.name for p in export_root.iterdir()) == ["recent.zip", "running.zip.partial"]


@pytest.mark.django_db
def test_the_hourly_sweep_fails_exports_whose_worker_died_and_deletes_old_ones(
    client, leader, export_root
):
    from config.celery import app as celery_app
    from metrics.tasks import analytics_exports_tidy

    now = timezone.now()
    minutes = datetime.timedelta(minutes=1)

    def job(state, *, created_ago, started_ago=None):
        made = AnalyticsExport.objects.create(requested_by=leader, state=state)
        AnalyticsExport.objects.filter(pk=made.pk).update(
            created_at=now - created_ago,
            started_at=None if started_ago is None else now - started_ago,
        )
        return made.pk

    lost_in_queue = job(ExportState.QUEUED, created_ago=30 * minutes)
    killed = job(ExportState.RUNNING, created_ago=40 * minutes, started_ago=25 * minutes)
    waiting = job(ExportState.QUEUED, created_ago=2 * minutes)
    running = job(ExportState.RUNNING, created_ago=12 * minutes, started_ago=10 * minutes)
    done = job(ExportState.DONE, created_ago=60 * minutes, started_ago=50 * minutes)
    expired = job(ExportState.DONE, created_ago=datetime.timedelta(days=8))

    with override_settings(EXPORT_KEEP_DAYS=7):
        assert analytics_exports_tidy.apply().get() == 3  # two stalled, one deleted
    states = dict(AnalyticsExport.objects.values_list("pk", "state"))
    assert states == {
        lost_in_queue: ExportState.FAILED,
        killed: ExportState.FAILED,
        waiting: ExportState.QUEUED,
        running: ExportState.RUNNING,
        done: ExportState.DONE,
    }
    assert expired not in states
    # Its owner reads why on the page, instead of a progress bar that never moves.
    client_for(client, leader)
    assert "its worker went away" in client.get("/insights/export/").content.decode()
    scheduled = {entry["task"] for entry in celery_app.conf.beat_schedule.values()}
    assert "metrics.tasks.analytics_exports_tidy" in scheduled
