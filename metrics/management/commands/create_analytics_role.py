"""manage.py create_analytics_role NAME [--password-from-env VAR]: the analysts' read-only role."""

import os

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections

from metrics.analytics.roles import AnalyticsRoleError, grant_analytics_role


class Command(BaseCommand):
    help = (
        "Create (or update) a PostgreSQL login role that may read the analytics views and "
        "nothing else. Idempotent: run it again to change the password or repair the grants."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help="The role's name (lower case, e.g. pulse_analyst).")
        parser.add_argument(
            "--password-from-env",
            metavar="VAR",
            help="Set the password from this environment variable (never on the command line, "
            "where shell history and process lists would keep it). Without it an existing "
            "role keeps its password and a new one has none.",
        )
        parser.add_argument(
            "--database", default=DEFAULT_DB_ALIAS, help="The database alias (default: default)."
        )

    def handle(self, *args, name, password_from_env=None, database=DEFAULT_DB_ALIAS, **options):
        password = None
        if password_from_env:
            password = os.environ.get(password_from_env)
            if not password:
                raise CommandError(f"The environment variable {password_from_env} is not set.")
        try:
            result = grant_analytics_role(
                connection=connections[database], name=name, password=password
            )
        except AnalyticsRoleError as error:
            raise CommandError(str(error)) from error
        verb = "Created" if result.created else "Updated"
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb} role {result.name}: USAGE on schema analytics and SELECT on its "
                f"{result.views} views; no rights on Pulse's tables; read-only sessions."
            )
        )
        if result.password_set:
            self.stdout.write("Password set from the environment.")
        elif result.created:
            self.stdout.write(
                self.style.WARNING(
                    "No password set: the role signs in only where pg_hba.conf trusts it "
                    "(rerun with --password-from-env VAR to set one)."
                )
            )
