"""Every list endpoint of the metrics API runs the same number of SQL queries at any data size.

Each list is read at two sizes (3 and 30 programs, each with two success metrics, readings and
a week of health snapshots) by a TPM who is a member of some programs and not of the
confidential ones; the query counts must be equal.
"""

import datetime
from functools import partial

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from core.tokens import api_token_create
from metrics.models import HealthSnapshot, MetricReading, SuccessMetric
from programs.models import Program
from tests.factories import MembershipFactory, PortfolioFactory, ProgramFactory, UserFactory

pytestmark = pytest.mark.django_db

# list → queries: 1 token (with its user), 1 the caller's roles (for visibility), 1 count,
# 1 page, and for health 1 more: the latest snapshot of every program on the page.
LISTS = {
    "/api/v1/success-metrics/": 4,
    "/api/v1/metric-readings/": 4,
    "/api/v1/health/": 5,
    "/api/v1/health-snapshots/": 4,
}

# Filtered and ordered lists cost what the plain ones cost.
FILTERED = {
    "/api/v1/success-metrics/?direction=increase&portfolio=portfolio-1&ordering=-target_date": 4,
    "/api/v1/metric-readings/?measured_on_after=2000-01-01&ordering=value": 4,
    "/api/v1/health/?grade=red&grade=yellow&watermelon=false&min_score=1&ordering=-score": 5,
    "/api/v1/health/?cause=schedule&cause=risk&stale=false&ordering=score": 5,
    "/api/v1/health-snapshots/?day_after=2000-01-01&grade=red&grade=yellow&ordering=day": 4,
    "/api/v1/health-snapshots/?cause=schedule&stale=false&ordering=-score": 4,
}


def build_programs(count: int, *, reader, offset: int) -> None:
    """``count`` programs with metrics, readings and snapshots; every third is confidential,
    every other has ``reader`` as a member. The last three days' snapshots have structured
    reasons, the older ones reasons stored as text (before reasons were structured)."""
    today = timezone.localdate()
    for n in range(offset, offset + count):
        tpm = UserFactory(username=f"tpm-{n}", roles=["TPM"])
        program = ProgramFactory(
            name=f"Program {n:03d}",
            slug=f"program-{n:03d}",
            portfolio=PortfolioFactory(slug=f"portfolio-{n % 4}", name=f"Portfolio {n % 4}"),
            tpm=tpm,
            confidential=n % 3 == 0,
        )
        if n % 2:
            MembershipFactory(program=program, user=reader, role="eng_lead")
        score = 20 + (n * 7) % 75
        grade = "green" if score >= 75 else "yellow" if score >= 50 else "red"
        Program.objects.filter(pk=program.pk).update(
            health_score=score,
            health_grade=grade,
            health_cause="" if grade == "green" else "schedule",
            health_stale=n % 5 == 0,
            health_computed_at=timezone.now(),
        )
        for k, direction in enumerate(("increase", "decrease")):
            metric = SuccessMetric.objects.create(
                program=program,
                name=f"Metric {k}",
                baseline_value=0 if direction == "increase" else 100,
                target_value=100 if direction == "increase" else 0,
                direction=direction,
                baseline_date=today - datetime.timedelta(days=60),
                target_date=today + datetime.timedelta(days=60),
            )
            MetricReading.objects.bulk_create(
                MetricReading(
                    metric=metric,
                    value=10 * week,
                    measured_on=today - datetime.timedelta(weeks=week),
                    recorded_by=tpm,
                )
                for week in range(3)
            )
        HealthSnapshot.objects.bulk_create(
            HealthSnapshot(
                program=program,
                day=today - datetime.timedelta(days=day),
                score=score,
                grade=grade,
                components={"schedule": score},
                reasons=(
                    [structured_reason(program, severity="yellow" if score >= 50 else "red")]
                    if day < 3
                    else [{"component": "schedule", "text": "Late", "points": 100 - score}]
                ),
                computed_at=timezone.now(),
            )
            for day in range(7)
        )


def structured_reason(program, *, severity: str) -> dict:
    return {
        "family": "schedule",
        "severity": severity,
        "code": "critical_overdue",
        "subject_id": program.pk,
        "subject": "Cut over",
        "figures": {"days": 20},
        "cost": 80.0,
    }


def listed(client: APIClient, url: str):
    """A GET of a list that must hold rows (an empty page would cost fewer queries)."""
    response = client.get(url)
    assert response.status_code == 200 and response.json()["results"], url
    return response


@pytest.fixture
def reader(db):
    return UserFactory(username="rhea.reader", roles=["TPM"])


@pytest.fixture
def client(reader):
    """Token authentication, as scripts use: the user and roles are read on every request."""
    client = APIClient()
    _, secret = api_token_create(user=reader, name="query counts", lifetime_days=1)
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    client.get("/api/v1/me/")  # the token's first use is noted once: not part of any count
    return client


def test_every_list_costs_the_same_queries_at_3_and_30_programs(
    client, reader, same_queries_at_two_sizes
):
    build_programs(3, reader=reader, offset=0)
    same_queries_at_two_sizes(
        client,
        {url: partial(listed, client, url) for url in LISTS},
        grow=lambda: build_programs(27, reader=reader, offset=3),
        expected=LISTS,
    )


def test_filtered_and_ordered_lists_keep_the_query_count(client, reader, same_queries_at_two_sizes):
    build_programs(3, reader=reader, offset=0)
    same_queries_at_two_sizes(
        client,
        {url: partial(listed, client, url) for url in FILTERED},
        grow=lambda: build_programs(27, reader=reader, offset=3),
        expected=FILTERED,
    )


def test_a_full_page_of_health_reads_one_snapshot_per_program(client, reader):
    """The latest-snapshot prefetch returns one row per program, not each one's history."""
    build_programs(30, reader=reader, offset=0)
    with CaptureQueriesContext(connection) as queries:
        rows = client.get("/api/v1/health/", {"page_size": 200}).json()["results"]
    prefetch = queries.captured_queries[-1]["sql"]
    assert "healthsnapshot" in prefetch and "ROW_NUMBER" in prefetch.upper()
    # 30 programs less the 5 confidential ones the reader is not a member of (0, 6, ..., 24).
    assert len(rows) == 25
    assert {row["snapshot_day"] for row in rows} == {timezone.localdate().isoformat()}
