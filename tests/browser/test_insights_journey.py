"""A leader reads the insights in a real browser: the overview, launch reviews filtered by
portfolio and quarter, a chart's table opened, a CSV downloaded. Screenshots land in
``test-results/``."""

import datetime
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from playwright.sync_api import Page, expect

from core.roles import Role
from metrics.insights.selectors import Quarter
from tests.factories import (
    LaunchReviewFactory,
    PortfolioFactory,
    ProgramFactory,
    SignOffFactory,
    UserFactory,
)

RESULTS = Path(__file__).resolve().parents[2] / "test-results"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def reviews(db):
    for role in Role.values:
        Group.objects.get_or_create(name=role)
    UserFactory(username="lee.leader", roles=[Role.LEADERSHIP])
    now = timezone.now()
    for slug, days in (("core", (3, 6, 12)), ("edge", (20,))):
        portfolio = PortfolioFactory(slug=slug, name=slug.title())
        for waited in days:
            review = LaunchReviewFactory(
                program=ProgramFactory(portfolio=portfolio), state="approved",
                submitted_at=now - datetime.timedelta(days=waited), decided_at=now,
            )  # fmt: skip
            SignOffFactory(review=review, area="security")


def test_leader_filters_insights_and_downloads_a_csv(
    live_server, page: Page, reviews, console_errors
):
    base = live_server.url
    page.set_viewport_size({"width": 1440, "height": 1000})
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill("lee.leader")
    page.get_by_label("Password").fill("pw")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Insights").first.click()
    expect(page.get_by_role("heading", name="How governance is going")).to_be_visible()

    page.get_by_role("link", name="Open launch reviews →").click()
    page.get_by_label("Portfolio", exact=True).select_option("core")
    page.wait_for_url("**portfolio=core**")
    page.get_by_label("Quarter", exact=True).select_option(str(Quarter.of(timezone.localdate())))
    page.wait_for_load_state("networkidle")
    # Core's three reviews: 3, 6 and 12 days → a median of 6 (edge's 20 is filtered out).
    expect(page.locator(".kpi").first).to_contain_text("6.0 d")
    expect(page.locator('#block-areas .chart[data-drawn="yes"]')).to_have_count(1, timeout=15000)

    page.locator("#table-areas summary").click()
    expect(page.locator("#table-areas table")).to_contain_text("Security")
    with page.expect_download() as download:
        page.locator("#block-areas").get_by_role("link", name="Download CSV").click()
    body = Path(download.value.path()).read_text()
    assert body.splitlines()[0] == "Area,Sign-offs,Median,p90,Changes requested"
    assert body.splitlines()[1].startswith("Security,3,")
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=str(RESULTS / "insights-launch-reviews.png"), full_page=True)
    assert not console_errors
