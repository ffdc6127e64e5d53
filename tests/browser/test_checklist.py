"""The launch checklist answered in place, with the keyboard only (issue 14, point 3).

An engineer answers the eight required items of a draft review without touching the mouse:
Tab to an item, Tab into its answer, an arrow key picks the answer and it saves itself; one
item is "Not applicable" with a typed reason, one gets an evidence link. The sticky progress
bar stays in view and reaches 100%; after a reload every answer is there, folded to its row,
and Enter / Space unfold and fold a row. A stale answer shows the conflict, never overwrites.
"""

import datetime

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import Page, expect

from core.roles import Role
from programs.models import MembershipRole
from reviews.launch import services
from reviews.models import ChecklistTemplate, LaunchReviewItem
from tests.browser.test_tpm_journey import sign_in
from tests.factories import (
    ChecklistItemFactory,
    ChecklistTemplateFactory,
    MembershipFactory,
    ProgramFactory,
    UserFactory,
)

RESULTS = __import__("pathlib").Path(__file__).resolve().parents[2] / "test-results"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# (area, question, required): eight required items in five areas, two optional ones between.
QUESTIONS = [
    ("reliability", "Are the service's SLOs defined?", True),
    ("reliability", "Is autoscaling tested?", False),
    ("reliability", "Is the error budget policy agreed?", True),
    ("security", "Has a threat model been reviewed?", True),
    ("security", "Are secrets rotated?", True),
    ("observability", "Are the golden signals on a dashboard?", True),
    ("capacity", "Is launch load provisioned?", True),
    ("rollback", "Has the rollback been rehearsed?", True),
    ("rollback", "Are migrations backward compatible?", False),
    ("documentation", "Is there a runbook?", True),
]
REQUIRED = [question for _, question, required in QUESTIONS if required]


@pytest.fixture
def draft_review(db):
    for role in Role.values:
        Group.objects.get_or_create(name=role)
    engineer = UserFactory(
        username="eli.engineer", first_name="Eli", last_name="Eng", roles=[Role.ENGINEER]
    )
    program = ProgramFactory(name="Edge cache rollout", slug="edge-cache-rollout")
    MembershipFactory(program=program, user=engineer, role=MembershipRole.ENG_LEAD)
    ChecklistTemplate.objects.filter(tier=2).update(active=False)
    template = ChecklistTemplateFactory(name="Tier 2 (test)", tier=2, active=True)
    for order, (area, question, required) in enumerate(QUESTIONS):
        ChecklistItemFactory(
            template=template, area=area, question=question, required=required, order=order
        )
    return services.launch_review_create(
        program=program,
        user=engineer,
        title="Edge cache GA",
        launch_date=datetime.date(2026, 11, 2),
        tier=2,
    )


def focused_item(page: Page) -> str:
    """The question of the item holding the focus ('' outside the checklist)."""
    return page.evaluate(
        """() => {
            const item = document.activeElement.closest('.check-item');
            return item ? item.querySelector('.check-question').textContent : '';
        }"""
    )


def focus_is_row(page: Page) -> bool:
    return page.evaluate("() => document.activeElement.matches('summary.check-row')")


class Keys:
    """The key presses of the test, counted: the interactions an engineer spends."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.count = 0

    def press(self, key: str) -> None:
        self.count += 1
        self.page.keyboard.press(key)

    def type(self, text: str) -> None:
        # Typing a note counts as one interaction, as filling a field does for a mouse user.
        self.count += 1
        self.page.keyboard.type(text)

    def tab_to_row(self, question: str) -> None:
        """Tab until the focus is on the row (summary) of the item asking ``question``."""
        for _ in range(40):
            self.press("Tab")
            if focus_is_row(self.page) and focused_item(self.page) == question:
                return
        raise AssertionError(f"Tab never reached {question!r}")


def test_the_required_items_are_answered_with_the_keyboard_only(
    page: Page, live_server, draft_review, console_errors
):
    RESULTS.mkdir(exist_ok=True)
    page.set_viewport_size({"width": 1440, "height": 900})
    sign_in(page, live_server.url, "eli.engineer")
    page.goto(f"{live_server.url}{draft_review.get_absolute_url()}")
    progress = page.locator("#checklist-progress")
    expect(progress).to_contain_text("0/8 required answered")
    expect(progress.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "0")
    # Open required items start unfolded, optional ones folded, and the no-JS button is hidden.
    assert page.locator("details.check-fold[open]").count() == 8
    expect(page.get_by_role("button", name="Save answer").first).to_be_hidden()

    keys = Keys(page)
    keys.press("Tab")  # the skip link
    keys.press("Enter")  # to the page's content
    for question in REQUIRED:
        keys.tab_to_row(question)
        keys.press("Tab")  # into the radio group: the checked "Not done"
        if question == "Has a threat model been reviewed?":
            keys.press("ArrowLeft")  # "Not applicable": waits for its reason
            keys.press("Tab")  # the reason field, shown for "Not applicable"
            keys.type("Reuses the reviewed CDN threat model")
        else:
            keys.press("ArrowRight")  # wraps to "Done": saved after a short pause
        if question == "Has the rollback been rehearsed?":
            keys.press("Tab")  # evidence links
            keys.type("https://ci.example.com/rehearsal/7")
        row = page.locator(f"#item-{item_pk(draft_review, question)}-state")
        expect(row.locator(".saved-note")).to_have_text("Saved")
    # The bar stayed in view while the page scrolled down to the last item.
    assert page.evaluate("window.scrollY") > 300
    box = progress.bounding_box()
    assert box is not None and -1 <= box["y"] <= 1
    expect(progress).to_contain_text("8/8 required answered")
    expect(progress).to_contain_text("100%")
    expect(progress.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "8")
    expect(page.locator("#readiness")).to_contain_text("0 required open")
    rehearsal = item_pk(draft_review, "Has the rollback been rehearsed?")
    expect(page.locator(f"#item-{rehearsal}-summary")).to_contain_text("1 link")
    page.screenshot(path=RESULTS / "checklist-keyboard-answered.png")
    # Interactions counted (55 when written): Tab + Enter to skip to the content, 11 Tabs past
    # the breadcrumbs, "Edit details" and the six area links to the first row; then per item
    # Tab into the answer and one arrow key (2), and from there 3 Tabs (evidence, notes, the
    # next row; 4 past a folded optional row). The reason and the link typed count 1 each.
    # Before: 26 interactions with the mouse for these answers; now one click per item.
    assert keys.count <= 56, keys.count

    # Everything was saved: after a reload each answer is there, folded to its row.
    page.reload()
    expect(progress).to_contain_text("8/8 required answered")
    assert page.locator("details.check-fold[open]").count() == 0
    for question in REQUIRED:
        stored = LaunchReviewItem.objects.get(review=draft_review, question=question)
        assert stored.status != "not_done", question
        row = page.locator(f"#item-{stored.pk}-summary")
        expect(row).to_contain_text("Not applicable" if stored.status != "done" else "Done")
    threat = LaunchReviewItem.objects.get(question="Has a threat model been reviewed?")
    assert threat.not_applicable_reason == "Reuses the reviewed CDN threat model"
    rollback = LaunchReviewItem.objects.get(question="Has the rollback been rehearsed?")
    assert rollback.evidence == ["https://ci.example.com/rehearsal/7"]
    expect(page.locator(f"#item-{rollback.pk}-summary")).to_contain_text("1 link")
    page.screenshot(path=RESULTS / "checklist-answered-folded.png", full_page=True)

    # Enter unfolds a row, Escape inside it folds it back to the row, Space unfolds again.
    # (The reload kept the address's #main, where Tab starts.)
    keys.tab_to_row("Has the rollback been rehearsed?")
    details = page.locator(f"#item-{rollback.pk} details")
    keys.press("Enter")
    expect(details).to_have_attribute("open", "")
    keys.press("Tab")
    keys.press("Escape")
    expect(details).not_to_have_attribute("open", "")
    assert focus_is_row(page) and focused_item(page) == "Has the rollback been rehearsed?"
    keys.press("Space")
    expect(details).to_have_attribute("open", "")
    assert console_errors == []


def item_pk(review, question: str) -> int:
    return LaunchReviewItem.objects.get(review=review, question=question).pk


def test_a_stale_answer_shows_the_conflict_and_overwrites_nothing(
    page: Page, live_server, draft_review
):
    page.set_viewport_size({"width": 1440, "height": 900})
    sign_in(page, live_server.url, "eli.engineer")
    page.goto(f"{live_server.url}{draft_review.get_absolute_url()}")
    question = "Is there a runbook?"
    item = LaunchReviewItem.objects.get(review=draft_review, question=question)
    # Someone else answers it after the page loaded.
    services.launch_review_item_answer(
        item=item,
        user=draft_review.author,
        version=item.version,
        status="not_applicable",
        not_applicable_reason="Covered by the platform runbook",
    )
    row = page.locator(f"#item-{item.pk}")
    row.get_by_label("Done", exact=True).focus()
    page.keyboard.press("Space")
    state = page.locator(f"#item-{item.pk}-state")
    expect(state).to_contain_text("changed by someone else")
    expect(state).to_contain_text("It now reads “Not applicable”")
    # The row shows the stored answer; typing more saves nothing over it.
    expect(page.locator(f"#item-{item.pk}-summary")).to_contain_text("Not applicable")
    row.get_by_label("Notes").fill("mine")
    page.keyboard.press("Tab")
    page.wait_for_timeout(1200)
    item.refresh_from_db()
    assert (item.status, item.notes) == ("not_applicable", "")
    expect(state.get_by_role("link", name="Reload to see it")).to_be_visible()
