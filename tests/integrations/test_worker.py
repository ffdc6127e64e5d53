"""One delivery end to end through a real Celery worker over Redis (no eager mode, no mocks):
a capacity decision posted in the browser's form answers at once, and the worker fans the
event out and delivers it to a receiver on a local port that fails twice before accepting,
with Celery's countdowns between the attempts.

Marked ``worker``: CI runs them (Redis is started by .ci/run).
"""

import itertools
import os
import time

import pytest
import redis

from metrics.integrations.models import Delivery, DeliveryStatus
from tests.celery_support import celery_worker, wait_for
from tests.factories import WebhookEndpointFactory
from tests.integrations.conftest import SECRET
from tests.integrations.receiver import Receiver
from tests.reviews.conftest import file_request

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
BACKOFF_SECONDS = 1  # the worker's WEBHOOK_RETRY_BACKOFF_SECONDS: retries after 1 s, then 2 s


@pytest.fixture(scope="module")
def worker(live_server):
    """A worker (its own process, the test database, a dedicated Redis db) whose settings
    come from its environment, as in production: a one-second backoff."""
    try:
        redis.Redis.from_url(REDIS_URL).flushdb()
    except redis.ConnectionError:
        pytest.fail(f"Redis is not reachable at {REDIS_URL}: start it (see the README)")
    saved = os.environ.get("WEBHOOK_RETRY_BACKOFF_SECONDS")
    os.environ["WEBHOOK_RETRY_BACKOFF_SECONDS"] = str(BACKOFF_SECONDS)
    try:
        with celery_worker(REDIS_URL) as process:
            yield process
    finally:
        if saved is None:
            os.environ.pop("WEBHOOK_RETRY_BACKOFF_SECONDS", None)
        else:
            os.environ["WEBHOOK_RETRY_BACKOFF_SECONDS"] = saved


def test_a_decision_is_delivered_by_the_worker_after_two_failures(
    worker, client, requester, team, program, council, budget
):
    consumer = Receiver(secret=SECRET, answers=[500, 500])
    try:
        WebhookEndpointFactory(url=consumer.url(), secret=SECRET)
        request = file_request(requester, team, program, amount=60)
        client.force_login(council)
        started = time.monotonic()
        response = client.post(
            f"/reviews/capacity/{request.pk}/decide/",
            {"decision": "deny", "note": "Not this quarter.", "version": request.version},
        )
        answered_in = time.monotonic() - started
        assert response.status_code == 302

        delivery = wait_for(
            lambda: Delivery.objects.filter(status=DeliveryStatus.DELIVERED).first(),
            30, "the worker to deliver after its retries",
        )  # fmt: skip
    finally:
        consumer.stop()

    assert [r.answered for r in consumer.received] == [500, 500, 200]
    assert all(r.verified for r in consumer.received)
    body = consumer.received[-1].json
    assert body["event"] == "capacity_request.decided" and body["data"]["decision"] == "denied"
    assert body["data"]["note"] == "Not this quarter."
    assert delivery.attempts == 3 and delivery.status_code == 200
    attempts = list(delivery.attempt_log.order_by("number"))
    assert [a.status_code for a in attempts] == [500, 500, 200]
    # Celery's countdowns: about 1 s, then 2 s, between the attempts.
    gaps = [
        (later.started_at - earlier.started_at).total_seconds()
        for earlier, later in itertools.pairwise(attempts)
    ]
    assert gaps[0] >= BACKOFF_SECONDS * 0.9 and gaps[1] >= 2 * BACKOFF_SECONDS * 0.9, gaps
    # The person deciding waited for none of it.
    assert answered_in < sum(gaps), (answered_in, gaps)
