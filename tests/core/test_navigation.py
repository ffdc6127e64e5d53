"""The top navigation by role: what each user does most comes first, the rest under "More"."""

import re

import pytest

from core.context_processors import PRIMARY_COUNT, nav_items, nav_order
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

EVERY_ITEM = {
    "Home", "Dashboard", "Reports", "Programs", "Launches",
    "Review queue", "Capacity", "Ops review", "Playbooks", "API docs",
}  # fmt: skip


def labels(items):
    return [item.label for item in items]


@pytest.mark.parametrize(
    ("fixture", "first"),
    [
        ("tpm", ["Home", "Programs", "Ops review", "Launches", "Dashboard"]),
        ("engineer", ["Launches", "Capacity", "Home", "Programs", "Ops review"]),
        ("reviewer", ["Review queue", "Launches", "Capacity", "Programs", "Home"]),
        ("leader", ["Dashboard", "Insights", "Reports", "Programs", "Launches"]),
        ("admin_user", ["Home", "Programs", "Review queue", "Ops review", "Admin"]),
    ],
)
def test_each_role_sees_its_most_used_items_first(request, fixture, first):
    primary, more = nav_items(request.getfixturevalue(fixture))
    assert labels(primary) == first
    assert len(primary) == PRIMARY_COUNT
    # Nothing is lost: whatever is not in the bar is under "More", once.
    everything = labels(primary) + labels(more)
    assert len(everything) == len(set(everything))
    expected = EVERY_ITEM | ({"Admin"} if fixture == "admin_user" else set())
    # Insights are for TPMs, leadership and admins only (the pages refuse everyone else).
    expected |= {"Insights"} if fixture in ("tpm", "leader", "admin_user") else set()
    assert set(everything) == expected


def test_admin_link_only_for_staff(db):
    not_staff = UserFactory(roles=["Admin"], is_staff=False)
    assert "admin" not in nav_order(not_staff)
    superuser = UserFactory(is_staff=True, is_superuser=True)  # in no group
    assert nav_order(superuser)[:5] == ["home", "programs", "reviews", "ops", "admin"]


def test_several_roles_are_merged_each_roles_first_item_leads(db):
    user = UserFactory(roles=["Engineer", "Reviewer"])
    primary, _ = nav_items(user)
    # Reviewer takes precedence, the engineer's first item comes right after.
    assert labels(primary)[:2] == ["Review queue", "Launches"]
    assert "Capacity" in labels(primary)


def test_no_role_gets_a_general_order(db):
    primary, more = nav_items(UserFactory())
    assert labels(primary)[0] == "Home"
    assert set(labels(primary) + labels(more)) == EVERY_ITEM


def current_links(html: str) -> list[str]:
    return re.findall(r'<a href="[^"]*" aria-current="page">([^<]+)</a>', html)


def test_page_renders_the_role_nav_and_marks_the_current_section(client, reviewer):
    client.force_login(reviewer)
    response = client.get("/reviews/capacity/")
    html = response.content.decode()
    bar = html[html.index('<ul class="nav-links">') : html.index('<details class="nav-menu">')]
    direct = re.findall(r"<li><a [^>]*>([^<]+)</a></li>", bar[: bar.index('class="nav-more"')])
    assert direct == ["Review queue", "Launches", "Capacity", "Programs", "Home"]
    more = re.findall(r"<a [^>]*>([^<]+)</a>", bar[bar.index('class="nav-more"') :])
    assert more == ["Ops review", "Dashboard", "Reports", "Playbooks", "API docs"]
    # The phone menu lists everything, in the same order, and Search (the top bar's search box
    # is hidden there); the current page is marked in both.
    menu = html[html.index('<details class="nav-menu">') : html.index('<div class="nav-user">')]
    assert ">Menu</summary>" in menu
    assert re.findall(r"<a [^>]*>([^<]+)</a>", menu) == [*direct, *more, "Search"]
    assert current_links(bar) == current_links(menu) == ["Capacity"]


def test_current_section_inside_more_marks_the_more_summary(client, reviewer):
    client.force_login(reviewer)
    html = client.get("/reports/").content.decode()
    assert '<summary class="nav-has-current">More</summary>' in html
    assert current_links(html) == ["Reports", "Reports"]


def test_signed_out_pages_have_no_nav_items(client):
    html = client.get("/accounts/login/").content.decode()
    assert "nav-links" not in html and "nav-menu" not in html
