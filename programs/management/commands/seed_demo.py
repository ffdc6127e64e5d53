"""``manage.py seed_demo``: realistic demo programs, people in every role and demo accounts."""

import datetime
import logging
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone

from programs.demo import run_demo_steps
from programs.management.seeding import (
    DEMO_ACCOUNTS,
    DEMO_PASSWORD,
    DemoSeeder,
    reset_demo_data,
)
from programs.models import Program


class Command(BaseCommand):
    help = (
        "Seed realistic infrastructure programs with milestones, slips, weekly updates, risks "
        "and decisions, people in every role, and the demo accounts (printed at the end). "
        "Deterministic: the same --seed and --today give the same data."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--programs", type=int, default=40, help="How many programs (default 40)."
        )
        parser.add_argument("--seed", type=int, default=1, help="Random seed (default 1).")
        parser.add_argument(
            "--today",
            type=datetime.date.fromisoformat,
            default=None,
            help="The date every generated date is relative to, YYYY-MM-DD (default: today).",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing (but print the demo accounts) when programs already exist.",
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Delete every program, portfolio, team and seeded person first.",
        )
        parser.add_argument(
            "--batch-size", type=int, default=2000, help="Rows per INSERT (default 2000)."
        )
        parser.add_argument(
            "--no-health",
            action="store_true",
            help="Skip computing health scores after seeding (recompute_health, when installed).",
        )

    def handle(
        self, *args, programs, seed, today, if_empty, reset, batch_size, no_health, **options
    ):
        """At ``--verbosity 0`` (``make run``) it prints one progress line and the demo
        accounts; the counts, each app's part, tasks and e-mails show from verbosity 1."""
        if options.get("verbosity", 1) == 0:
            self._quietly(
                programs=programs, seed=seed, today=today, if_empty=if_empty, reset=reset,
                batch_size=batch_size, no_health=no_health,
            )  # fmt: skip
            return
        self._seed(
            write=self.stdout.write, programs=programs, seed=seed, today=today,
            if_empty=if_empty, reset=reset, batch_size=batch_size, no_health=no_health,
        )  # fmt: skip

    def _quietly(self, **options) -> None:
        """One line, "Seeding the demo data: 40 programs… done in 6.2 s.", then the accounts.
        Log lines below warnings (each task run, each e-mail) are held back meanwhile."""
        started = time.perf_counter()
        if not (options["if_empty"] and Program.objects.exists()) or options["reset"]:
            self.stdout.write(
                f"Seeding the demo data: {options['programs']} programs, their reviews, "
                "metrics and health…",
                ending="",
            )
            self.stdout.flush()
            previous = logging.root.manager.disable
            logging.disable(logging.INFO)
            try:
                self._seed(write=lambda *args, **kwargs: None, accounts=False, **options)
            finally:
                logging.disable(previous)
            self.stdout.write(f" done in {time.perf_counter() - started:.1f} s.")
        else:
            self.stdout.write("The demo data is already there.")
        self._print_accounts()

    def _seed(
        self, *, write, programs, seed, today, if_empty, reset, batch_size, no_health,
        accounts=True,
    ):  # fmt: skip
        if programs < 1:
            raise CommandError("--programs must be at least 1.")
        if reset:
            started = time.perf_counter()
            reset_demo_data()
            write(f"Removed the existing demo data ({time.perf_counter() - started:.1f} s).")
        elif Program.objects.exists():
            if if_empty:
                write("Programs already exist; nothing seeded.")
                if accounts:
                    self._print_accounts()
                return
            raise CommandError(
                "Programs already exist. Use --reset to replace them, or --if-empty to skip."
            )
        today = today or timezone.localdate()
        write(
            f"Seeding {programs} programs (seed {seed}, today {today}) into "
            f"{connection.vendor} database {connection.settings_dict['NAME']}…"
        )
        seeder = DemoSeeder(
            programs=programs,
            seed=seed,
            today=today,
            batch_size=batch_size,
            progress=write,
        )
        report = seeder.run()
        total = sum(report.counts.values())
        width = max(len(label) for label in report.counts)
        for label, count in report.counts.items():
            write(f"  {label:<{width}}  {count:>9,}")
        write(
            self.style.SUCCESS(
                f"Seeded {total:,} rows in {report.seconds:.1f} s "
                f"({total / max(report.seconds, 1e-9):,.0f} rows/s)."
            )
        )
        if connection.vendor == "postgresql":
            # Fresh statistics after a bulk load, so the planner does not hash-join whole tables.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        # The apps above programs seed their part (reviews, then metrics, health and its
        # history) through the steps they registered: programs does not import them.
        run_demo_steps(
            seed=seed,
            today=today,
            batch_size=batch_size,
            with_health=not no_health,
            write=write,
            stories=report.stories,
            launches=report.launches,
        )
        if accounts:
            self._print_accounts()

    def _print_accounts(self) -> None:
        self.stdout.write("Demo accounts (sign in at /accounts/login/):")
        for username, role, _name in DEMO_ACCOUNTS:
            extra = " — superuser, Django admin at /admin/" if username == "admin" else ""
            self.stdout.write(f"  {username:<10} {role}{extra}")
        self.stdout.write(f"  password for all of them: {DEMO_PASSWORD}")
