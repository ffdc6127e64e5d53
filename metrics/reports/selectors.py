"""Reads of the weekly report: what happened in a portfolio's week, and the report pages' data.

``week_rows`` reads everything the builder needs for one week in six queries, whatever the
portfolio's size; the page selectors serve the list and detail views.
"""

import datetime
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.paginator import Page, Paginator
from django.db.models import F, Max, Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from core.roles import sees_everything
from core.types import User
from metrics.models import HealthSnapshot, ReportSubscription, WeeklyReport
from metrics.reports.build import SNAPSHOT_TOLERANCE_DAYS, ReportWindow, report_content
from programs.models import MilestoneDateChange, Portfolio, Program, StatusUpdate
from programs.selectors import ACTIVE_PHASES, visible_programs
from reviews.models import OPEN_REVIEW_STATES, LaunchReview

type Viewer = User | AnonymousUser

# The snapshot columns the builder compares; the first reason only: the one deciding the grade.
SNAPSHOT_FIELDS = (
    "program_id", "day", "grade", "score", "watermelon", "stale", "reported_health", "reasons__0",
)  # fmt: skip
PROGRAM_FIELDS = (
    "id", "name", "slug", "created_at", "update_cadence_days", "last_update",
    "tpm__first_name", "tpm__last_name", "tpm__username",
)  # fmt: skip


@dataclass(frozen=True)
class WeekRows:
    """What happened in a portfolio during a week, as read from the database."""

    programs: dict[int, dict[str, Any]]  # active programs by id: PROGRAM_FIELDS
    snapshots: list[dict[str, Any]]  # SNAPSHOT_FIELDS, from the week before to its last day
    slips: list[MilestoneDateChange]  # with their milestone and author
    launches: list[LaunchReview]
    asks: list[StatusUpdate]  # with their author; only updates that ask something


def week_rows(*, portfolio: Portfolio, window: ReportWindow) -> WeekRows:
    """The rows of the portfolio's week (six queries)."""
    programs = {
        row["id"]: row
        for row in Program.objects.filter(portfolio=portfolio, phase__in=ACTIVE_PHASES)
        .annotate(
            last_update=Max(
                "status_updates__created_at", filter=Q(status_updates__created_at__lt=window.ends)
            )
        )
        .values(*PROGRAM_FIELDS)
    }
    ids = list(programs)
    snapshots = HealthSnapshot.objects.filter(
        program_id__in=ids,
        day__gte=window.before_day - datetime.timedelta(days=SNAPSHOT_TOLERANCE_DAYS),
        day__lte=window.last_day,
    ).values(*SNAPSHOT_FIELDS)
    slips = (
        MilestoneDateChange.objects.filter(
            milestone__program_id__in=ids,
            changed_at__gte=window.starts,
            changed_at__lt=window.ends,
            to_date__gt=F("from_date"),  # slips only, not pull-ins
        )
        .select_related("milestone", "changed_by")
        .order_by("-to_date", "changed_at")
    )
    launches = LaunchReview.objects.filter(
        program_id__in=ids,
        state__in=OPEN_REVIEW_STATES,
        launch_date__gte=window.launches_from,
        launch_date__lte=window.launches_until,
    ).order_by("launch_date", "id")
    asks = (
        StatusUpdate.objects.filter(
            program_id__in=ids, created_at__gte=window.starts, created_at__lt=window.ends
        )
        .exclude(asks="")
        .select_related("author")
        .order_by("program__name", "-created_at")
    )
    return WeekRows(programs, list(snapshots), list(slips), list(launches), list(asks))


def weekly_report_content(
    *, portfolio: Portfolio, week_start: datetime.date, today: datetime.date | None = None
) -> dict[str, Any]:
    """The content of a portfolio's report for the week starting ``week_start`` (a Monday),
    built from its rows (six queries)."""
    window = ReportWindow(week_start=week_start, today=today or timezone.localdate())
    return report_content(
        portfolio_name=portfolio.name,
        portfolio_slug=portfolio.slug,
        window=window,
        rows=week_rows(portfolio=portfolio, window=window),
    )


# --- The report pages -------------------------------------------------------------------------

REPORTS_PAGE_SIZE = 20


def report_portfolios() -> list[Portfolio]:
    """Every portfolio, by name: the list page's filter and subscriptions."""
    return list(Portfolio.objects.only("name", "slug").order_by("name"))


def report_page(*, portfolio: Portfolio | None, page: str | None) -> Page:
    """A page of reports, newest first, of one portfolio or all (without their content)."""
    reports = WeeklyReport.objects.select_related("portfolio").defer("content", "markdown")
    if portfolio:
        reports = reports.filter(portfolio=portfolio)
    ordered = reports.order_by("-week_start", "portfolio__name")
    return Paginator(ordered, REPORTS_PAGE_SIZE).get_page(page)


def subscribed_portfolio_ids(*, user: User) -> set[int]:
    return set(ReportSubscription.objects.filter(user=user).values_list("portfolio_id", flat=True))


def is_subscribed(*, user: User, portfolio_id: int) -> bool:
    return ReportSubscription.objects.filter(user=user, portfolio_id=portfolio_id).exists()


def portfolio_of_slug(*, slug: str) -> Portfolio:
    """The portfolio a report page names; 404 when none."""
    return get_object_or_404(Portfolio, slug=slug)


def report_of_week(*, portfolio: str, week: str) -> WeeklyReport:
    """A portfolio's report by slug and week (ISO date of its Monday); 404 when none."""
    try:
        week_start = datetime.date.fromisoformat(week)
    except ValueError as error:
        raise Http404("No report for that week.") from error
    return get_object_or_404(
        WeeklyReport.objects.select_related("portfolio", "generated_by"),
        portfolio__slug=portfolio,
        week_start=week_start,
    )


def _neighbours(report: WeeklyReport) -> QuerySet[WeeklyReport]:
    return WeeklyReport.objects.filter(portfolio_id=report.portfolio_id).only(
        "week_start", "portfolio_id"
    )


def previous_report(*, report: WeeklyReport) -> WeeklyReport | None:
    earlier = _neighbours(report).filter(week_start__lt=report.week_start)
    return earlier.order_by("-week_start").first()


def next_report(*, report: WeeklyReport) -> WeeklyReport | None:
    later = _neighbours(report).filter(week_start__gt=report.week_start)
    return later.order_by("week_start").first()


def readable_program_ids(*, user: Viewer, portfolio_id: int) -> set[int] | None:
    """The portfolio's programs the user may read in a report; None: every one."""
    if sees_everything(user):
        return None
    return visible_program_ids(user=user, portfolio_id=portfolio_id)


def visible_program_ids(*, user: Viewer, portfolio_id: int) -> set[int]:
    """The portfolio's programs the user may see (one query)."""
    visible = visible_programs(user).filter(portfolio_id=portfolio_id)
    return set(visible.values_list("pk", flat=True))


def subscriptions_of(*, portfolio_id: int) -> QuerySet[ReportSubscription]:
    return ReportSubscription.objects.filter(portfolio_id=portfolio_id).select_related("user")
