"""manage.py weekly_report [--portfolio SLUG] [--week YYYY-MM-DD] [--email]: build reports now."""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from metrics.reports import services
from metrics.reports.build import SECTION_TITLES, last_complete_week, week_start_of
from programs.models import Portfolio


class Command(BaseCommand):
    help = (
        "Build (or rebuild) the weekly report of every portfolio, or one, for the week that "
        "contains --week (default: the last complete week)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--portfolio", metavar="SLUG", help="Only this portfolio.")
        parser.add_argument(
            "--week", metavar="YYYY-MM-DD", help="Any day of the week (its Monday is used)."
        )
        parser.add_argument(
            "--email", action="store_true", help="Also mail subscribers (once per report)."
        )

    def handle(self, *args, portfolio=None, week=None, email=False, **options):
        try:
            day = datetime.date.fromisoformat(week) if week else None
        except ValueError as error:
            raise CommandError(f"--week takes a date like 2026-11-16, not {week!r}.") from error
        week_start = week_start_of(day) if day else last_complete_week(timezone.localdate())
        portfolios = Portfolio.objects.order_by("name")
        if portfolio:
            portfolios = portfolios.filter(slug=portfolio)
            if not portfolios.exists():
                raise CommandError(f"No portfolio with slug '{portfolio}'.")
        for item in portfolios:
            report = services.weekly_report_generate(portfolio=item, week_start=week_start)
            sent = services.weekly_report_email(report=report) if email else 0
            counts = ", ".join(
                f"{len(report.content[key])} {title.lower()}"
                for key, title in SECTION_TITLES.items()
            )
            self.stdout.write(f"{report}: {counts}" + (f"; mailed {sent}" if email else ""))
