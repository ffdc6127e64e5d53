"""Pages of the metrics app: success metrics and readings on a program, the portfolio
dashboard (with its CSV export) and the weekly reports."""

import csv
import datetime
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from core.forms import run_service
from core.roles import sees_everything
from metrics import charts, dashboard, services
from metrics import reports as reports_service
from metrics.forms import DashboardFilterForm, MetricReadingForm, SuccessMetricForm
from metrics.models import ReportSubscription, SuccessMetric, WeeklyReport
from programs.models import Portfolio
from programs.selectors import visible_programs
from programs.views import editable_program, form_page


@require_http_methods(["GET", "POST"])
def metric_create(request: HttpRequest, slug: str) -> HttpResponse:
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
def reading_create(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
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

DASHBOARD_PAGE_SIZE = 25


def _dashboard_filters(
    request: HttpRequest,
) -> tuple[DashboardFilterForm, dashboard.DashboardFilters]:
    portfolios, teams = dashboard.filter_choices()
    form = DashboardFilterForm(request.GET or None, portfolios=portfolios, teams=teams)
    filters = form.filters() if request.GET else dashboard.DashboardFilters()
    form.selected_portfolio = next((p for p in portfolios if p.slug == filters.portfolio), None)
    return form, filters


def _table_context(request: HttpRequest, filters: dashboard.DashboardFilters, today) -> dict:
    page = Paginator(
        dashboard.table_programs(user=request.user, filters=filters), DASHBOARD_PAGE_SIZE
    ).get_page(request.GET.get("page"))
    lines = dashboard.sparklines((p.pk for p in page.object_list), dashboard.weekly_days(today))
    rows = [
        {
            "program": p,
            "spark": lines.get(p.pk),
            "forecast": dashboard.forecast_of(p, today),
            "reason": dashboard.first_reason_of(p),
        }
        for p in page.object_list
    ]
    return {
        "page": page,
        "rows": rows,
        "sort": filters.sort,
        "today": today,
        "causes": dashboard.CAUSES,
    }


def _capacity_list_url() -> str:
    """The capacity requests page once reviews has one; the dashboard's section until then."""
    try:
        return reverse("reviews:capacity-list")
    except NoReverseMatch:
        return "#capacity"


@require_http_methods(["GET", "HEAD"])
def dashboard_view(request: HttpRequest) -> HttpResponse:
    """The portfolio dashboard: counts, trends, slips, launches, capacity and the programs.

    Every filter lives in the query string (a view can be shared); an htmx request for the
    table (sorting, pages) gets only the table.
    """
    today = timezone.localdate()
    form, filters = _dashboard_filters(request)
    context = {
        "filter_form": form,
        "filters": filters,
        "nav_section": "dashboard",
        **_table_context(request, filters, today),
    }
    template = "metrics/dashboard.html"
    if request.htmx and request.htmx.target == "dashboard-table":
        return render(request, template + "#table", context)
    data = dashboard.portfolio_dashboard(user=request.user, filters=filters, today=today)
    capacity = data.capacity
    figures = {
        "grades": charts.grade_distribution(
            [charts.GradeWeek(week["day"], week["counts"]) for week in data.weeks]
        ),
        "slips": charts.biggest_slips(
            [
                charts.SlipRow(m.program.name, m.name, m.baseline_date, m.target_date)
                for m in data.slips
            ]
        )
        if data.slips
        else None,
        "launches": charts.launch_timeline(
            [
                charts.LaunchPoint(
                    r.program.name, r.title, r.launch_date, r.state, r.get_state_display()
                )
                for r in data.launches[: dashboard.LAUNCHES_CHARTED]
            ],
            today=today,
        )
        if data.launches
        else None,
        "capacity": charts.capacity_by_team(
            [
                charts.CapacityRow(
                    t.team,
                    float(t.requested),
                    float(t.approved),
                    None if t.budget is None else float(t.budget),
                )
                for t in capacity.teams
            ],
            unit=capacity.unit,
        )
        if capacity.teams
        else None,
    }
    context.update(
        {
            "data": data,
            "figures": {
                name: charts.figure_data(fig) for name, fig in figures.items() if fig is not None
            },
            "launches_url": reverse("reviews:launch-list")
            + "?"
            + urlencode(
                {
                    "launch_after": today.isoformat(),
                    "launch_before": (
                        today + datetime.timedelta(days=dashboard.LAUNCH_WINDOW_DAYS)
                    ).isoformat(),
                }
            ),
            "capacity_url": _capacity_list_url(),
            "has_history": any(week["counts"] for week in data.weeks),
        }
    )
    return render(request, template, context)


@require_http_methods(["GET", "HEAD"])
def dashboard_csv(request: HttpRequest) -> StreamingHttpResponse:
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

REPORTS_PAGE_SIZE = 20


def _may_generate(user) -> bool:
    return sees_everything(user)


@require_http_methods(["GET", "HEAD"])
def report_list(request: HttpRequest) -> HttpResponse:
    """Past weekly reports, newest first, for one portfolio or all; subscribe from here."""
    portfolios = list(Portfolio.objects.only("name", "slug").order_by("name"))
    selected = next((p for p in portfolios if p.slug == request.GET.get("portfolio")), None)
    reports = WeeklyReport.objects.select_related("portfolio").defer("content", "markdown")
    if selected:
        reports = reports.filter(portfolio=selected)
    page = Paginator(
        reports.order_by("-week_start", "portfolio__name"), REPORTS_PAGE_SIZE
    ).get_page(request.GET.get("page"))
    subscribed = set(
        ReportSubscription.objects.filter(user=request.user).values_list("portfolio_id", flat=True)
    )
    return render(
        request,
        "metrics/report_list.html",
        {
            "nav_section": "reports",
            "portfolios": portfolios,
            "selected": selected,
            "page": page,
            "subscribed": subscribed,
            "can_generate": _may_generate(request.user),
            "this_week": reports_service.week_start_of(timezone.localdate()),
        },
    )


def _report_for(request: HttpRequest, portfolio: str, week: str) -> WeeklyReport:
    try:
        week_start = datetime.date.fromisoformat(week)
    except ValueError as error:
        raise Http404("No report for that week.") from error
    return get_object_or_404(
        WeeklyReport.objects.select_related("portfolio", "generated_by"),
        portfolio__slug=portfolio,
        week_start=week_start,
    )


def _visible_content(request: HttpRequest, report: WeeklyReport) -> dict:
    visible = None
    if not sees_everything(request.user):
        visible = set(
            visible_programs(request.user)
            .filter(portfolio_id=report.portfolio_id)
            .values_list("pk", flat=True)
        )
    return reports_service.visible_content(report.content, visible)


@require_http_methods(["GET", "HEAD"])
def report_detail(request: HttpRequest, portfolio: str, week: str) -> HttpResponse:
    """One weekly report, as the reader may see it."""
    report = _report_for(request, portfolio, week)
    content = _visible_content(request, report)
    neighbours = WeeklyReport.objects.filter(portfolio_id=report.portfolio_id)
    return render(
        request,
        "metrics/report_detail.html",
        {
            "nav_section": "reports",
            "report": report,
            "content": content,
            "summary": reports_service.summary(content),
            "sections": reports_service.SECTION_TITLES,
            "previous": neighbours.filter(week_start__lt=report.week_start)
            .order_by("-week_start")
            .only("week_start", "portfolio_id")
            .first(),
            "next": neighbours.filter(week_start__gt=report.week_start)
            .order_by("week_start")
            .only("week_start", "portfolio_id")
            .first(),
            "subscribed": ReportSubscription.objects.filter(
                user=request.user, portfolio_id=report.portfolio_id
            ).exists(),
            "can_generate": _may_generate(request.user),
        },
    )


@require_http_methods(["GET", "HEAD"])
def report_markdown(request: HttpRequest, portfolio: str, week: str) -> HttpResponse:
    """The report as a Markdown file, as the reader may see it."""
    report = _report_for(request, portfolio, week)
    body = reports_service.render_markdown(
        _visible_content(request, report), base_url=request.build_absolute_uri("/").rstrip("/")
    )
    name = f"pulse-{report.portfolio.slug}-week-{report.week_start:%Y-%m-%d}.md"
    return HttpResponse(
        body,
        content_type="text/markdown; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@require_POST
def report_generate(request: HttpRequest, portfolio: str) -> HttpResponse:
    """Build (or rebuild) a portfolio's report for a week now: leadership and admins only."""
    if not _may_generate(request.user):
        raise PermissionDenied("Only leadership and admins generate reports.")
    portfolio_obj = get_object_or_404(Portfolio, slug=portfolio)
    try:
        week = datetime.date.fromisoformat(request.POST.get("week", ""))
    except ValueError:
        week = timezone.localdate()
    report = reports_service.weekly_report_generate(
        portfolio=portfolio_obj, week_start=week, user=request.user
    )
    messages.success(request, f"Report for {report} generated.")
    return redirect(report.get_absolute_url())


@require_POST
def report_subscribe(request: HttpRequest, portfolio: str) -> HttpResponse:
    """Subscribe to (or unsubscribe from) a portfolio's weekly report by e-mail."""
    portfolio_obj = get_object_or_404(Portfolio, slug=portfolio)
    on = reports_service.subscription_toggle(user=request.user, portfolio=portfolio_obj)
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
