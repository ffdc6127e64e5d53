"""A real Celery worker for tests, over a Redis the test names (no eager mode, no mocks).

The worker is a separate process on the test database: tests using it are transactional so it
sees committed rows.
"""

import os
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from django.db import connection
from django.test import override_settings

from config.celery import app

ROOT = Path(__file__).resolve().parents[1]
WORKER_LOG = Path(tempfile.gettempdir()) / "pulse-test-celery-worker.log"


def wait_for(condition, timeout: float, what: str, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def children_of(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(c) for c in path.read_text().split()] if path.exists() else []


def reset_connections() -> None:
    """Forget pooled broker connections so the next publish or ping uses the current broker_url."""
    app._pool = None
    app.amqp._producer_pool = None


def redis_cache(url: str) -> dict:
    return {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}}


@contextmanager
def celery_broker(url: str):
    """This process publishes tasks to the Redis at ``url`` (not eagerly), and caches there."""
    previous = (app.conf.task_always_eager, app.conf.broker_url)
    app.conf.task_always_eager = False
    app.conf.broker_url = url
    reset_connections()
    try:
        with override_settings(CACHES=redis_cache(url), CELERY_TASK_ALWAYS_EAGER=False):
            yield
    finally:
        app.conf.task_always_eager, app.conf.broker_url = previous
        reset_connections()


def start_worker(url: str) -> subprocess.Popen:
    """A worker process (prefork, one child) on the test database and the Redis at ``url``."""
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "REDIS_URL": url,
    }
    with open(WORKER_LOG, "a") as log:
        return subprocess.Popen(
            [
                sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "prefork",
                "--concurrency", "1", "--loglevel", "INFO", "--without-gossip", "--without-mingle",
                "--hostname", f"test-{os.getpid()}-{time.monotonic_ns()}@localhost",
            ],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def celery_worker(url: str):
    """A worker on the Redis at ``url``, answering pings, with this process publishing there."""
    process = start_worker(url)
    try:
        with celery_broker(url):
            wait_for(lambda: app.control.ping(timeout=0.5), 30, "the worker to answer a ping", 0.5)
            yield process
    finally:
        stop(process)
