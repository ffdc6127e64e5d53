"""Faults: Redis going away must cost no save and lose no recompute.

The test starts a Redis of its own on a port of its own, stops it and starts it again; the
worker is a real Celery worker over that Redis. Transactional, so the worker sees the rows.
"""

import shutil
import socket
import subprocess
import time

import pytest
from rest_framework.test import APIClient

from metrics.models import HealthSnapshot
from metrics.tasks import recompute_pending_health
from programs.models import Program, StatusUpdate
from tests.celery_support import celery_broker, celery_worker, wait_for
from tests.factories import ProgramFactory

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class OwnRedis:
    """A redis-server on 127.0.0.1:port, no persistence, started and stopped by the test."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [shutil.which("redis-server") or "redis-server", "--port", str(self.port),
             "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for(self._answers, 10, "the test's Redis to start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None
        wait_for(lambda: not self._answers(), 10, "the test's Redis to stop")

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False


@pytest.fixture
def own_redis():
    server = OwnRedis()
    server.start()
    yield server
    server.stop()


def test_saves_succeed_with_redis_down_and_are_rescored_when_it_returns(
    live_server, own_redis, tpm
):
    program = ProgramFactory(tpm=tpm, phase="planning")
    client = APIClient()
    client.force_authenticate(tpm)
    with celery_broker(own_redis.url):
        own_redis.stop()
        started = time.monotonic()
        response = client.post(
            "/api/v1/status-updates/",
            {"program": program.slug, "reported_health": "at_risk", "summary": "Vendor slipped"},
            format="json",
        )
        took = time.monotonic() - started
    assert response.status_code == 201, response.content
    assert StatusUpdate.objects.filter(program=program).count() == 1  # saved once, no retry needed
    assert took < 5  # the broker's absence does not hold the request
    program.refresh_from_db()
    assert program.health_pending_since is not None  # marked: nothing is lost
    assert program.health_score is None and not HealthSnapshot.objects.exists()

    own_redis.start()
    with celery_worker(own_redis.url):
        recompute_pending_health.delay()  # what beat sends every minute
        wait_for(
            lambda: (
                Program.objects.filter(pk=program.pk, health_pending_since=None)
                .exclude(health_score=None)
                .exists()
            ),
            30,
            "the sweep to rescore the program",
        )
    snapshot = HealthSnapshot.objects.get(program=program)
    assert snapshot.reported_health == "at_risk"


def test_the_sweep_rescores_marked_programs_and_clears_only_their_marks(tpm):
    """Run as beat runs it (eagerly here: the test settings have no broker)."""
    from django.utils import timezone

    marked, unmarked = ProgramFactory(tpm=tpm, phase="planning"), ProgramFactory(tpm=tpm)
    Program.objects.filter(pk=marked.pk).update(health_pending_since=timezone.now())
    assert recompute_pending_health.apply().get() == 1
    marked.refresh_from_db()
    unmarked.refresh_from_db()
    assert marked.health_pending_since is None and marked.health_score is not None
    assert unmarked.health_score is None  # not its business: the scheduled run scores it
    assert recompute_pending_health.apply().get() == 0  # twice: nothing left to do
