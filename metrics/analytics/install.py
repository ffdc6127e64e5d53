"""Putting the analytics views in place, and keeping them in step with the tables under them.

The views are not created by the migration that creates their schema. A migration running
``views.sql`` as it is today would fail on a fresh database the day the file reads a column a
later migration adds; and Django drops a column with CASCADE (silently taking a view with it)
and refuses to change the type of a column a view reads. So, on PostgreSQL:

- migration ``metrics.0008_analytics_schema`` creates the schema (its reverse drops it);
- before ``migrate`` applies any migration, every view of the schema is dropped;
- after ``migrate``, once the database is at the code's latest migrations, ``views.sql`` is
  installed again unless the installed views already match it (a digest of the SQL is kept
  in the schema's comment, and every view it defines must exist).

Other databases (the embedded SQLite default) have no schemas: everything here does nothing.
"""

import hashlib
import logging
import re
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.executor import MigrationExecutor

logger = logging.getLogger(__name__)

SCHEMA = "analytics"
SQL_PATH = Path(__file__).with_name("views.sql")
_COMMENT_PREFIX = "Pulse analytics views (docs/analytics.md); views.sql digest "


def is_supported(connection: BaseDatabaseWrapper) -> bool:
    return connection.vendor == "postgresql"


def _quoted_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


@cache
def _source() -> str:
    return SQL_PATH.read_text(encoding="utf-8")


def views_sql() -> str:
    """``views.sql`` with the project's time zone in place (a local day is Pulse's day)."""
    return _source().replace("@TIME_ZONE@", _quoted_literal(str(settings.TIME_ZONE)))


def view_names() -> list[str]:
    """The views ``views.sql`` defines, in its order."""
    return re.findall(rf"^CREATE VIEW {SCHEMA}\.(\w+) AS$", _source(), flags=re.MULTILINE)


def sql_digest(sql: str) -> str:
    return hashlib.sha256(sql.encode()).hexdigest()[:16]


def schema_exists(connection: BaseDatabaseWrapper) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [SCHEMA])
        return cursor.fetchone() is not None


def installed_views(connection: BaseDatabaseWrapper) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT viewname FROM pg_views WHERE schemaname = %s", [SCHEMA])
        return {name for (name,) in cursor.fetchall()}


def _installed_digest(connection: BaseDatabaseWrapper) -> str | None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT obj_description(oid, 'pg_namespace') FROM pg_namespace WHERE nspname = %s",
            [SCHEMA],
        )
        row = cursor.fetchone()
    comment = row[0] if row else None
    if not comment or not comment.startswith(_COMMENT_PREFIX):
        return None
    return str(comment.removeprefix(_COMMENT_PREFIX))


def execute_with_identifiers(cursor: Any, template: str, *identifiers: str) -> None:
    """Run a statement with identifiers quoted by the server (``format('%I')``): role and view
    names are not parameters in DDL, and the server's quoting does not depend on the driver."""
    cursor.execute("SELECT format(%s" + ", %s" * len(identifiers) + ")", [template, *identifiers])
    cursor.execute(cursor.fetchone()[0])


def drop_views(connection: BaseDatabaseWrapper) -> None:
    """Drop every view of the schema (the schema, its grants and comment stay)."""
    if not is_supported(connection) or not schema_exists(connection):
        return
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        for name in sorted(installed_views(connection)):
            execute_with_identifiers(cursor, "DROP VIEW IF EXISTS %I.%I CASCADE", SCHEMA, name)
        cursor.execute(f"COMMENT ON SCHEMA {SCHEMA} IS NULL")


def readers(connection: BaseDatabaseWrapper) -> list[str]:
    """The roles granted USAGE on the schema (the analysts' roles), its owner aside."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT DISTINCT r.rolname
            FROM pg_namespace n
            CROSS JOIN LATERAL aclexplode(n.nspacl) AS acl
            JOIN pg_roles r ON r.oid = acl.grantee
            WHERE n.nspname = %s AND acl.privilege_type = 'USAGE' AND acl.grantee <> n.nspowner
            ORDER BY r.rolname
            """,
            [SCHEMA],
        )
        return [name for (name,) in cursor.fetchall()]


def is_current(connection: BaseDatabaseWrapper) -> bool:
    """Whether the installed views are exactly those of ``views.sql`` as it is now."""
    return _installed_digest(connection) == sql_digest(views_sql()) and set(
        view_names()
    ) == installed_views(connection)


def install(connection: BaseDatabaseWrapper, *, force: bool = False) -> bool:
    """(Re)create every view from ``views.sql`` unless they are current; True if it did.

    In one transaction: the old views go, the new ones come, and each role that reads the
    schema is granted SELECT on the new views (a dropped view takes its grants with it).
    """
    if not is_supported(connection):
        return False
    if not force and schema_exists(connection) and is_current(connection):
        return False
    sql = views_sql()
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
        drop_views(connection)
        cursor.execute(sql)
        for role in readers(connection):
            execute_with_identifiers(
                cursor, "GRANT SELECT ON ALL TABLES IN SCHEMA %I TO %I", SCHEMA, role
            )
        cursor.execute(
            f"COMMENT ON SCHEMA {SCHEMA} IS {_quoted_literal(_COMMENT_PREFIX + sql_digest(sql))}"
        )
    return True


def is_at_latest_migrations(connection: BaseDatabaseWrapper) -> bool:
    executor = MigrationExecutor(connection)
    return not executor.migration_plan(executor.loader.graph.leaf_nodes())


# --- migrate's signals (connected in MetricsConfig.ready, sent once per migrate for metrics) --


def drop_before_migrate(sender: Any, using: str = "default", **kwargs: Any) -> None:
    """Before migrations run: no view may hold on to a column a migration changes."""
    if kwargs.get("plan"):
        drop_views(connections[using])


def install_after_migrate(sender: Any, using: str = "default", **kwargs: Any) -> None:
    """After ``migrate``: the views again, as ``views.sql`` says, if the database is at the
    code's latest migrations (a partial or backward migrate leaves them out until then).

    ``flush`` sends this signal too, without a plan: it changes no table, so nothing to do.
    """
    if "plan" not in kwargs:
        return
    connection = connections[using]
    if not is_supported(connection):
        return
    if not is_at_latest_migrations(connection):
        logger.warning(
            "The analytics views are left out: the database is not at the latest migrations "
            "(run `manage.py migrate` to the end to put them back)."
        )
        return
    if install(connection):
        logger.info("Analytics views installed from %s.", SQL_PATH.name)
