"""A TPM publishes a program's plan, the two team leads acknowledge it, a critical milestone
moves, and the leads are asked again.

The TPM starts the plan from the program page, writes the problem and each team's scope, and
publishes from the keyboard; each lead opens the plan and acknowledges it for their team; the
TPM moves the critical milestone with a reason; a lead then finds the plan waiting on them
again, with the move as the reason, and acknowledges once more.
"""

import datetime

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_tpm_journey import sign_in
from tests.factories import MilestoneFactory, ProgramFactory, TeamFactory, UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()


def acknowledge(page: Page, base: str, username: str, team: str) -> None:
    sign_in(page, base, username)
    page.goto(f"{base}/programs/edge-refresh/plan/")
    expect(page.get_by_text(f"You are asked for {team}.")).to_be_visible()
    page.get_by_role("button", name="Acknowledge v1").click()
    expect(page.get_by_text(f"Acknowledged for {team}.")).to_be_visible()
    sign_out(page)


def test_a_plan_is_published_agreed_and_asked_again_after_a_critical_move(
    page: Page, live_server, console_errors
):
    tpm = UserFactory(username="tara.tpm", first_name="Tara", last_name="Tpm", roles=["TPM"])
    storage_lead = UserFactory(username="sam.storage", first_name="Sam", roles=["Engineer"])
    network_lead = UserFactory(username="nia.network", first_name="Nia", roles=["Engineer"])
    program = ProgramFactory(name="Edge refresh", slug="edge-refresh", tpm=tpm, sponsor=None)
    program.teams.set([
        TeamFactory(name="Storage", slug="storage", lead=storage_lead),
        TeamFactory(name="Network", slug="network", lead=network_lead),
    ])  # fmt: skip
    ga = MilestoneFactory(
        program=program, name="GA", critical=True, state="in_progress",
        baseline_date=datetime.date(2027, 3, 1), target_date=datetime.date(2027, 3, 1),
    )  # fmt: skip
    base = live_server.url

    # The TPM starts the plan from the program page and publishes the first version.
    sign_in(page, base, "tara.tpm")
    page.goto(f"{base}/programs/edge-refresh/")
    page.get_by_role("link", name="Start the plan").click()
    expect(page.get_by_role("radio", name="Infrastructure program")).to_be_checked()
    page.get_by_role("button", name="Start the plan").click()
    page.get_by_label("Problem", exact=True).fill("The edge routers are **out of support**.")
    page.get_by_label("Scope per team: Network").fill("Swap the routers in every PoP.")
    page.get_by_label("Scope per team: Storage").fill("Move the caches off the old routers.")
    page.get_by_label("Change note").press("Enter")  # submits, no mouse needed
    expect(
        page.get_by_text("Version 1 published; the teams and the sponsor are asked")
    ).to_be_visible()
    expect(page.get_by_text("0 of 2 acknowledged.")).to_be_visible()
    expect(page.locator("#section-problem strong")).to_have_text("out of support")
    sign_out(page)

    # Both leads acknowledge it.
    acknowledge(page, base, "sam.storage", "Storage")
    acknowledge(page, base, "nia.network", "Network")

    # The TPM sees everyone agreed, then moves the critical milestone.
    sign_in(page, base, "tara.tpm")
    page.goto(f"{base}/programs/edge-refresh/plan/")
    expect(page.get_by_text("2 of 2 acknowledged.")).to_be_visible()
    page.goto(f"{base}/programs/edge-refresh/milestones/{ga.pk}/move/")
    page.get_by_label("New target date").fill("2027-03-29")
    page.get_by_label("Kind of reason").select_option("vendor")
    page.locator("#id_reason").fill("The new routers ship four weeks late.")
    page.get_by_role("button", name="Move").click()
    page.goto(f"{base}/programs/edge-refresh/plan/")
    expect(
        page.get_by_text("Critical milestone “GA” moved from 1 Mar to 29 Mar 2027")
    ).to_be_visible()
    expect(page.get_by_text("0 of 2 acknowledged.")).to_be_visible()
    sign_out(page)

    # A lead is asked again, sees why, and acknowledges; the other still waits.
    sign_in(page, base, "nia.network")
    page.goto(f"{base}/programs/edge-refresh/plan/")
    parties = page.locator(".plan-party")
    expect(parties.filter(has_text="Network")).to_contain_text("Waiting")
    expect(parties.filter(has_text="Network")).to_contain_text("agreed to v1 before")
    page.get_by_role("button", name="Acknowledge v1").click()
    expect(page.get_by_text("1 of 2 acknowledged.")).to_be_visible()
    expect(parties.filter(has_text="Storage")).to_contain_text("Waiting")
    assert console_errors == []
