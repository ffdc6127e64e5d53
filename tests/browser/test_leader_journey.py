"""A leader's Monday in a real browser: dashboard, a portfolio, a red program, the weekly report.

Runs Chromium against ``live_server`` with the app's own static files (Plotly included) under
its Content-Security-Policy. Screenshots land in ``test-results/`` for a human to look at.
"""

import datetime
import os
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from django.utils.text import slugify
from playwright.sync_api import Page, expect

from core.roles import Role
from metrics import dashboard
from metrics.models import HealthSnapshot
from metrics.services import health_recompute
from programs.models import MilestoneDateChange, Program
from reviews.models import CapacityRequestState, ChecklistTemplate, LaunchReview
from tests.factories import (
    CapacityBudgetFactory,
    CapacityRequestFactory,
    ChecklistTemplateFactory,
    MetricReadingFactory,
    MilestoneFactory,
    PortfolioFactory,
    ProgramFactory,
    RiskFactory,
    StatusUpdateFactory,
    SuccessMetricFactory,
    TeamFactory,
    UserFactory,
)

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "test-results"
SCORES = {"green": 84, "yellow": 62, "red": 31}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def portfolios(db):
    """Two portfolios of scored programs with 12 weeks of history, slips, launches, capacity.

    The red program of "core" is graded by the engine (today's snapshot, with its signals):
    a critical cutover three weeks overdue, a high risk, an on-track update (a watermelon).
    """
    for role in Role.values:
        Group.objects.get_or_create(name=role)
    UserFactory(
        username="lee.leader", first_name="Lee", last_name="Leader", roles=[Role.LEADERSHIP]
    )
    tpm = UserFactory(username="tina.tpm", first_name="Tina", last_name="Tran", roles=[Role.TPM])
    today = timezone.localdate()
    days = dashboard.weekly_days(today)
    core = PortfolioFactory(name="Core Infrastructure", slug="core")
    edge = PortfolioFactory(name="Edge", slug="edge")
    kernel = TeamFactory(name="Kernel", slug="kernel")
    template = ChecklistTemplate.objects.filter(active=True).first() or ChecklistTemplateFactory()
    quarter = dashboard.quarter_of(today)
    CapacityBudgetFactory(team=kernel, quarter=quarter, amount=Decimal(900))
    plan = [
        ("Fleet kernel upgrade", core, "red"), ("Load balancer replacement", core, "yellow"),
        ("Object storage tiering", core, "green"), ("Service mesh rollout", core, "green"),
        ("Edge TLS 1.3", edge, "yellow"), ("Anycast ingress", edge, "red"),
    ]  # fmt: skip
    for n, (name, portfolio, grade) in enumerate(plan):
        program = ProgramFactory(name=name, slug=slugify(name), portfolio=portfolio, tpm=tpm)
        program.teams.add(kernel)
        StatusUpdateFactory(
            program=program,
            reported_health="on_track",
            asks="Decide on the vendor." if n == 0 else "",
        )
        Program.objects.filter(pk=program.pk).update(
            health_grade=grade, health_score=SCORES[grade], health_watermelon=grade == "red",
            last_update_at=timezone.now(), health_computed_at=timezone.now(),
        )  # fmt: skip
        for back, day in enumerate(reversed(days)):
            past = "green" if back > 6 and n % 2 == 0 else grade
            HealthSnapshot.objects.create(
                program=program, day=day, grade=past, score=SCORES[past] - back % 3,
                computed_at=timezone.now(), watermelon=past == "red",
                reported_health="on_track",
                forecast={"milestone_id": 0, "milestone": "GA", "days_late": 12 if grade == "red" else 0,
                          "target_date": (today + datetime.timedelta(days=30)).isoformat(),
                          "forecast_date": (today + datetime.timedelta(days=42)).isoformat()},
            )  # fmt: skip
        for m in range(3):
            milestone = MilestoneFactory(
                program=program, name=("Design", "Canary", "GA")[m], critical=m == 2,
                baseline_date=today + datetime.timedelta(days=20 * m - 10),
                target_date=today + datetime.timedelta(days=20 * m - 10 + (15 * (n + 1) if m else 0)),
            )  # fmt: skip
            if m:
                MilestoneDateChange.objects.create(
                    milestone=milestone, from_date=milestone.baseline_date,
                    to_date=milestone.target_date, category="vendor",
                    reason="Vendor hardware arrived late",
                    changed_by=tpm,
                )  # fmt: skip
        RiskFactory(program=program, title="Vendor capacity", likelihood=4, impact=5)
        RiskFactory(program=program, title="Rollback untested", likelihood=2, impact=3)
        LaunchReview.objects.create(
            program=program, title=f"{name} GA", tier=template.tier, template=template, author=tpm,
            launch_date=today + datetime.timedelta(days=4 + 4 * n),
            state=("approved", "submitted", "changes_requested")[n % 3],
        )  # fmt: skip
        CapacityRequestFactory(
            program=program, team=kernel, requester=tpm, amount=Decimal(200 + 50 * n),
            quarter=quarter,
            state=CapacityRequestState.SUBMITTED if n % 2 else CapacityRequestState.APPROVED,
            approved_amount=None if n % 2 else Decimal(150),
        )  # fmt: skip
        if name == "Anycast ingress":  # its worst family at 0; launch readiness has no data
            HealthSnapshot.objects.filter(program=program, day=today).update(
                components={"schedule": 0, "risk": 40, "freshness": 100}
            )
        if n == 0:
            metric = SuccessMetricFactory(program=program, name="Hosts on 6.12", unit="hosts")
            for back, value in ((20, 20.0), (10, 35.0), (1, 50.0)):  # ahead of its path
                MetricReadingFactory(
                    metric=metric, value=value, measured_on=today - datetime.timedelta(days=back)
                )
            MilestoneFactory(
                program=program, name="Cutover", critical=True, state="in_progress",
                baseline_date=today - datetime.timedelta(days=21),
                target_date=today - datetime.timedelta(days=21),
            )  # fmt: skip
            health_recompute(program_ids=[program.pk])


def sign_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("pw")
    page.get_by_role("button", name="Sign in").click()


def charts_drawn(page: Page, count: int) -> None:
    expect(page.locator('.chart[data-drawn="yes"]')).to_have_count(count, timeout=15000)


def figure(page: Page, script_id: str) -> dict:
    """The figure a chart was drawn from (its JSON script on the page)."""
    return page.evaluate(f"JSON.parse(document.getElementById('{script_id}').textContent)")


def open_table(page: Page, table_id: str) -> list[list[str]]:
    """Open a chart's "As a table" alternative; each body row's cell texts."""
    details = page.locator(f"#{table_id}")
    details.get_by_text("As a table").click()
    table = details.get_by_role("table")
    expect(table).to_be_visible()
    expect(table.locator("caption")).not_to_be_empty()
    return [
        [cell.strip() for cell in row.locator("th, td").all_inner_texts()]
        for row in table.locator("tbody tr").all()
    ]


def inside(inner: dict, outer: dict) -> bool:
    return (
        inner["x"] >= outer["x"] - 1
        and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + 1
        and inner["y"] >= outer["y"] - 1
        and inner["y"] + inner["height"] <= outer["y"] + outer["height"] + 1
    )


def check_dashboard_charts(page: Page) -> None:
    """Each chart reads at a glance and its table holds the same data."""
    # Biggest slips: one bar of slip days per milestone, longest on top, every label whole
    # and inside the chart.
    slips = figure(page, "chart-slips")["data"][0]
    rows = open_table(page, "table-slips")
    assert [row[4] for row in rows] == slips["text"]
    assert [row[:2] for row in rows] == [data[:2] for data in slips["customdata"]]
    days = [int(row[4].strip("+ d").replace(",", "")) for row in rows]
    assert days == slips["x"] == sorted(days, reverse=True)
    chart = page.locator('[data-chart="chart-slips"]')
    expect(chart.locator(".bars .point")).to_have_count(len(rows))
    box = chart.bounding_box()
    labels = chart.locator(".ytick text, .bartext")
    assert labels.count() >= 2 * len(rows)
    for label in labels.all():
        assert inside(label.bounding_box(), box), label.text_content()
    assert "…" not in "".join(chart.locator(".ytick text").all_text_contents())

    # The 12-week chart fills its card: the plot is as tall as the chart's element.
    grades_chart = page.locator('[data-chart="chart-grades"]')
    plot = grades_chart.locator(".main-svg").first.bounding_box()
    assert abs(plot["height"] - grades_chart.bounding_box()["height"]) <= 2
    green, yellow, red = figure(page, "chart-grades")["data"]
    weeks = open_table(page, "table-grades")
    assert [row[1:] for row in weeks] == [
        [str(counts) for counts in week]
        for week in zip(green["y"], yellow["y"], red["y"], strict=True)
    ]

    # Launches: the legend sits right above the plot; the table lists what is plotted.
    legend = page.locator("#table-launches").locator("xpath=..").locator(".legend")
    launches_chart = page.locator('[data-chart="chart-launches"]')
    gap = launches_chart.bounding_box()["y"] - (
        legend.bounding_box()["y"] + legend.bounding_box()["height"]
    )
    assert 0 <= gap <= 16
    launches = figure(page, "chart-launches")["data"][0]
    assert [row[2:] for row in open_table(page, "table-launches")] == launches["customdata"]

    requested = figure(page, "chart-capacity")["data"][0]
    capacity = open_table(page, "table-capacity")
    assert [row[0] for row in capacity] == [x.replace("<br>", " ") for x in requested["x"]]
    assert [row[1] for row in capacity] == [f"{y:,.0f} vCPU" for y in requested["y"]]


def check_program_charts(page: Page) -> None:
    """The program page's charts: score history, milestone timeline and metric readings."""
    history = figure(page, "score-history-data")["data"][0]
    scores = open_table(page, "table-score-history")
    assert [int(row[1]) for row in scores] == history["y"]
    targets = figure(page, "milestone-timeline-data")["data"][-1]
    milestones = open_table(page, "table-milestone-timeline")
    assert [row[0] for row in milestones] == targets["y"]
    assert [row for row in milestones if row[0] == "★ Cutover"][0][4].startswith("Overdue 21 d")
    metric = page.locator("#metrics .metric").first
    chart_id = metric.locator(".chart").get_attribute("data-chart")
    readings = open_table(page, f"table-{chart_id}")
    actual = figure(page, chart_id)["data"][1]
    assert [row[1] for row in readings] == [f"{value:.0f} hosts" for value in actual["y"]]
    # Its legend names both lines, on top of the plot (it used to be switched off).
    expect(metric.locator(".legendtext")).to_have_text(["Target path", "Actual"])
    legend = metric.locator("g.legend").bounding_box()
    assert legend["y"] + legend["height"] <= metric.locator(".xtick").first.bounding_box()["y"]


def test_leader_reads_dashboard_program_and_weekly_report(
    page: Page, live_server, portfolios, console_errors
):
    """Every chart draws under CSP; filters keep the URL; the report exports as Markdown."""
    base = live_server.url
    RESULTS.mkdir(exist_ok=True)
    page.set_viewport_size({"width": 1400, "height": 900})

    sign_in(page, base, "lee.leader")
    expect(page).to_have_url(f"{base}/dashboard/")  # Leadership's home is the dashboard
    expect(page.get_by_role("heading", name="All portfolios")).to_be_visible()
    charts_drawn(page, 4)
    expect(page.locator(".sparkline-svg").first).to_be_visible()
    page.screenshot(path=RESULTS / "leader-1-dashboard.png", full_page=True)
    check_dashboard_charts(page)

    # Scope to one portfolio: the page updates in place and the URL keeps the filter.
    page.get_by_label("Portfolio", exact=True).select_option(label="Core Infrastructure")
    expect(page).to_have_url(re.compile(r"/dashboard/\?portfolio=core"))
    expect(page.get_by_role("heading", name="Core Infrastructure")).to_be_visible()
    charts_drawn(page, 4)
    expect(page.locator("#dashboard-table")).not_to_contain_text("Anycast ingress")
    page.screenshot(path=RESULTS / "leader-2-portfolio.png", full_page=True)

    # The red count narrows the table to the red programs; open one.
    expect(page.locator(".kpi-stale .kpi-value")).to_have_text("0")
    page.get_by_label("Cause").select_option("schedule")
    expect(page).to_have_url(re.compile(r"cause=schedule"))
    expect(page.locator("#dashboard-table")).to_contain_text("Fleet kernel upgrade")
    expect(page.locator("#dashboard-table")).to_contain_text(
        "Critical milestone 'Cutover' is 21 days overdue"
    )
    expect(page.locator("#dashboard-table")).not_to_contain_text("Load balancer replacement")
    page.get_by_label("Cause").select_option("")
    page.locator(".kpi-red").click()
    expect(page).to_have_url(re.compile(r"grade=red"))
    table = page.locator("#dashboard-table")
    expect(table.get_by_role("link", name="Fleet kernel upgrade")).to_be_visible()
    expect(table).not_to_contain_text("Object storage tiering")
    table.get_by_role("link", name="Fleet kernel upgrade").click()
    expect(page.get_by_role("heading", name="Fleet kernel upgrade")).to_be_visible()
    # Its health: the signals with their severities, and what would make it green, in order.
    health = page.locator("#health")
    expect(health.locator(".score-grade")).to_have_text("Red")
    expect(health.locator(".reason-list li").first).to_contain_text(
        "Critical milestone 'Cutover' is 21 days overdue"
    )
    expect(health.locator(".reason-list li .sev").first).to_have_text("red")
    expect(health.locator(".health-flags .tag-watermelon")).to_be_visible()
    to_green = health.locator(".to-green-list li")
    expect(to_green.first).to_contain_text("Finish 'Cutover', or re-plan it")
    expect(to_green.nth(1)).to_contain_text("Start mitigating 'Vendor capacity'")
    # The README's picture is refreshed only when asked (UPDATE_SCREENSHOTS=1): a test run
    # leaves the working tree as it found it.
    shots = ROOT / "docs" / "screenshots" if os.environ.get("UPDATE_SCREENSHOTS") else RESULTS
    shots.mkdir(parents=True, exist_ok=True)
    health.screenshot(path=shots / "program-health.png")
    expect(page.get_by_role("heading", name="Milestone timeline")).to_be_visible()
    expect(page.get_by_role("heading", name="Risk matrix")).to_be_visible()
    expect(page.locator('#milestone-timeline .chart[data-drawn="yes"]')).to_have_count(1)
    expect(page.locator('#metrics .chart[data-drawn="yes"]')).to_have_count(1)
    check_program_charts(page)
    page.screenshot(path=RESULTS / "leader-3-red-program.png", full_page=True)

    # A family at 0 reads as the worst score (a red stub and its 0), apart from no data.
    page.goto(f"{base}/programs/anycast-ingress/")
    families = page.locator("#health .component-list")
    zero = families.locator("li", has_text="Schedule")
    expect(zero.locator(".component-score")).to_have_text("0")
    stub = zero.locator(".meter-fill")
    assert stub.bounding_box()["width"] >= 6
    red = page.evaluate(
        "getComputedStyle(document.documentElement).getPropertyValue('--grade-red-dot')"
    )
    stub_colour = stub.evaluate("element => getComputedStyle(element).backgroundColor")
    assert stub_colour == "rgb({}, {}, {})".format(
        *(int(red.strip()[i : i + 2], 16) for i in (1, 3, 5))
    )
    no_data = families.locator("li", has_text="Launch readiness")
    expect(no_data).to_contain_text("no data")
    expect(no_data.locator(".meter")).to_have_count(0)
    families.screenshot(path=RESULTS / "leader-3b-families-zero-and-no-data.png")

    # The weekly report: generate this week's, read it, export it.
    page.goto(f"{base}/dashboard/?portfolio=core")
    page.get_by_role("link", name="Weekly reports").click()
    expect(page.get_by_role("heading", name="Weekly reports")).to_be_visible()
    page.get_by_role("button", name="Generate the Core Infrastructure report").click()
    expect(page.get_by_role("heading", name="Core Infrastructure")).to_be_visible()
    expect(page.locator("#asks")).to_contain_text("Decide on the vendor.")
    expect(page.locator("#launches")).to_contain_text("Fleet kernel upgrade GA")
    page.screenshot(path=RESULTS / "leader-4-weekly-report.png", full_page=True)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export Markdown").click()
    download = download_info.value
    assert download.suggested_filename.startswith("pulse-core-week-")
    saved = RESULTS / "leader-weekly-report.md"
    download.save_as(saved)
    text = saved.read_text()
    assert text.startswith("# Core Infrastructure — weekly report")
    assert "Decide on the vendor." in text and "Anycast ingress" not in text

    assert console_errors == []
