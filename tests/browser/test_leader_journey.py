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
    MilestoneFactory,
    PortfolioFactory,
    ProgramFactory,
    RiskFactory,
    StatusUpdateFactory,
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
                    to_date=milestone.target_date, reason="Vendor hardware arrived late",
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
        if n == 0:
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
    page.screenshot(path=RESULTS / "leader-3-red-program.png", full_page=True)

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
