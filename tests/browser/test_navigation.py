"""The top navigation in a real browser: one line from 1280 px, a menu button at 390 px.

Reviewers and admins have the most items (the bar wrapped to two lines at 1440 px before the
navigation went by role). Screenshots land in ``test-results/`` for a human to look at.
"""

from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import Page, expect

from core.roles import Role
from tests.factories import UserFactory

RESULTS = Path(__file__).resolve().parents[2] / "test-results"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PEOPLE = {
    "reviewer": {"username": "sam.sre", "first_name": "Sam", "last_name": "Sørensen-Whitfield"},
    "admin": {"username": "ada.admin", "first_name": "Ada", "last_name": "Administrator-Lovelace"},
}
FIRST = {"reviewer": "Review queue", "admin": "Home"}


@pytest.fixture
def person(request, db):
    for role in Role.values:
        Group.objects.get_or_create(name=role)
    kind = request.param
    if kind == "admin":
        return kind, UserFactory(**PEOPLE[kind], roles=[Role.ADMIN], is_staff=True)
    return kind, UserFactory(**PEOPLE[kind], roles=[Role.REVIEWER])


def sign_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("pw")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".nav-user")).to_be_visible()


def one_line(page: Page, selector: str) -> None:
    """Every visible element under ``selector`` is one line tall and they share one row."""
    boxes = page.eval_on_selector_all(
        selector,
        """els => els.filter(e => e.offsetParent !== null).map(e => {
            const r = e.getBoundingClientRect();
            const s = getComputedStyle(e);
            const line = parseFloat(s.lineHeight) || parseFloat(s.fontSize) * 1.5;
            const pad = parseFloat(s.paddingTop) + parseFloat(s.paddingBottom);
            return {text: e.textContent.trim(), middle: r.top + r.height / 2, height: r.height,
                    inner: r.height - pad, line};
        })""",
    )
    assert boxes, selector
    for box in boxes:
        # An item that wrapped inside itself is two lines high.
        assert box["inner"] < box["line"] * 1.5, box
    middles = [box["middle"] for box in boxes]
    assert max(middles) - min(middles) <= 3, boxes  # centred on one row: none dropped below


@pytest.mark.parametrize("person", ["reviewer", "admin"], indirect=True)
def test_nav_is_one_line_at_1280_and_a_menu_at_390(page: Page, live_server, person, console_errors):
    kind, user = person
    base = live_server.url
    RESULTS.mkdir(exist_ok=True)

    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in(page, base, user.username)
    nav = page.get_by_role("navigation", name="Main")
    bar = nav.locator(".nav-links")
    expect(bar).to_be_visible()
    expect(nav.locator(".nav-menu")).to_be_hidden()
    expect(bar.locator(":scope > li > a").first).to_have_text(FIRST[kind])
    # The whole top bar is a single 56 px row: brand, items, "More", the user and Sign out.
    assert page.locator(".topbar").bounding_box()["height"] <= 64
    one_line(
        page,
        ".topbar-inner > .brand, .nav-links > li > a, .nav-more summary, .nav-user a, .nav-user button",
    )
    if kind == "admin":
        expect(bar.get_by_role("link", name="Admin", exact=True)).to_be_visible()
    page.screenshot(path=RESULTS / f"nav-{kind}-1280.png")

    # Less-used items are under "More"; it opens from the keyboard and its links work.
    more = bar.locator(".nav-more summary")
    expect(bar.get_by_role("link", name="API docs")).to_be_hidden()
    more.focus()
    page.keyboard.press("Enter")
    expect(bar.get_by_role("link", name="API docs")).to_be_visible()
    page.screenshot(path=RESULTS / f"nav-{kind}-1280-more.png")
    bar.get_by_role("link", name="Reports").click()
    expect(page.get_by_role("heading", name="Weekly reports")).to_be_visible()
    expect(page.locator(".nav-more summary")).to_have_class("nav-has-current")

    # On a phone: a menu button, nothing of the bar overflows, the list opens on demand.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{base}/")
    expect(bar).to_be_hidden()
    menu = nav.locator(".nav-menu")
    button = menu.locator("summary")
    expect(button).to_be_visible()
    expect(button).to_have_text("Menu")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.locator(".topbar").bounding_box()["height"] <= 64
    expect(menu.get_by_role("link", name=FIRST[kind])).to_be_hidden()
    page.screenshot(path=RESULTS / f"nav-{kind}-390.png")
    button.focus()
    page.keyboard.press("Enter")  # a <summary> is a button: Enter and Space open it
    expect(menu).to_have_attribute("open", "")
    for name in (FIRST[kind], "Programs", "Capacity", "API docs"):
        link = menu.get_by_role("link", name=name, exact=True)
        expect(link).to_be_visible()
        box = link.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, (name, box)
    page.screenshot(path=RESULTS / f"nav-{kind}-390-open.png")
    page.keyboard.press("Tab")  # the first link in the open menu takes focus next
    expect(menu.get_by_role("link", name=FIRST[kind], exact=True)).to_be_focused()
    menu.get_by_role("link", name="Capacity", exact=True).click()
    expect(page).to_have_url(f"{base}/reviews/capacity/")
    assert console_errors == []
