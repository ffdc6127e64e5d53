"""``manage.py import_programs FILE [--dry-run] [--kind K] [--program SLUG] --user NAME``."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from programs.imports.forms import KIND_CHOICES
from programs.imports.reading import UploadError
from programs.imports.services import ImportRefused, import_run


class Command(BaseCommand):
    help = (
        "Import programs, milestones and risks from a CSV or XLSX file (or epics from a Jira "
        "CSV export), all or nothing, as the page and the API do."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="Check only: write nothing.")
        parser.add_argument("--kind", default="auto", choices=[k for k, _ in KIND_CHOICES])
        parser.add_argument("--program", default="", help="The program of a Jira export.")
        parser.add_argument(
            "--user", required=True,
            help="Who imports (a TPM or an admin): the history and permissions are theirs.",
        )  # fmt: skip

    def handle(self, *args, file: Path, dry_run: bool, kind: str, program: str, user: str,
               **options):  # fmt: skip
        person = get_user_model().objects.filter(username=user, is_active=True).first()
        if person is None:
            raise CommandError(f"No active user {user!r}.")
        if not person.has_perm("programs.add_program"):
            raise CommandError(f"{user} may not import: only TPMs and admins do.")
        try:
            data = file.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error}") from error
        try:
            result = import_run(
                user=person, data=data, filename=file.name, kind=kind, program=program,
                dry_run=dry_run,
            )  # fmt: skip
        except UploadError as error:
            raise CommandError(str(error)) from error
        except ImportRefused as refused:
            self._report(refused.plan)
            raise CommandError(
                f"{len(refused.plan.errors)} problems: nothing was imported."
            ) from refused
        self._report(result.plan)
        if not result.plan.valid:
            raise CommandError(f"{len(result.plan.errors)} problems: nothing would be imported.")
        verb = "Would import" if dry_run else "Imported"
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb} {len(result.plan.rows)} rows in {result.seconds:.1f} s: "
                f"{result.plan.counts()}"
            )  # fmt: skip
        )

    def _report(self, plan) -> None:
        for error in plan.file_errors:
            self.stderr.write(f"{error.sheet} row {error.row} {error.column}: {error.message}")
        for row in plan.rows:
            detail = "; ".join(
                f"{e.column}: {e.message}" if e.column else e.message for e in row.errors
            ) or "; ".join(row.changes)
            line = f"{row.sheet} row {row.number}: {row.action} {row.label} — {detail}"
            (self.stderr if row.errors else self.stdout).write(line)
