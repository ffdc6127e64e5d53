"""A launch review in a real browser: an engineer fills in the checklist item by item (each
answer saves itself in place), is refused on submitting with a required item missing (the page
lists it), submits; a reviewer requests changes, the engineer fixes and resubmits, the
reviewers approve. Then a capacity request over budget is refused without an override (the
page says why) and approved with one.

Runs Chromium against ``live_server`` with our static files and CSP, like the TPM journey.
Screenshots land in ``test-results/`` for a human to look at.
"""

import datetime
import re

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import Page, expect

from core.roles import Role
from programs.models import MembershipRole
from reviews.models import CapacityRequest, ChecklistTemplate, LaunchReview, Reviewer
from tests.browser.test_tpm_journey import sign_in
from tests.factories import (
    ChecklistItemFactory,
    ChecklistTemplateFactory,
    MembershipFactory,
    MilestoneFactory,
    ProgramFactory,
    ReviewerFactory,
    UserFactory,
)

RESULTS = __import__("pathlib").Path(__file__).resolve().parents[2] / "test-results"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def people(db):
    for role in Role.values:
        Group.objects.get_or_create(name=role)
    tpm = UserFactory(username="tina.tpm", first_name="Tina", last_name="Tran", roles=[Role.TPM])
    engineer = UserFactory(
        username="eli.engineer", first_name="Eli", last_name="Eng", roles=[Role.ENGINEER]
    )
    sre = UserFactory(
        username="sam.sre", first_name="Sam", last_name="Sørensen", roles=["Reviewer"]
    )
    secops = UserFactory(
        username="sue.security", first_name="Sue", last_name="Sec", roles=["Reviewer"]
    )
    ReviewerFactory(user=sre, areas=["reliability", "rollback"])
    ReviewerFactory(user=secops, areas=["security"])
    return {"tpm": tpm, "engineer": engineer, "sre": sre, "secops": secops}


@pytest.fixture
def launch_setup(people):
    """A confidential program the engineer works on, and a short tier-2 checklist."""
    program = ProgramFactory(
        name="Edge cache rollout", slug="edge-cache-rollout", tpm=people["tpm"], confidential=True
    )
    MembershipFactory(program=program, user=people["tpm"], role=MembershipRole.TPM)
    MembershipFactory(program=program, user=people["engineer"], role=MembershipRole.ENG_LEAD)
    MilestoneFactory(
        program=program, name="GA in eu-west", baseline_date=datetime.date(2026, 11, 2)
    )
    ChecklistTemplate.objects.filter(tier=2).update(active=False)
    template = ChecklistTemplateFactory(
        name="Launch checklist — tier 2 (short)", tier=2, active=True
    )
    for order, (area, question, required) in enumerate(
        [
            ("reliability", "Are the service's SLOs defined?", True),
            ("reliability", "Is autoscaling tested?", False),
            ("security", "Has a threat model been reviewed?", True),
            ("rollback", "Has the rollback been rehearsed?", True),
        ]
    ):
        ChecklistItemFactory(
            template=template, area=area, question=question, required=required, order=order,
            guidance="Action: do it. Evidence: link the record.",
        )  # fmt: skip
    return program


def item(page: Page, question: str):
    return page.locator(".check-item", has_text=question)


def sign_off_area(page: Page, area: str, decision: str, comment: str) -> None:
    form = page.locator(f"#sign-off-{area.lower()}")
    form.get_by_label(decision).check()
    form.get_by_label("Comment").fill(comment)
    form.get_by_role("button", name=f"Record {area.lower()} decision").click()


def test_engineer_submits_and_reviewers_approve(
    page: Page, live_server, people, launch_setup, console_errors
):
    base = live_server.url
    RESULTS.mkdir(exist_ok=True)
    page.set_viewport_size({"width": 1400, "height": 900})

    # The engineer starts a review from the program page.
    sign_in(page, base, "eli.engineer")
    page.goto(f"{base}/programs/edge-cache-rollout/")
    page.get_by_role("link", name="New launch review").click()
    page.get_by_label("What is launching").fill("Edge cache GA in eu-west")
    page.get_by_label("Launch date").fill("2026-11-02")
    page.get_by_label("Tier 2 — internal, many teams depend on it").check()
    page.get_by_label("Milestone").select_option(label="GA in eu-west")
    page.get_by_role("button", name="Create launch review").click()
    expect(page.get_by_role("heading", name="Edge cache GA in eu-west")).to_be_visible()
    expect(page.locator("#readiness")).to_contain_text("3 required open")

    # Submitting too early lists what is missing.
    page.get_by_role("button", name="Submit for review").click()
    expect(page.locator(".messages")).to_contain_text("Cannot submit yet: 3 required items")
    expect(page.locator(".messages")).to_contain_text("Security: Has a threat model been reviewed?")

    # Answer item by item: each save swaps the item in place without a reload.
    page.evaluate("window.__notReloaded = true")
    slo = item(page, "Are the service's SLOs defined?")
    slo.get_by_label("Done", exact=True).check()
    slo.get_by_label("Evidence links").fill("https://wiki.example.com/edge/slo")
    expect(item(page, "Are the service's SLOs defined?").locator(".saved-note")).to_have_text(
        "Saved"
    )
    expect(page.locator("#readiness")).to_contain_text("2 required open")

    threat = item(page, "Has a threat model been reviewed?")
    # "Not applicable" waits for its reason before saving itself.
    threat.get_by_label("Not applicable").check()
    threat.get_by_label("Why it does not apply").fill("Reuses the reviewed CDN threat model")
    expect(item(page, "Has a threat model been reviewed?").locator(".saved-note")).to_be_visible()

    rollback = item(page, "Has the rollback been rehearsed?")
    # A click, then the item as it is now: an item can be swapped in while the click lands
    # (the previous save's answer), which Playwright's check() reads as "no state change".
    rollback.get_by_label("Done", exact=True).click()
    expect(
        item(page, "Has the rollback been rehearsed?").get_by_label("Done", exact=True)
    ).to_be_checked()
    rollback.get_by_label("Evidence links").fill("https://ci.example.com/rehearsal/7")
    rollback.get_by_label("Notes").fill("Flag off in 2 minutes")
    expect(page.locator("#readiness")).to_contain_text("0 required open")
    assert page.evaluate("window.__notReloaded") is True
    page.screenshot(path=RESULTS / "launch-review-draft.png", full_page=True)

    page.get_by_role("button", name="Submit for review").click()
    expect(page.locator(".messages")).to_contain_text("Launch review is now submitted")
    page.get_by_role("button", name="Sign out").click()

    # The SRE finds it in the queue, approves reliability and sends the rollback back.
    sign_in(page, base, "sam.sre")
    page.get_by_role("link", name="Review queue").click()
    row = page.locator("tr", has_text="Edge cache GA in eu-west")
    for area in ("Reliability", "Rollback"):
        expect(row).to_contain_text(area)
    page.screenshot(path=RESULTS / "review-queue.png", full_page=True)
    row.get_by_role("link", name="Edge cache GA in eu-west").click()
    sign_off_area(page, "Reliability", "Approve", "Reliability looks good")
    expect(page.locator(".messages")).to_contain_text("You approved Reliability. Still waiting")
    sign_off_area(page, "Rollback", "Request changes", "Rehearse it in production, not staging")
    expect(page.locator(".messages")).to_contain_text("You requested changes in Rollback")
    expect(page.locator("h1 .badge-state")).to_have_text("Changes requested")
    page.screenshot(path=RESULTS / "launch-review-changes-requested.png", full_page=True)
    page.get_by_role("button", name="Sign out").click()

    # The engineer reads why, fixes the rollback answer and resubmits.
    sign_in(page, base, "eli.engineer")
    page.goto(f"{base}{LaunchReview.objects.get().get_absolute_url()}")
    expect(page.locator("#conversation")).to_contain_text("Rehearse it in production")
    rollback = item(page, "Has the rollback been rehearsed?")
    rollback.get_by_label("Evidence links").fill("https://ci.example.com/rehearsal/prod-9")
    rollback.get_by_label("Notes").fill("Rehearsed in production: flag off in 90 seconds")
    expect(item(page, "Has the rollback been rehearsed?").locator(".saved-note")).to_be_visible()
    page.get_by_role("button", name="Resubmit").click()
    expect(page.locator(".messages")).to_contain_text("Launch review is now submitted")
    page.get_by_role("button", name="Sign out").click()

    # The SRE approves the rollback now; security approves its area: the review is approved.
    for username, area in (("sam.sre", "Rollback"), ("sue.security", "Security")):
        sign_in(page, base, username)
        page.get_by_role("link", name="Review queue").click()
        page.locator("tr", has_text="Edge cache GA in eu-west").get_by_role(
            "link", name="Edge cache GA in eu-west"
        ).click()
        sign_off_area(page, area, "Approve", f"{area} looks good")
        expect(page.locator(".messages")).to_contain_text(f"You approved {area}.")
        page.get_by_role("button", name="Sign out").click()

    review = LaunchReview.objects.get()
    assert review.state == "approved"
    sign_in(page, base, "eli.engineer")
    page.goto(f"{base}{review.get_absolute_url()}")
    expect(page.locator("h1 .badge-state")).to_have_text("Approved")
    expect(page.locator("#conversation")).to_contain_text("signed off Security")
    page.screenshot(path=RESULTS / "launch-review-approved.png", full_page=True)
    page.goto(f"{base}/reviews/launches/")
    expect(page.locator("table.table-launches")).to_contain_text("Edge cache GA in eu-west")
    page.screenshot(path=RESULTS / "launches.png", full_page=True)
    # The filter bar swaps the results in place and keeps the filter in the address.
    page.evaluate("window.__notReloaded = true")
    filters = page.get_by_role("search", name="Filter launches")
    filters.get_by_label("State").select_option("draft")
    expect(page.locator("#launch-results")).to_contain_text("No launches match")
    expect(page).to_have_url(re.compile(r"state=draft"))
    filters.get_by_label("State").select_option("approved")
    expect(page.locator("table.table-launches")).to_contain_text("Edge cache GA in eu-west")
    assert page.evaluate("window.__notReloaded") is True
    page.goto(f"{base}/programs/edge-cache-rollout/")
    expect(page.locator("#launch-reviews")).to_contain_text("Approved")
    page.locator("#launch-reviews").screenshot(path=RESULTS / "program-launch-panel.png")

    assert console_errors == []


def test_capacity_request_is_filed_and_approved_over_budget_with_a_reason(
    page: Page, live_server, people, launch_setup, console_errors
):
    """The council sees the budget is short, records an override, and the chart shows it."""
    from tests.factories import CapacityBudgetFactory, TeamFactory

    team = TeamFactory(name="Edge", slug="edge")
    team.members.add(people["engineer"])
    CapacityBudgetFactory(team=team, quarter="2026-Q4", resource_kind="vcpu", amount=100)
    CapacityBudgetFactory(team=team, quarter="2026-Q4", resource_kind="memory_gib", amount=400)
    Reviewer.objects.filter(user=people["secops"]).update(capacity_council=True)
    base = live_server.url
    RESULTS.mkdir(exist_ok=True)
    page.set_viewport_size({"width": 1400, "height": 900})

    sign_in(page, base, "eli.engineer")
    page.goto(f"{base}/programs/edge-cache-rollout/")
    page.locator("#capacity-requests").get_by_role("link", name="Request").click()
    page.get_by_label("Resource").select_option("vcpu")
    page.get_by_label("Amount").fill("140")
    page.get_by_label("Environment").fill("production")
    page.get_by_label("Region").fill("eu-west-1")
    page.get_by_label("Needed by").fill("2026-11-20")
    page.get_by_label("Justification").fill("Cache fill at launch: **140 vCPU** for two weeks.")
    page.get_by_role("button", name="Save draft").click()
    page.get_by_role("button", name="Submit request").click()
    expect(page.locator(".messages")).to_contain_text("Request is now submitted")
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, base, "sue.security")
    page.goto(f"{base}/reviews/capacity/")
    filters = page.get_by_role("search", name="Filter capacity requests")
    filters.get_by_label("State").select_option("approved")
    expect(page.locator("#capacity-results")).to_contain_text("No requests match")
    filters.get_by_label("State").select_option("submitted")
    expect(page.locator("#capacity-results")).to_contain_text("1 request match your filters")
    page.get_by_role("link", name="vCPU for Edge cache rollout").click()
    expect(page.locator(".override-note")).to_contain_text("needs an override reason")
    page.get_by_role("button", name="Record decision").click()
    expect(page.locator("#id_override_reason_error")).to_contain_text("100 vCPU left")
    assert CapacityRequest.objects.get().state == "submitted"  # refused: nothing was approved
    page.get_by_label("Budget override reason").fill("Launch-week burst, returned on 4 Dec")
    page.get_by_role("button", name="Record decision").click()
    expect(page.locator(".messages")).to_contain_text("Request approved")
    expect(page.locator(".override-note")).to_contain_text("Launch-week burst")
    page.screenshot(path=RESULTS / "capacity-request.png", full_page=True)

    page.get_by_role("link", name="The team's quarter →").click()
    expect(page.locator("[data-chart='capacity-chart'] .main-svg").first).to_be_visible()
    expect(page.locator("td.over-budget").first).to_contain_text("140")
    page.screenshot(path=RESULTS / "team-capacity.png", full_page=True)
    page.goto(f"{base}/reviews/capacity/budgets/?quarter=2026-Q4")
    page.screenshot(path=RESULTS / "budgets.png", full_page=True)
    assert console_errors == []
