"""Pages of the metrics app: success metrics and readings on a program, the portfolio
dashboard (with its CSV export) and the weekly reports."""

import csv
import datetime
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from core.forms import run_service
from core.roles import sees_everything
from core.types import SignedInRequest
from metrics import charts, dashboard, services
from metrics.forms import DashboardFilterForm, MetricReadingForm, SuccessMetricForm
from metrics.models import SuccessMetric, WeeklyReport
from metrics.reports import selectors as report_selectors
from metrics.reports import services as report_services
from metrics.reports.build import SECTION_TITLES, summary, visible_content, week_start_of
from metrics.reports.render import render_markdown
from programs.views import editable_program, form_page


@require_http_methods(["GET", "POST"])
def metric_create(request: SignedInRequest, slug: str) -> HttpResponse:
    """Add a success metric: what the program promises to move, from where to where, by when."""
    program = editable_program(request, slug)
    form = SuccessMetricForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        metric = run_service(
            form,
            lambda: services.success_metric_create(
                program=program, user=request.user, **form.cleaned_data
            ),
        )
        if metric:
            messages.success(
                request, f"Metric “{metric.name}” added. Record its readings as they come."
            )
            return redirect(f"{program.get_absolute_url()}#metric-{metric.pk}")
    return form_page(
        request,
        program=program,
        form=form,
        title="Add a success metric",
        submit="Add metric",
        intro="Health compares its latest reading with the straight path from baseline to target.",
    )


@require_http_methods(["GET", "POST"])
def reading_create(request: SignedInRequest, slug: str, pk: int) -> HttpResponse:
    """Record a measurement of a metric (readings are facts: never edited)."""
    program = editable_program(request, slug)
    metric = get_object_or_404(SuccessMetric, pk=pk, program=program)
    form = MetricReadingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        reading = run_service(
            form,
            lambda: services.metric_reading_record(
                metric=metric, user=request.user, **form.cleaned_data
            ),
        )
        if reading:
            messages.success(request, f"Reading of “{metric.name}” recorded.")
            return redirect(f"{program.get_absolute_url()}#metric-{metric.pk}")
    return form_page(
        request,
        program=program,
        form=form,
        title=f"Record a reading of “{metric.name}”",
        submit="Record reading",
        intro=f"Baseline {metric.baseline_value:g}, target {metric.target_value:g} {metric.unit} by {metric.target_date:%d %b %Y}.",
    )


# --- Portfolio dashboard --------------------------------------------------------------------


def _dashboard_filters(
    request: HttpRequest,
) -> tuple[DashboardFilterForm, dashboard.DashboardFilters]:
    portfolios, teams = dashboard.filter_choices()
    form = DashboardFilterForm(request.GET or None, portfolios=portfolios, teams=teams)
    filters = form.filters() if request.GET else dashboard.DashboardFilters()
    form.selected_portfolio = next((p for p in portfolios if p.slug == filters.portfolio), None)
    return form, filters


def _capacity_list_url() -> str:
    """The capacity requests page once reviews has one; the dashboard's section until then."""
    try:
        return reverse("reviews:capacity-list")
    except NoReverseMatch:
        return "#capacity"


def _launches_url(today: datetime.date) -> str:
    window = {
        "launch_date_after": today.isoformat(),
        "launch_date_before": (
            today + datetime.timedelta(days=dashboard.LAUNCH_WINDOW_DAYS)
        ).isoformat(),
    }
    return f"{reverse('reviews:launch-list')}?{urlencode(window)}"


@require_http_methods(["GET", "HEAD"])
def dashboard_view(request: SignedInRequest) -> HttpResponse:
    """The portfolio dashboard: counts, trends, slips, launches, capacity and the programs.

    Every filter lives in the query string (a view can be shared); an htmx request for the
    table (sorting, pages) gets only the table.
    """
    today = timezone.localdate()
    form, filters = _dashboard_filters(request)
    table = dashboard.table_page(
        user=request.user, filters=filters, page=request.GET.get("page"), today=today
    )
    context = {
        "filter_form": form,
        "filters": filters,
        "nav_section": "dashboard",
        "page": table.page,
        "rows": table.rows,
        "sort": filters.sort,
        "today": today,
        "causes": dashboard.CAUSES,
    }
    template = "metrics/dashboard.html"
    if request.htmx and request.htmx.target == "dashboard-table":
        return render(request, template + "#table", context)
    data = dashboard.portfolio_dashboard(user=request.user, filters=filters, today=today)
    context.update(
        {
            "data": data,
            "figures": charts.dashboard_figures(data, today=today),
            "launches_url": _launches_url(today),
            "capacity_url": _capacity_list_url(),
            "has_history": any(week["counts"] for week in data.weeks),
        }
    )
    return render(request, template, context)


@require_http_methods(["GET", "HEAD"])
def dashboard_csv(request: SignedInRequest) -> StreamingHttpResponse:
    """The dashboard's programs table as CSV, with the same filters, every row."""
    _form, filters = _dashboard_filters(request)
    today = timezone.localdate()
    writer = csv.writer(_Echo())
    rows = dashboard.csv_rows(
        dashboard.table_programs(user=request.user, filters=filters),
        base_url=request.build_absolute_uri("/").rstrip("/"),
        today=today,
    )
    name = f"pulse-programs-{filters.portfolio or 'all'}-{today:%Y-%m-%d}.csv"
    return StreamingHttpResponse(
        (writer.writerow(row) for row in rows),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


class _Echo:
    """A file-like object whose write returns the line: csv.writer feeding a stream."""

    def write(self, value: str) -> str:
        return value


# --- Weekly report --------------------------------------------------------------------------


def _may_generate(user) -> bool:
    return sees_everything(user)


@require_http_methods(["GET", "HEAD"])
def report_list(request: SignedInRequest) -> HttpResponse:
    """Past weekly reports, newest first, for one portfolio or all; subscribe from here."""
    portfolios = report_selectors.report_portfolios()
    selected = next((p for p in portfolios if p.slug == request.GET.get("portfolio")), None)
    return render(
        request,
        "metrics/report_list.html",
        {
            "nav_section": "reports",
            "portfolios": portfolios,
            "selected": selected,
            "page": report_selectors.report_page(portfolio=selected, page=request.GET.get("page")),
            "subscribed": report_selectors.subscribed_portfolio_ids(user=request.user),
            "can_generate": _may_generate(request.user),
            "this_week": week_start_of(timezone.localdate()),
        },
    )


def _visible_content(request: SignedInRequest, report: WeeklyReport) -> dict:
    visible = report_selectors.readable_program_ids(
        user=request.user, portfolio_id=report.portfolio_id
    )
    return visible_content(report.content, visible)


@require_http_methods(["GET", "HEAD"])
def report_detail(request: SignedInRequest, portfolio: str, week: str) -> HttpResponse:
    """One weekly report, as the reader may see it."""
    report = report_selectors.report_of_week(portfolio=portfolio, week=week)
    content = _visible_content(request, report)
    return render(
        request,
        "metrics/report_detail.html",
        {
            "nav_section": "reports",
            "report": report,
            "content": content,
            "summary": summary(content),
            "sections": SECTION_TITLES,
            "previous": report_selectors.previous_report(report=report),
            "next": report_selectors.next_report(report=report),
            "subscribed": report_selectors.is_subscribed(
                user=request.user, portfolio_id=report.portfolio_id
            ),
            "can_generate": _may_generate(request.user),
        },
    )


@require_http_methods(["GET", "HEAD"])
def report_markdown(request: SignedInRequest, portfolio: str, week: str) -> HttpResponse:
    """The report as a Markdown file, as the reader may see it."""
    report = report_selectors.report_of_week(portfolio=portfolio, week=week)
    body = render_markdown(
        _visible_content(request, report), base_url=request.build_absolute_uri("/").rstrip("/")
    )
    name = f"pulse-{report.portfolio.slug}-week-{report.week_start:%Y-%m-%d}.md"
    return HttpResponse(
        body,
        content_type="text/markdown; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@require_POST
def report_generate(request: SignedInRequest, portfolio: str) -> HttpResponse:
    """Build (or rebuild) a portfolio's report for a week now: leadership and admins only."""
    if not _may_generate(request.user):
        raise PermissionDenied("Only leadership and admins generate reports.")
    portfolio_obj = report_selectors.portfolio_of_slug(slug=portfolio)
    try:
        week = datetime.date.fromisoformat(request.POST.get("week", ""))
    except ValueError:
        week = timezone.localdate()
    report = report_services.weekly_report_generate(
        portfolio=portfolio_obj, week_start=week, user=request.user
    )
    messages.success(request, f"Report for {report} generated.")
    return redirect(report.get_absolute_url())


@require_POST
def report_subscribe(request: SignedInRequest, portfolio: str) -> HttpResponse:
    """Subscribe to (or unsubscribe from) a portfolio's weekly report by e-mail."""
    portfolio_obj = report_selectors.portfolio_of_slug(slug=portfolio)
    on = report_services.subscription_toggle(user=request.user, portfolio=portfolio_obj)
    if on:
        where = request.user.email or "your address (none on file yet: ask an admin)"
        messages.success(
            request, f"Subscribed: the {portfolio_obj.name} report comes to {where} every Monday."
        )
    else:
        messages.success(request, f"Unsubscribed from the {portfolio_obj.name} weekly report.")
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = reverse("leadership:reports")
    return redirect(back)
