"""The default orders of the big lists are read from an index, not sorted whole (issue 18).

PostgreSQL picks a plan from statistics; on a test database's few rows a sequential scan and
a sort cost nothing, so the planner is told to avoid them where it can (``enable_seqscan``,
``enable_sort`` off): without a matching index it still has to sort, and the plan says so.
"""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from programs.models import Milestone
from tests.factories import MilestoneFactory


def plan_of(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute(f"EXPLAIN {sql}", params)  # noqa: S608 - the ORM's own SQL
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.django_db
def test_a_page_of_milestones_in_the_default_order_is_read_from_the_index():
    MilestoneFactory.create_batch(5)
    page = Milestone.objects.select_related("program", "owner_team").order_by("target_date", "id")
    plan = plan_of(page[:100])
    assert "milestone_default_order" in plan, plan
    assert "Sort" not in plan.splitlines()[1], plan  # no sort above the limit


@pytest.mark.django_db
def test_the_dashboard_s_biggest_slips_are_read_from_their_index(leader):
    from metrics.dashboard import biggest_slips
    from programs.selectors import visible_programs

    MilestoneFactory.create_batch(3)
    programs = visible_programs(leader)
    with CaptureQueriesContext(connection) as captured:
        biggest_slips(programs)
    queries = [q["sql"] for q in captured.captured_queries]
    (sql,) = [q for q in queries if "programs_milestone" in q]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute(f"EXPLAIN {sql}")  # noqa: S608 - the ORM's own SQL, run again
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "milestone_open_slips" in plan, plan
