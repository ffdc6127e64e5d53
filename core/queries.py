"""Small query helpers shared by the apps' selectors."""

from collections.abc import Iterable

from django.db import connections
from django.db.models import Q, QuerySet
from django.db.models.query import ValuesListIterable


def ids_q(field: str, ids: Iterable[int]) -> Q:
    """``field`` among ``ids``: a ``range`` of ids becomes ``BETWEEN`` (a full recompute reads
    programs in runs of consecutive ids), anything else ``IN (...)``.

    For 1,000 ids, building an ``IN`` list costs Django more than the database spends reading
    the rows, and ``BETWEEN`` lets PostgreSQL scan the index range once.
    """
    if isinstance(ids, range) and ids.step == 1:
        # gte/lte rather than __range: foreign keys take only the comparison lookups.
        return Q(**{f"{field}__gte": ids.start, f"{field}__lte": ids.stop - 1})
    return Q(**{f"{field}__in": list(ids)})


def fetch_rows(queryset: QuerySet) -> list[tuple]:
    """A ``values_list`` queryset's rows, for bulk loads of tens of thousands of rows of
    columns that need no conversion from the database (dates, numbers, text: not JSON).

    On PostgreSQL the rows come straight from one ``fetchall``: psycopg2 already gives dates,
    numbers and strings their Python types, so Django's per-row converters and its fetching in
    batches of 100 are skipped (about a fifth of the health recompute's load). Other databases
    iterate as usual.
    """
    connection = connections[queryset.db]
    if connection.vendor != "postgresql" or queryset._iterable_class is not ValuesListIterable:
        return list(queryset)  # flat or named rows, or another database: as Django gives them
    sql, params = queryset.query.sql_with_params()  # columns in the values_list order
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()
