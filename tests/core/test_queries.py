"""The bulk-load helpers of core.queries, on PostgreSQL."""

import orjson
import pytest
from django.db import connection
from django.db.models import F, OuterRef, Q, Subquery
from django.db.models.functions import TruncDate
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.queries import fetch_rows, ids_q, json_lists_by, json_lists_here
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


def test_json_lists_by_groups_rows_as_the_database_writes_them_and_as_python_would():
    ids = bulk_programs(4, prefix="j")
    for pk, cadence in zip(ids, (3, 14, 7, 7), strict=True):
        Program.objects.filter(pk=pk).update(update_cadence_days=cadence)
    programs = Program.objects.filter(ids_q("pk", ids)).annotate(
        created_on=TruncDate("created_at"), cadence_is_weekly=Q(update_cadence_days=7)
    )
    fields = ("name", "created_on", "cadence_is_weekly", "health_score", "target_date")
    # Grouped by tpm: one group of four, ordered by cadence (descending), then id.
    with CaptureQueriesContext(connection) as captured:
        by_tpm = json_lists_by(programs, "tpm_id", fields, ("-update_cadence_days", "id"))
    assert len(captured) == 1 and "json_agg" in captured[0]["sql"]
    here = json_lists_here(
        programs.order_by("tpm_id", "-update_cadence_days", "id").values_list(
            "tpm_id", *fields, "update_cadence_days", "id"
        ),
        len(fields),
    )
    assert by_tpm.keys() == here.keys() and len(by_tpm) == 1
    (text,) = by_tpm.values()
    rows = orjson.loads(text)
    assert rows == orjson.loads(here[next(iter(here))])
    assert [row[0] for row in rows] == ["j 1", "j 2", "j 3", "j 0"]  # 14, 7, 7 by id, then 3
    program = Program.objects.get(pk=ids[1])
    assert rows[0] == [
        program.name,
        timezone.localtime(program.created_at).date().isoformat(),  # ISO text, both ways
        False,
        None,
        program.target_date.isoformat(),
    ]
    assert rows[1][2] is True
    # No rows, no groups.
    assert json_lists_by(programs.none(), "tpm_id", fields, ()) == {}


def test_the_helpers_ask_nothing_of_an_empty_list_of_ids():
    with CaptureQueriesContext(connection) as captured:
        assert fetch_rows(Program.objects.filter(ids_q("pk", [])).values_list("pk", "name")) == []
        assert json_lists_by(Program.objects.filter(ids_q("pk", [])), "id", ("name",), ()) == {}
    assert not captured


def test_json_lists_by_refuses_a_key_that_is_also_a_field():
    with pytest.raises(ValueError, match="groups the rows"):
        json_lists_by(Program.objects.all(), "id", ("name", "id"), ())
