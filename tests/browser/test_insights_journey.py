"""A leader reads the insights in a real browser: the overview, launch reviews filtered by
portfolio and quarter, a chart's table opened, a CSV downloaded; then every section of the
demo organisation's year of history, each trend table read against the API's JSON for the
same quarter; and a TPM sees a confidential program's numbers only when they may read it.
Screenshots land in ``test-results/``."""

import datetime
from collections.abc import Callable
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import Page, expect

from core.roles import Role
from metrics.insights.charts import days as as_days
from metrics.insights.sections import SECTIONS
from metrics.insights.selectors import Quarter
from programs.management.commands.seed_demo import DEMO_PASSWORD
from tests.factories import (
    HealthSnapshotFactory,
    LaunchReviewFactory,
    MilestoneFactory,
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


def sign_in(page: Page, base: str, username: str, password: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def count(text: str) -> int:
    return int(text.replace(",", ""))


# Per section: the block whose table is read, and what each checked column holds in the API's
# ``trend`` rows (the cell's text as the page formats it).
Getter = Callable[[dict[str, Any]], str]
TREND_COLUMNS: dict[str, tuple[str, dict[str, Getter]]] = {
    "launch-reviews": ("trend", {
        "Approved": lambda t: str(t["decision"]["count"]),
        "Submitted → approved, median": lambda t: as_days(t["decision"]["median_days"]),
        "Launched": lambda t: str(t["draft_to_launch"]["count"]),
        "Late launches": lambda t: str(t["late_launches"]),
    }),
    "capacity": ("lead-times", {
        "Decided": lambda t: str(t["submitted_to_decided"]["count"]),
        "Submitted → decided, median": lambda t: as_days(t["submitted_to_decided"]["median_days"]),
        "Fulfilled": lambda t: str(t["decided_to_fulfilled"]["count"]),
    }),
    "ops-reviews": ("trend", {
        "Agreed": lambda t: str(t["opened"]),
        "Closed": lambda t: str(t["closed"]),
        "Reviews held": lambda t: str(t["reviews"]),
    }),
    "delivery": ("trend", {
        "Slips": lambda t: str(t["slips"]["slips"]),
        "Days slipped": lambda t: f"{t['slips']['days']:,}",
        "Date moves": lambda t: str(t["slips"]["moves"]),
    }),
    "forecast-accuracy": ("trend", {
        "Critical finished": lambda t: str(t["finished"]),
        "Covered": lambda t: str(t["covered"]),
    }),
}  # fmt: skip


@pytest.fixture
def demo_world(db) -> dict[str, str]:
    """The demo organisation (a year of reviews, capacity decisions, operational reviews and
    milestone moves) plus a portfolio with one public and one confidential launch review."""
    call_command("seed_demo", "--programs", "12", "--seed", "3", stdout=StringIO())
    owner = UserFactory(username="owen.owner", roles=[Role.TPM])
    UserFactory(username="tia.tpm", roles=[Role.TPM])
    vault = PortfolioFactory(slug="vault", name="Vault")
    now = timezone.now()
    for waited, program in (
        (3, ProgramFactory(portfolio=vault, name="Open door")),
        (21, ProgramFactory(portfolio=vault, name="Hidden room", confidential=True, tpm=owner)),
    ):
        LaunchReviewFactory(
            program=program, state="approved",
            submitted_at=now - datetime.timedelta(days=waited), decided_at=now,
        )  # fmt: skip
    # The demo's snapshots carry few forecasts: one critical milestone finished this quarter,
    # forecast 30, 14 and 7 days before, gives the forecast-accuracy trend a covered row.
    today = timezone.localdate()
    done = max(today - datetime.timedelta(days=1), Quarter.of(today).first_day)
    milestone = MilestoneFactory(
        program=ProgramFactory(portfolio=PortfolioFactory(slug="skies"), name="Clear sky"),
        critical=True, state="done", target_date=done, completed_date=done,
    )  # fmt: skip
    for before, late in ((30, 9), (14, 4), (7, 1)):
        HealthSnapshotFactory(
            program=milestone.program, day=done - datetime.timedelta(days=before),
            forecast={
                "milestone_id": milestone.pk,
                "target_date": (done - datetime.timedelta(days=5)).isoformat(),
                "forecast_date": (done + datetime.timedelta(days=late)).isoformat(),
            },
        )  # fmt: skip
    return {"quarter": str(Quarter.of(today))}


def test_leader_reads_every_section_and_its_table_matches_the_api(
    live_server, page: Page, demo_world, console_errors
):
    base = live_server.url
    quarter = demo_world["quarter"]
    page.set_viewport_size({"width": 1440, "height": 1000})
    sign_in(page, base, "leader", DEMO_PASSWORD)
    page.goto(f"{base}/insights/")
    expect(page.get_by_role("heading", name="How governance is going")).to_be_visible()
    assert set(TREND_COLUMNS) == set(SECTIONS), "a section without a journey"

    for slug, (block, columns) in TREND_COLUMNS.items():
        page.goto(f"{base}/insights/{slug}/?quarter={quarter}")
        expect(page.get_by_role("heading", name=SECTIONS[slug].title, exact=True)).to_be_visible()
        kpis = page.locator(".kpi")
        expect(kpis.first).to_be_visible()
        for value in kpis.locator(".kpi-value").all_inner_texts():
            assert value.strip(), f"{slug}: an empty KPI"
        expect(
            page.locator(f'#block-{block} .chart[data-drawn="yes"]'), f"{slug}: no chart drawn"
        ).to_have_count(1, timeout=15000)

        page.locator(f"#table-{block} summary").click()
        table = page.locator(f"#table-{block} table")
        expect(table).to_be_visible()
        headers = [h.strip() for h in table.locator("thead th").all_text_contents()]
        rows = [
            row.locator("th, td").all_text_contents() for row in table.locator("tbody tr").all()
        ]
        response = page.request.get(f"{base}/api/v1/insights/{slug}/?quarter={quarter}")
        assert response.status == 200, slug
        trend = response.json()["trend"]
        assert [row[0] for row in rows] == [t["quarter"] for t in trend], slug
        assert trend[-1]["quarter"] == quarter
        for label, expected in columns.items():
            index = headers.index(label)
            assert [row[index].strip() for row in rows] == [expected(t) for t in trend], (
                f"{slug}: column {label!r} differs from the API"
            )
        RESULTS.mkdir(exist_ok=True)
        page.screenshot(path=str(RESULTS / f"insights-{slug}.png"), full_page=True)
    assert not console_errors


def test_a_tpm_sees_a_confidential_programs_numbers_only_when_they_may(
    live_server, page: Page, demo_world, console_errors
):
    base = live_server.url
    query = f"?quarter={demo_world['quarter']}&portfolio=vault"
    # Tia may not read "Hidden room": only the open review's 3 days count. Owen is its TPM:
    # both reviews count, a median of (3 + 21) / 2 = 12 days.
    for username, reviews, median in (("tia.tpm", 1, "3.0 d"), ("owen.owner", 2, "12 d")):
        sign_in(page, base, username, "pw")
        page.goto(f"{base}/insights/launch-reviews/{query}")
        kpi = page.locator(".kpi").filter(has_text="Submitted → approved")
        expect(kpi.locator(".kpi-value")).to_have_text(median)
        expect(kpi.locator(".kpi-note")).to_contain_text(f"{reviews} review")
        if username == "tia.tpm":
            expect(page.get_by_text("Hidden room")).to_have_count(0)
        decision = page.request.get(f"{base}/api/v1/insights/launch-reviews/{query}").json()
        assert decision["decision"]["count"] == reviews, username
        assert as_days(decision["decision"]["median_days"]) == median, username
    assert not console_errors
