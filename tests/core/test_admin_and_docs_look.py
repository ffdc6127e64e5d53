"""The Django admin and the API docs stay inside Pulse (issue 14, point 8).

Both carry the product's header with a way back to the app's home, the signed-in user, and
the product's stylesheet; the admin keeps working as the admin (its own pages and tests in
tests/programs/test_admin.py), the docs keep running under the strict CSP (tests/test_schema.py).
"""

from html.parser import HTMLParser

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

pytestmark = pytest.mark.django_db


class _Links(HTMLParser):
    """The links (href, visible text) inside the first element matching a tag and id/class,
    and every stylesheet the page links."""

    def __init__(self, tag: str, marker: str) -> None:
        super().__init__()
        self.tag, self.marker = tag, marker
        self.depth = 0  # >0 while inside the element
        self.links: list[tuple[str, str]] = []
        self.text: list[str] = []
        self._href: str | None = None
        self._link_text: list[str] = []
        self.stylesheets: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "link" and values.get("rel") == "stylesheet":
            self.stylesheets.append(values.get("href") or "")
        if self.depth:
            if tag == self.tag:
                self.depth += 1
            if tag == "a":
                self._href, self._link_text = values.get("href") or "", []
            if tag == "img" and self._href is not None and values.get("src"):
                self._link_text.append(f"[img {values['src']}]")
        elif tag == self.tag and self.marker in (
            values.get("id") or "",
            *(values.get("class") or "").split(),
        ):
            self.depth = 1

    def handle_endtag(self, tag: str) -> None:
        if not self.depth:
            return
        if tag == "a" and self._href is not None:
            self.links.append((self._href, " ".join("".join(self._link_text).split())))
            self._href = None
        if tag == self.tag:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.text.append(data)
            if self._href is not None:
                self._link_text.append(data)


def _parse(html: str, tag: str, marker: str) -> _Links:
    parser = _Links(tag, marker)
    parser.feed(html)
    assert parser.links, f"no <{tag}> marked {marker!r} with links"
    return parser


def test_admin_index_has_the_pulse_header_and_a_way_back(client, admin_user):
    admin_user.first_name, admin_user.last_name = "Ada", "Lovelace"
    admin_user.save()
    client.force_login(admin_user)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    header = _parse(response.content.decode(), "header", "header")
    links = dict(header.links)
    home = reverse("home")
    # The brand (logo and name) goes to the app, the admin's own name to the admin index.
    assert any(
        href == home and "pulse.svg" in text and "Pulse" in text for href, text in header.links
    )
    assert links[reverse("admin:index")] == "Admin"
    assert (home, "← Back to Pulse") in header.links
    assert "Ada Lovelace" in " ".join(header.text)
    assert "Django administration" not in response.content.decode()
    assert "/static/css/admin.css" in header.stylesheets
    assert finders.find("css/admin.css")


def test_admin_changelist_and_change_form_keep_the_header_and_the_admin(
    client, admin_user, program
):
    client.force_login(admin_user)
    changelist = client.get(reverse("admin:programs_program_changelist"), {"q": "kernel"})
    assert changelist.status_code == 200
    page = changelist.content.decode()
    assert (reverse("home"), "← Back to Pulse") in _parse(page, "header", "header").links
    assert "Fleet kernel upgrade" in page and 'id="changelist-filter"' in page
    change = client.get(reverse("admin:programs_program_change", args=[program.pk]))
    assert change.status_code == 200
    page = change.content.decode()
    assert (reverse("home"), "← Back to Pulse") in _parse(page, "header", "header").links
    # The admin's form, its logout and its theme toggle are all still there.
    assert 'name="_save"' in page and 'id="logout-form"' in page and "theme-toggle" in page


def test_admin_login_page_carries_the_brand(client):
    response = client.get(reverse("admin:login"))
    assert response.status_code == 200
    header = _parse(response.content.decode(), "header", "header")
    assert any(href == reverse("home") and "Pulse" in text for href, text in header.links)


def test_admin_stylesheet_themes_light_and_dark_through_the_admin_variables():
    """The colours go through the admin's own custom properties, for both schemes and the toggle."""
    with open(finders.find("css/admin.css"), encoding="utf-8") as stylesheet:
        css = stylesheet.read()
    for selector in (
        'html[data-theme="light"]',
        "@media (prefers-color-scheme: dark)",
        'html[data-theme="dark"]',
    ):
        assert selector in css
    for variable in ("--primary:", "--header-bg:", "--link-fg:", "--body-bg:", "--button-bg:"):
        assert css.count(variable) == 3, variable  # light, system dark, chosen dark


def test_api_docs_sit_in_the_product_page_with_a_way_back(client, tpm):
    tpm.first_name, tpm.last_name = "Tina", "Pham"
    tpm.save()
    client.force_login(tpm)
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    topbar = _parse(html, "header", "topbar")
    home = reverse("home")
    assert any(href == home and "Pulse" in text for href, text in topbar.links)
    assert "Tina Pham" in " ".join(topbar.text)
    # The navigation marks the docs as the current page.
    assert '<a href="/api/docs/" aria-current="page">API docs</a>' in html
    main = _parse(html, "main", "main")
    assert (home, "← Back to Pulse") in main.links
    assert 'id="swagger-ui"' in html
    assert "/static/css/pulse.css" in main.stylesheets
    assert "/static/css/docs.css" in main.stylesheets
    assert any("swagger-ui.css" in href for href in main.stylesheets)


def test_api_docs_script_follows_the_system_colour_scheme(client, tpm):
    client.force_login(tpm)
    script = client.get("/api/docs/", {"script": ""})
    assert script.status_code == 200
    body = script.content.decode()
    assert "SwaggerUIBundle(" in body  # drf-spectacular's start-up script, kept whole
    assert "prefers-color-scheme: dark" in body and "dark-mode" in body


def test_api_docs_page_is_not_in_the_schema(client, tpm):
    client.force_login(tpm)
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    assert "/api/docs/" not in schema.json()["paths"]
