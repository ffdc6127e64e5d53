"""Dashboard, program page and program list: the same SQL query count at 10 and 1,000 programs."""

import datetime

import pytest
from django.utils import timezone

from metrics.models import HealthSnapshot
from metrics.services import health_recompute
from programs.models import Program
from tests.metrics.test_health_service import bulk_programs

pytestmark = pytest.mark.django_db

PAGES = [
    "/dashboard/",
    "/dashboard/?sort=-score",
    "/dashboard/?flag=stale&cause=schedule",
    "/dashboard/programs.csv",
    "/dashboard/programs.csv?cause=freshness",
    "/programs/",
    "/programs/?cause=schedule",
    "/api/v1/programs/",
    "/api/v1/health/",
]


def with_history(ids: list[int]) -> None:
    """Score the programs, then 12 weeks of daily snapshots behind today's, in bulk."""
    health_recompute(program_ids=ids)
    today = timezone.localdate()
    HealthSnapshot.objects.bulk_create(
        (
            HealthSnapshot(
                program_id=pk,
                day=today - datetime.timedelta(days=back),
                score=60 + back % 30,
                grade="yellow" if back % 30 < 15 else "green",
                computed_at=timezone.now(),
            )  # fmt: skip
            for pk in ids
            for back in range(1, 84)
        ),
        batch_size=5000,
        ignore_conflicts=True,
    )


def test_query_counts_at_10_and_1000_programs(client, leader, same_queries_at_two_sizes):
    small = bulk_programs(10, prefix="small")
    with_history(small)
    client.force_login(leader)
    client.get("/")  # warm the session: its first request stamps its start
    first = Program.objects.get(pk=small[3]).get_absolute_url()
    same_queries_at_two_sizes(
        client,
        {path: path for path in [*PAGES, first]},
        grow=lambda: with_history(bulk_programs(990, prefix="large")),
    )
    assert Program.objects.count() == 1000
