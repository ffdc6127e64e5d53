"""manage.py recompute_health [--program SLUG]: recompute health scores now, with progress."""

import time

from django.core.management.base import BaseCommand, CommandError

from metrics.services import health_recompute
from programs.models import Program


class Command(BaseCommand):
    help = "Recompute the health score of every program (or one) and write today's snapshots."

    def add_arguments(self, parser):
        parser.add_argument("--program", metavar="SLUG", help="Only this program.")

    def handle(self, *args, program=None, **options):
        ids = None
        if program:
            ids = list(Program.objects.filter(slug=program).values_list("pk", flat=True))
            if not ids:
                raise CommandError(f"No program with slug '{program}'.")
        total = len(ids) if ids else Program.objects.count()
        started = time.perf_counter()

        def progress(done: int) -> None:
            self.stdout.write(
                f"  {done:>7,} / {total:,} programs", ending="\r" if done < total else "\n"
            )
            self.stdout.flush()

        done = health_recompute(program_ids=ids, progress=progress)
        elapsed = time.perf_counter() - started
        noun = "program" if done.programs == 1 else "programs"
        summary = f"Recomputed {done.programs:,} {noun} in {elapsed:.1f}s: {done.scored:,} scored"
        if done.scored < done.programs:
            summary += " (the others are done, cancelled or unchanged since today's snapshot)"
        changed = "score" if done.changed == 1 else "scores"
        self.stdout.write(self.style.SUCCESS(f"{summary}; {done.changed:,} {changed} changed."))
