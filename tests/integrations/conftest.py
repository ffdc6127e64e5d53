"""Fixtures of the Slack and webhook tests: a receiver on a local port, and the reviews'
fixtures (a submitted launch review, a capacity requester, the council) for their events."""

import pytest

from tests.integrations.receiver import Receiver
from tests.reviews.conftest import (  # noqa: F401 - fixtures, found by name
    author,
    budget,
    checklist,
    council,
    requester,
    review,
    secops,
    sre,
    submitted,
    team,
)

SECRET = "a-receivers-copy-of-the-endpoint-secret-0123456789"


@pytest.fixture
def receiver():
    """A consumer that knows the endpoint's secret."""
    consumer = Receiver(secret=SECRET)
    yield consumer
    consumer.stop()


@pytest.fixture
def slack():
    """A Slack-compatible incoming webhook: it takes any JSON, signs nothing."""
    consumer = Receiver()
    yield consumer
    consumer.stop()
