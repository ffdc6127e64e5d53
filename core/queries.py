"""Small query helpers shared by the apps' selectors."""

from collections.abc import Iterable, Sequence

import orjson
from django.core.exceptions import EmptyResultSet
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
    try:
        sql, params = queryset.query.sql_with_params()  # columns in the values_list order
    except EmptyResultSet:  # e.g. ``pk__in=[]``: nothing to ask the database
        return []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def json_lists_by(
    queryset: QuerySet, key: str, fields: Sequence[str], order: Sequence[str]
) -> dict[int, str]:
    """The queryset's rows grouped by the column ``key``: for each key, the JSON text of the
    list of its rows, each row the list of its ``fields`` values, in ``order`` (column names,
    "-" first for descending; they need not be among ``fields``). No group, no key.

    For bulk loads that mostly need to know whether a group changed: hashing its text costs
    next to nothing, and only a changed group need be parsed (orjson). On PostgreSQL the
    database writes the text (``json_agg``), so no row becomes Python objects; elsewhere the
    rows are grouped and written here. Parsed, both give the same values: numbers, text,
    booleans, null, and dates as ISO text.
    """
    if key in fields:
        raise ValueError(f"The key {key!r} groups the rows: it cannot also be one of their fields.")
    connection = connections[queryset.db]
    order_columns = [name.removeprefix("-") for name in order]
    columns = list(dict.fromkeys([key, *fields, *order_columns]))
    rows = queryset.values_list(*columns)
    if connection.vendor != "postgresql":
        return json_lists_here(rows.order_by(key, *order), len(fields))
    try:
        sql, params = rows.order_by().query.sql_with_params()  # values_list aliases its columns
    except EmptyResultSet:  # e.g. ``pk__in=[]``: nothing to ask the database
        return {}
    quote = connection.ops.quote_name
    row = ", ".join(f"rows.{quote(name)}" for name in fields)
    by = ", ".join(
        f"rows.{quote(name.removeprefix('-'))}{' DESC' if name.startswith('-') else ''}"
        for name in order
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT rows.{quote(key)}, json_agg(json_build_array({row})"  # noqa: S608 - names only
            f"{f' ORDER BY {by}' if by else ''})::text FROM ({sql}) AS rows GROUP BY 1",
            params,
        )
        return dict(cursor.fetchall())


def json_lists_here(rows: Iterable[tuple], width: int) -> dict[int, str]:
    """``json_lists_by`` done in Python: rows (key first, then ``width`` fields, then anything
    else) grouped by key in the order given, each group written by orjson."""
    groups: dict[int, list] = {}
    for row in rows:
        groups.setdefault(row[0], []).append(row[1 : 1 + width])
    return {group: orjson.dumps(members).decode() for group, members in groups.items()}
