"""The weekly operational review in a real browser: a TPM opens this week's review, reads the
agenda Pulse prepared (a program that turned red, an overdue status update), adds an action
item without a reload (htmx), closes the review; the next review shows the open item carried
over. Screenshots land in ``test-results/``."""

import datetime
import re

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from playwright.sync_api import Page, expect

from core.roles import Role
from metrics.models import HealthSnapshot
from programs.models import Program
from reviews.models import ActionItem, OperationalReview
from reviews.ops import services as ops_services
from tests.browser.test_review_journey import RESULTS
from tests.browser.test_tpm_journey import sign_in
from tests.factories import ProgramFactory, UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

TODAY = timezone.localdate()


@pytest.fixture
def week(db):
    for role in Role.values:
        Group.objects.get_or_create(name=role)
    tpm = UserFactory(username="tina.tpm", first_name="Tina", last_name="Tran", roles=[Role.TPM])
    UserFactory(username="omar.ops", first_name="Omar", last_name="Osei", roles=[Role.ENGINEER])
    payments = ProgramFactory(name="Payments edge", slug="payments-edge", tpm=tpm)
    search = ProgramFactory(name="Search infra", slug="search-infra", tpm=tpm)
    ProgramFactory(name="Quiet program", slug="quiet-program", tpm=tpm)
    now = timezone.now()
    Program.objects.update(last_update_at=now)
    Program.objects.filter(pk=search.pk).update(last_update_at=now - datetime.timedelta(days=30))
    review = ops_services.operational_review_create_weekly()
    for day, grade, score in ((review.date - datetime.timedelta(days=7), "green", 88),
                              (review.date, "red", 34)):  # fmt: skip
        HealthSnapshot.objects.create(
            program=payments, day=day, score=score, grade=grade, computed_at=now
        )
    Program.objects.filter(pk=payments.pk).update(health_grade="red", health_score=34)
    return review


def test_tpm_runs_the_weekly_review_and_the_action_item_carries_over(
    page: Page,
    live_server,
    week,
    console_errors,  # noqa: F811 - the fixture
):
    base = live_server.url
    RESULTS.mkdir(exist_ok=True)
    page.set_viewport_size({"width": 1400, "height": 900})
    sign_in(page, base, "tina.tpm")

    page.get_by_role("link", name="Ops review").click()
    expect(page.get_by_role("heading", name="Operational reviews")).to_be_visible()
    page.screenshot(path=RESULTS / "ops-review-list.png", full_page=True)
    filters = page.get_by_role("search", name="Filter operational reviews")
    filters.get_by_label("Show").select_option("past")
    expect(page.locator("#ops-results")).to_contain_text("past review")
    expect(page).to_have_url(re.compile(r"when=past"))
    filters.get_by_label("Show").select_option("upcoming")
    expect(page.locator("#ops-results")).to_contain_text(week.title)
    page.get_by_role("link", name="This week's review").click()
    expect(page.get_by_role("heading", name=week.title)).to_be_visible()

    worsened = page.locator("#agenda-worsened")
    expect(worsened).to_contain_text("Payments edge")
    expect(worsened).to_contain_text("was green")
    expect(worsened).not_to_contain_text("Quiet program")
    expect(page.locator("#agenda-overdue_updates")).to_contain_text("Search infra")
    expect(page.locator("#agenda-launches")).to_contain_text("Nothing launches")

    # Add an action item: the section is swapped in place, the page is not reloaded.
    page.evaluate("window.__notReloaded = true")
    form = page.locator(".action-item-form")
    form.get_by_role("button", name="Add action item").click()
    expect(page.locator("#action-items .field-error").first).to_contain_text("required")
    form = page.locator(".action-item-form")
    form.get_by_label("Action").fill("Find why payments edge error budget burns")
    form.get_by_label("Owner").select_option(label="Omar Osei")
    form.get_by_label("Due").fill((week.date + datetime.timedelta(days=4)).isoformat())
    form.get_by_label("Program").select_option(label="Payments edge")
    form.get_by_role("button", name="Add action item").click()
    items = page.locator("#action-items .action-item")
    expect(items).to_have_count(1)
    expect(items.first).to_contain_text("Omar Osei")
    assert page.evaluate("window.__notReloaded") is True
    page.screenshot(path=RESULTS / "ops-review-meeting.png", full_page=True)

    page.get_by_role("link", name="Printable view").click()
    expect(page.locator(".topbar")).to_have_count(0)
    expect(page.locator(".ops-print")).to_contain_text("Find why payments edge")
    page.emulate_media(media="print")
    page.screenshot(path=RESULTS / "ops-review-print.png", full_page=True)
    page.emulate_media(media="screen")
    page.go_back()

    page.get_by_role("button", name="Close review").click()
    expect(page.locator(".messages")).to_contain_text("Review closed")
    expect(page.locator("h1 .badge-state")).to_have_text("Closed")
    expect(page.locator("#agenda")).to_contain_text("As it was when the review closed")
    expect(page.locator(".action-item-form")).to_have_count(0)
    assert OperationalReview.objects.get(pk=week.pk).agenda is not None

    # Next week's review shows the item, still open, carried over.
    next_monday = week.date + datetime.timedelta(days=7)
    page.get_by_role("link", name="Ops review").click()
    page.get_by_role("link", name="New review").click()
    page.get_by_label("Date").fill(next_monday.isoformat())
    page.get_by_label("Title").fill("Weekly operational review — next week")
    page.get_by_role("button", name="Schedule review").click()
    expect(
        page.get_by_role("heading", name="Weekly operational review — next week")
    ).to_be_visible()
    carried = page.locator("#action-items .action-item")
    expect(carried).to_have_count(1)
    expect(carried.first).to_contain_text("Carried over from")
    expect(carried.first).to_contain_text("Find why payments edge error budget burns")
    page.screenshot(path=RESULTS / "ops-review-next.png", full_page=True)

    # Closing it in this review keeps it here as done.
    carried.first.get_by_role("button", name="Close").click()
    expect(page.locator("#action-items .action-item-done")).to_have_count(1)
    assert ActionItem.objects.get().closed_in.date == next_monday
    assert console_errors == []
