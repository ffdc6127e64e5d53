"""A TPM's week in a real browser: sign in, create a program, plan, slip, report.

Runs Chromium against ``live_server``; static files (our CSS and JS, htmx) are served by
django.contrib.staticfiles, so the page behaves as it does for people, CSP included.
Screenshots land in ``test-results/`` for a human to look at.
"""

import datetime
import re
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import Page, expect

from core.roles import Role
from programs.models import MilestoneDateChange, Program
from tests.factories import PortfolioFactory, ProgramFactory, TeamFactory, UserFactory

RESULTS = Path(__file__).resolve().parents[2] / "test-results"

pytestmark = [
    pytest.mark.browser,
    # serialized_rollback: the flush after a transactional test would otherwise take the role
    # groups (created by a data migration) away from the tests that run after this one.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def tpm_user(db):
    for role in Role.values:
        Group.objects.get_or_create(name=role)
    return UserFactory(username="tina.tpm", first_name="Tina", last_name="Tran", roles=[Role.TPM])


def sign_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("pw")
    page.get_by_role("button", name="Sign in").click()


def test_tpm_creates_plans_slips_and_reports(page: Page, live_server, tpm_user, console_errors):
    """The program page ends up showing the milestone's slip with its reason, and the update."""
    PortfolioFactory(name="Core Infrastructure", slug="core-infrastructure")
    TeamFactory(name="Kernel", slug="kernel")
    base = live_server.url
    RESULTS.mkdir(exist_ok=True)
    page.set_viewport_size({"width": 1400, "height": 900})

    sign_in(page, base, "tina.tpm")
    expect(page.get_by_role("heading", name="Hello, Tina")).to_be_visible()
    # Our stylesheet is applied (the top bar takes its token colour) and pulse.js has run.
    expect(page.locator(".topbar")).to_have_css("background-color", "rgb(20, 26, 36)")
    page.wait_for_load_state("load")
    assert any(cookie["name"] == "tz" for cookie in page.context.cookies())

    # Create a program from the empty home page.
    page.get_by_role("link", name="Create a program").click()
    page.get_by_label("Name").fill("Fleet kernel upgrade to 6.12")
    page.get_by_label("Portfolio").select_option(label="Core Infrastructure")
    page.get_by_label("Phase").select_option("executing")
    page.get_by_label("Kernel").check()
    page.get_by_label("Start date").fill("2026-01-05")
    page.get_by_label("Target date").fill("2026-12-18")
    page.get_by_label("Problem statement").fill("Kernel 5.15 leaves **support** in 2026.")
    page.get_by_label("Success criteria").fill("- Every host on 6.12\n- No Sev-1 during rollout")
    page.get_by_role("button", name="Create program").click()
    expect(page.get_by_role("heading", name="Fleet kernel upgrade to 6.12")).to_be_visible()
    expect(page.locator(".prose strong", has_text="support")).to_be_visible()
    program = Program.objects.get(name="Fleet kernel upgrade to 6.12")
    assert program.tpm == tpm_user

    # Add a milestone: its baseline is its first target.
    page.get_by_role("link", name="Add milestone").click()
    page.get_by_label("Name").fill("Canary in first region")
    page.get_by_label("Target date").fill("2026-06-01")
    page.get_by_label("Critical path").check()
    page.get_by_role("button", name="Add milestone").click()
    expect(page.locator(".messages")).to_contain_text("Milestone “Canary in first region” added.")

    # Move it without a reason: refused; then with one.
    page.get_by_role("link", name="Move Canary in first region").click()
    page.get_by_label("New target date").fill("2026-06-22")
    page.get_by_role("button", name="Move date").click()
    expect(page.locator("#id_reason_error")).to_be_visible()
    expect(page.get_by_label("New target date")).to_have_value("2026-06-22")
    page.get_by_label("Kind of reason").select_option("Vendor")
    page.get_by_role("textbox", name="Reason").fill("Canary hosts arrive three weeks late")
    page.get_by_role("button", name="Move date").click()
    expect(page.locator(".messages")).to_contain_text("moved to 22 Jun 2026")
    change = MilestoneDateChange.objects.get()
    assert (change.from_date, change.to_date) == (
        datetime.date(2026, 6, 1),
        datetime.date(2026, 6, 22),
    )
    assert change.category == "vendor"

    # Post the weekly update: health as radio buttons, only the summary required.
    page.get_by_role("link", name="Post update").first.click()
    expect(page.get_by_role("heading", name="Previous update")).to_be_visible()
    page.get_by_label("At risk").check()
    page.get_by_label("Summary").fill("Canary slips three weeks; GA date holds.")
    page.get_by_label("Asks of leadership").fill("Expedite the canary hardware order")
    page.get_by_role("button", name="Post update").click()

    # Everything is on the program page.
    milestone_row = page.locator(".table-milestones tr", has_text="Canary in first region")
    expect(milestone_row.locator(".slip-late")).to_have_text("+21 d")
    expect(milestone_row).to_contain_text("1 Jun 2026")
    milestone_row.get_by_text("1 date change").click()
    expect(milestone_row).to_contain_text("Canary hosts arrive three weeks late")
    expect(milestone_row).to_contain_text("Tina Tran")
    update = page.locator("#updates")
    expect(update.locator(".badge-reported-at_risk")).to_have_text("At risk")
    expect(update).to_contain_text("Canary slips three weeks; GA date holds.")
    expect(update).to_contain_text("Expedite the canary hardware order")
    activity = page.locator("#activity")
    expect(activity).to_contain_text("created status update")
    expect(activity).to_contain_text("changed milestone")
    page.screenshot(path=RESULTS / "program-page.png", full_page=True)

    assert console_errors == []


def test_program_list_filters_without_a_reload(page: Page, live_server, tpm_user, console_errors):
    """Changing a filter swaps the table through htmx and puts the filter in the URL."""
    core = PortfolioFactory(name="Core Infrastructure", slug="core-infrastructure")
    data = PortfolioFactory(name="Data Platform", slug="data-platform")
    for n in range(6):
        ProgramFactory(
            name=f"Core program {n}",
            portfolio=core,
            tpm=tpm_user,
            health_grade=["green", "yellow", "red"][n % 3],
            health_score=[88, 62, 31][n % 3],
            health_cause=["", "risk", "schedule"][n % 3],
            health_stale=n == 4,
        )
    ProgramFactory(name="Lakehouse compaction", portfolio=data, tpm=tpm_user)
    base = live_server.url
    RESULTS.mkdir(exist_ok=True)
    page.set_viewport_size({"width": 1400, "height": 900})
    sign_in(page, base, "tina.tpm")

    page.get_by_role("link", name="Programs", exact=True).click()
    expect(page.locator("table.table-programs tbody tr")).to_have_count(7)
    page.evaluate("window.__notReloaded = true")
    page.get_by_label("Portfolio").select_option("data-platform")
    expect(page.locator("table.table-programs tbody tr")).to_have_count(1)
    expect(page).to_have_url(re.compile(r"portfolio=data-platform"))
    assert "q=" not in page.url  # empty filters are dropped from the URL
    assert page.evaluate("window.__notReloaded") is True

    page.get_by_label("Portfolio").select_option("")
    page.get_by_label("Search", exact=True).fill("program 1")
    expect(page.locator("table.table-programs tbody tr")).to_have_count(1)
    page.get_by_label("Search", exact=True).fill("")
    expect(page.locator("table.table-programs tbody tr")).to_have_count(7)
    # Let the search's delayed request settle: one landing after the header click would push
    # its own URL (sort=name) over the header's.
    page.wait_for_load_state("networkidle")
    page.get_by_role("link", name="Health").click()
    expect(page).to_have_url(re.compile(r"sort=-score"))
    rows = page.locator("table.table-programs tbody tr")
    expect(rows.nth(1)).to_contain_text("Core program 3")  # the second green, not "program 1"
    expect(rows.nth(6)).to_contain_text("Lakehouse compaction")  # not scored: last
    expect(page.locator('th[aria-sort="descending"]')).to_contain_text("Health")
    expect(page.get_by_label("Sort by")).to_have_value("-score")  # the form follows the header
    page.get_by_label("Health", exact=True).select_option("green")
    expect(rows).to_have_count(2)
    expect(page).to_have_url(re.compile(r"grade=green.*sort=-score|sort=-score.*grade=green"))
    page.get_by_label("Health", exact=True).select_option("")
    # The cause of a yellow or red grade: the programs whose schedule decides it.
    page.get_by_label("Cause").select_option("schedule")
    expect(rows).to_have_count(2)
    expect(page).to_have_url(re.compile(r"cause=schedule"))
    page.get_by_label("Cause").select_option("risk")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="Core program 4").locator(".tag-stale")).to_have_text("stale")
    page.get_by_label("Cause").select_option("")
    expect(rows).to_have_count(7)
    assert page.evaluate("window.__notReloaded") is True
    page.screenshot(path=RESULTS / "program-list.png", full_page=True)

    assert console_errors == []
