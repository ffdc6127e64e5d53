"""Health recomputed by a real Celery worker over Redis (no eager mode, no mocks).

The worker is a separate process on the test database; tests are transactional so it sees
committed rows. Marked ``worker``: CI runs them (Redis is started by .ci/run).
"""

import os
import signal
import time

import psycopg2
import pytest
import redis
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from config.celery import app
from metrics.models import HealthSnapshot
from metrics.tasks import recompute_program_health
from programs.models import Program
from tests.celery_support import celery_worker, children_of, wait_for
from tests.factories import ProgramFactory

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture(scope="module")
def worker(live_server):
    """A Celery worker (prefork, one child) on the test database and a dedicated Redis db.

    One for the module: starting and stopping a worker costs seconds, and every test here
    leaves it idle (the kill test leaves it with a fresh child, as prefork does in production).
    live_server is requested only so the test database is fully set up and committed first.
    """
    try:
        redis.Redis.from_url(REDIS_URL).flushdb()
    except redis.ConnectionError:
        pytest.fail(
            f"Redis is not reachable at {REDIS_URL}: start it (see README, Running the tests)"
        )
    with celery_worker(REDIS_URL) as process:
        yield process


def recomputes_run() -> int:
    """How many health recomputes the worker has run since it started (one worker answers)."""
    stats = app.control.inspect(timeout=2, limit=1).stats() or {}
    totals = [
        s.get("total", {}).get("metrics.tasks.recompute_program_health", 0) for s in stats.values()
    ]
    assert len(totals) == 1, stats
    return totals[0]


def test_an_api_edit_is_rescored_by_the_worker(worker, tpm):
    program = ProgramFactory(tpm=tpm, phase="planning")  # no milestones yet: no other signal
    client = APIClient()
    client.force_authenticate(tpm)
    started = time.monotonic()
    response = client.post(
        "/api/v1/risks/",
        {
            "program": program.slug,
            "title": "Vendor cannot ship racks",
            "likelihood": 5,
            "impact": 5,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    wait_for(lambda: Program.objects.get(pk=program.pk).health_score is not None, 20, "a new score")
    elapsed = time.monotonic() - started
    snapshot = HealthSnapshot.objects.get(program=program)
    assert snapshot.reasons[0]["subject"] == "Vendor cannot ship racks"
    assert snapshot.grade == "yellow"  # one high risk with no mitigation under way
    # Coalescing waits 2 s for more edits; the worker then needs well under a second.
    assert elapsed < 15


def test_a_burst_of_edits_costs_one_recompute(worker, tpm):
    program = ProgramFactory(tpm=tpm)
    client = APIClient()
    client.force_authenticate(tpm)
    before = recomputes_run()  # the module's worker has served other tests
    for i in range(5):
        client.post(
            "/api/v1/risks/",
            {"program": program.slug, "title": f"Risk {i}", "likelihood": 5, "impact": 5},
            format="json",
        )
    wait_for(lambda: Program.objects.get(pk=program.pk).health_score is not None, 20, "a new score")
    time.sleep(3)  # room for any stray second run to show up
    snapshot = HealthSnapshot.objects.get(program=program)
    # One run saw all five: they are named in one red reason.
    assert snapshot.reasons[0]["code"] == "high_risks"
    assert snapshot.reasons[0]["figures"]["count"] == 5
    assert recomputes_run() == before + 1


def test_killing_the_worker_child_mid_task_reruns_the_task(worker, tpm):
    """Late acknowledgement plus reject-on-worker-lost: the task is redelivered and completes."""
    program = ProgramFactory(tpm=tpm)
    db = connection.settings_dict
    blocker = psycopg2.connect(
        dbname=db["NAME"], user=db["USER"], host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432
    )
    try:
        with blocker.cursor() as cursor:
            # Hold the programs table so the task blocks mid-run, at a moment we can see.
            cursor.execute("LOCK TABLE programs_program IN ACCESS EXCLUSIVE MODE")
            recompute_program_health.delay(program.pk)

            def task_is_waiting():
                # Asked on the test's own connection: a transaction sees a frozen pg_stat_activity.
                with connection.cursor() as probe:
                    probe.execute(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock'",
                        [db["NAME"]],
                    )
                    return probe.fetchone()[0] > 0

            wait_for(task_is_waiting, 20, "the task to start and block on the lock")
            children = children_of(worker.pid)
            assert children, "the prefork worker has a child process"
            for child in children:
                os.kill(child, signal.SIGKILL)
        blocker.rollback()  # release the lock: the re-delivered task can now finish
    finally:
        blocker.close()
    wait_for(
        lambda: Program.objects.get(pk=program.pk).health_score is not None,
        30,
        "the re-run's score",
    )
    assert HealthSnapshot.objects.filter(program=program).count() == 1
    assert worker.poll() is None, "the worker itself survived and replaced its child"
    assert children_of(worker.pid) and children_of(worker.pid) != children


def test_the_worker_warms_the_insights_after_a_write(worker, tpm, leader):
    """A committed write replaces the insights' generations and queues the warm-up: a few
    seconds later leadership's overview numbers are in the (Redis) cache, computed by the
    worker, and the overview reads them instead of computing them."""
    from django.core.cache import cache as django_cache
    from django.test import Client

    from metrics.insights import cache
    from metrics.insights.sections import SECTIONS
    from metrics.insights.selectors import InsightsFilters, current_quarter
    from tests.conftest import queries_of
    from tests.factories import TeamFactory

    django_cache.clear()
    assert cache.cache_seconds() > 0  # a shared cache: Redis
    TeamFactory()  # a write every section reads, committed (the test is transactional)
    everyone = type(leader)(username="reader", is_superuser=True)
    filters = InsightsFilters(quarter=current_quarter())

    def warmed() -> bool:
        tokens = cache.generations()
        return all(
            django_cache.get(
                cache.cache_key(
                    slug=slug,
                    selector=section.selector,
                    user=everyone,
                    filters=filters,
                    now=timezone.now(),
                    generation_token=tokens[slug],
                )  # fmt: skip
            )
            is not None
            for slug, section in SECTIONS.items()
        )

    wait_for(warmed, 30, "the worker to warm every section")
    client = Client()
    client.force_login(leader)
    warm = queries_of(lambda: client.get("/insights/"))
    django_cache.clear()
    cold = queries_of(lambda: client.get("/insights/"))
    assert warm < cold - 10, (warm, cold)
