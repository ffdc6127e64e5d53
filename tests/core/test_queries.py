"""The bulk-load helpers of core.queries, on PostgreSQL."""

import pytest
from django.db import connection
from django.db.models import F, OuterRef, Subquery
from django.db.models.functions import TruncDate
from django.test.utils import CaptureQueriesContext

from core.queries import fetch_rows, ids_q
from programs.models import Program, StatusUpdate
from tests.metrics.test_health_service import bulk_programs

pytestmark = pytest.mark.django_db


def test_fetch_rows_gives_what_django_gives_for_fields_and_annotations_in_any_order():
    ids = bulk_programs(5, prefix="q")
    latest = StatusUpdate.objects.filter(program=OuterRef("pk")).order_by("-created_at", "-id")
    queryset = (
        Program.objects.filter(ids_q("pk", range(ids[0], ids[-1] + 1)))
        .annotate(
            created_on=TruncDate("created_at"),
            reported=Subquery(latest.values("reported_health")[:1]),
            weeks=F("update_cadence_days") * 7,
        )
        # annotations between and before model fields, a date cast by the database
        .values_list("reported", "id", "created_on", "name", "weeks", "target_date")
        .order_by("id")
    )
    rows = fetch_rows(queryset)
    assert rows == list(queryset)
    assert [row[1] for row in rows] == ids
    assert all(isinstance(row, tuple) for row in rows)


def test_fetch_rows_is_one_query_and_leaves_flat_lists_to_django():
    ids = bulk_programs(3, prefix="f")
    with CaptureQueriesContext(connection) as captured:
        assert fetch_rows(Program.objects.order_by("pk").values_list("pk", flat=True)) == ids
        fetch_rows(Program.objects.values_list("pk", "name"))
    assert len(captured) == 2
