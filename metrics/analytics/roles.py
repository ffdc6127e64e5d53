"""The analysts' login role: USAGE on the analytics schema and SELECT on its views, nothing else.

A view runs with its owner's rights on the tables under it, so the role reads every row the
views show (confidential programs included, flagged by a column) without any right on Pulse's
own tables. ``install`` grants SELECT again to every reader each time it recreates the views.
"""

import re
from dataclasses import dataclass

from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from metrics.analytics.install import (
    SCHEMA,
    execute_with_identifiers,
    installed_views,
    is_supported,
    schema_exists,
)

# Lower case, unquoted-identifier shape: the name reads the same in psql, pg_hba.conf and here.
ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class AnalyticsRoleError(Exception):
    """Why the role cannot be made here; the message is for the person running the command."""


@dataclass(frozen=True)
class RoleResult:
    name: str
    created: bool
    password_set: bool
    views: int


def grant_analytics_role(
    *, connection: BaseDatabaseWrapper, name: str, password: str | None
) -> RoleResult:
    """Create the login role ``name`` (or bring an existing one back to exactly this access).

    Idempotent: run it again to change the password or to repair the grants. ``password`` None
    keeps an existing role's password (a new role then has none: it signs in only where
    ``pg_hba.conf`` trusts it). Refuses a superuser and the role Pulse itself connects as.
    """
    if not is_supported(connection):
        raise AnalyticsRoleError(
            f"The analytics schema needs PostgreSQL; this database is {connection.vendor}. "
            "Point DATABASE_URL at PostgreSQL and run `manage.py migrate` first."
        )
    if not ROLE_NAME.match(name):
        raise AnalyticsRoleError(
            f"“{name}” is not a plain role name: lower-case letters, digits and underscores, "
            "starting with a letter or underscore, at most 63 characters."
        )
    views = installed_views(connection) if schema_exists(connection) else set()
    if not views:
        raise AnalyticsRoleError(
            "The analytics views are not installed: run `manage.py migrate` to the end first."
        )
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute(
            "SELECT rolsuper, rolname = current_user FROM pg_roles WHERE rolname = %s", [name]
        )
        existing = cursor.fetchone()
        if existing and (existing[0] or existing[1]):
            what = "a superuser" if existing[0] else "the role Pulse connects as"
            raise AnalyticsRoleError(f"Refusing to turn “{name}”, {what}, into a read-only role.")
        if existing:
            execute_with_identifiers(
                cursor, "ALTER ROLE %I WITH LOGIN NOCREATEDB NOCREATEROLE", name
            )
        else:
            execute_with_identifiers(
                cursor, "CREATE ROLE %I WITH LOGIN NOCREATEDB NOCREATEROLE", name
            )
        if password is not None:
            execute_with_identifiers(cursor, "ALTER ROLE %I WITH PASSWORD %L", name, password)
        # Belt and braces: every session of the role is read-only and starts in the schema.
        execute_with_identifiers(
            cursor, "ALTER ROLE %I SET default_transaction_read_only = on", name
        )
        execute_with_identifiers(cursor, "ALTER ROLE %I SET search_path = %I", name, SCHEMA)
        cursor.execute("SELECT current_database()")
        database = cursor.fetchone()[0]
        execute_with_identifiers(cursor, "GRANT CONNECT ON DATABASE %I TO %I", database, name)
        execute_with_identifiers(cursor, "GRANT USAGE ON SCHEMA %I TO %I", SCHEMA, name)
        execute_with_identifiers(
            cursor, "GRANT SELECT ON ALL TABLES IN SCHEMA %I TO %I", SCHEMA, name
        )
        # An existing role reused for this loses whatever it had on Pulse's tables.
        for statement in (
            "REVOKE ALL ON ALL TABLES IN SCHEMA public FROM %I",
            "REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM %I",
            "REVOKE CREATE ON SCHEMA public FROM %I",
            "REVOKE CREATE ON SCHEMA " + SCHEMA + " FROM %I",
        ):
            execute_with_identifiers(cursor, statement, name)
    return RoleResult(
        name=name, created=not existing, password_set=password is not None, views=len(views)
    )
