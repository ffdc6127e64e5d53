"""A playbook's owner publishes a new version from the keyboard, then reads what changed.

The owner opens the playbook, goes to "Publish a new version", edits the text and writes a
change note, publishes; the new version is the current one, the old one says it is not, and
the diff from the old to the new shows the changed line on both sides.
"""

import datetime

import pytest
from playwright.sync_api import Page, expect

from programs.playbooks import services
from tests.browser.test_tpm_journey import sign_in
from tests.factories import UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_an_owner_publishes_a_version_then_sees_the_diff(page: Page, live_server, console_errors):
    owner = UserFactory(username="olga.owner", first_name="Olga", last_name="Owner", roles=["TPM"])
    services.playbook_create(
        user=owner, slug="capacity-process", title="Capacity process",
        body="## Filing\n\nFile a request one month ahead.\n\n## Deciding\n\nThe council meets.",
        owners=[owner], review_by=datetime.date(2027, 6, 1), governs="capacity",
    )  # fmt: skip
    base = live_server.url
    sign_in(page, base, "olga.owner")
    page.goto(f"{base}/playbooks/")
    page.get_by_role("link", name="Capacity process").click()
    page.get_by_role("link", name="Publish a new version").click()

    text = page.get_by_label("Text")
    text.fill(text.input_value().replace("one month ahead", "one quarter ahead"))
    page.get_by_label("What changed and why").fill("Lead time is a quarter now.")
    page.get_by_label("What changed and why").press("Enter")  # submits, no mouse needed

    expect(page).to_have_url(f"{base}/playbooks/capacity-process/v/2/")
    expect(page.get_by_text("Version 2 of “Capacity process” published.")).to_be_visible()
    expect(page.get_by_text("File a request one quarter ahead.")).to_be_visible()

    page.goto(f"{base}/playbooks/capacity-process/v/1/")
    expect(page.get_by_text("This is version 1, not the current one.")).to_be_visible()
    page.get_by_role("link", name="What changed since v1").click()

    diff = page.get_by_role("region", name="Changes from Version 1 to Version 2")
    expect(diff.locator(".diff-changed .diff-old")).to_contain_text("one month ahead")
    expect(diff.locator(".diff-changed .diff-new")).to_contain_text("one quarter ahead")
    page.goto(f"{base}/playbooks/capacity-process/")
    expect(page.get_by_role("cell", name="Lead time is a quarter now.")).to_be_visible()
    assert console_errors == []
