"""Printing the pages leaders take to reviews: the dashboard, the weekly report, the program page.

In print (static/css/print.css, js/print.js): no navigation, buttons, forms, filters or sticky
section bar; the content in one column under a printed header naming the page and the moment
it was printed; charts redrawn to the paper's width; a chart that never drew prints its table.
Screenshots of the print layout land in ``test-results/`` for a human to look at.
"""

import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from playwright.sync_api import Page, expect

from metrics.models import WeeklyReport
from programs.models import Program

RESULTS = Path(__file__).resolve().parents[2] / "test-results"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# Wider than this, a chart would not fit A4 or Letter between print.css's margins.
PAPER_WIDTH = 703


@pytest.fixture
def pages(db) -> dict[str, str]:
    call_command("seed_demo", "--programs", "12", "--seed", "3", stdout=StringIO())
    program = Program.objects.filter(milestones__isnull=False, risks__isnull=False).first()
    report = WeeklyReport.objects.select_related("portfolio").first()
    assert program is not None and report is not None
    week = report.week_start.isoformat()
    return {
        "dashboard": reverse("leadership:dashboard"),
        "weekly report": reverse("leadership:report-detail", args=[report.portfolio.slug, week]),
        "program": program.get_absolute_url(),
    }


def sign_in(page: Page, base: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill("pulse-demo-password")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def open_drawn(page: Page, url: str) -> None:
    page.emulate_media(media="screen")
    page.goto(url)
    page.wait_for_load_state("networkidle")
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-chart]')]"
        ".every(e => e.dataset.drawn === 'yes')",
        timeout=10_000,
    )


def test_print_shows_the_content_without_the_controls(
    page: Page, live_server, pages, console_errors
):
    base = live_server.url
    RESULTS.mkdir(exist_ok=True)
    page.set_viewport_size({"width": 1440, "height": 900})
    sign_in(page, base)
    for name, path in pages.items():
        open_drawn(page, f"{base}{path}")
        # On screen the printed header is not there, the navigation is.
        expect(page.locator(".print-header")).to_be_hidden()
        expect(page.get_by_role("navigation", name="Main")).to_be_visible()
        title = page.title().removesuffix(" · Pulse")

        page.emulate_media(media="print")
        for hidden in (".topbar", ".footer", ".page-actions", ".breadcrumbs", "main form"):
            for element in page.locator(hidden).all():
                expect(element, f"{name}: {hidden}").to_be_hidden()
        for button in page.locator("main .btn, main button").all():
            expect(button, name).to_be_hidden()
        header = page.locator(".print-header")
        expect(header).to_be_visible()
        expect(header).to_contain_text(title)
        expect(header).to_contain_text("Printed")
        expect(page.locator("main h1")).to_be_visible()
        cards = page.locator("main .card")
        assert cards.count() > 0, name
        for card in cards.all():
            # Everything in one column, within the paper's width.
            assert card.bounding_box()["width"] <= page.viewport_size["width"], name
        # Tables of drawn charts stay folded: the chart prints.
        for summary in page.locator(".chart-table > summary").all():
            expect(summary).to_be_hidden()
        page.set_viewport_size({"width": PAPER_WIDTH, "height": 1000})
        page.screenshot(path=RESULTS / f"print-{name.replace(' ', '-')}.png", full_page=True)
        page.set_viewport_size({"width": 1440, "height": 900})

        if name == "dashboard":
            expect(page.locator("#dashboard-filters")).to_be_hidden()
            expect(page.locator(".kpis")).to_be_visible()
            expect(page.locator(".table-dashboard")).to_be_visible()
        if name == "program":
            expect(page.get_by_role("navigation", name="Sections of this page")).to_be_hidden()
            expect(page.locator(".table-milestones")).to_be_visible()
        if name == "weekly report":
            expect(page.locator(".report-nav")).to_be_hidden()
            expect(page.locator(".report-section").first).to_be_visible()
    assert console_errors == []


def test_charts_are_redrawn_at_the_papers_width_and_back(page: Page, live_server, pages):
    base = live_server.url
    page.set_viewport_size({"width": 1440, "height": 900})
    sign_in(page, base)
    open_drawn(page, f"{base}{pages['program']}")
    widths = "() => [...document.querySelectorAll('[data-chart] .main-svg')].map(s => s.width.baseVal.value)"
    before = page.evaluate(widths)
    assert before and max(before) > PAPER_WIDTH  # the page's full-width charts
    page.evaluate("() => window.dispatchEvent(new Event('beforeprint'))")
    assert max(page.evaluate(widths)) <= PAPER_WIDTH
    page.evaluate("() => window.dispatchEvent(new Event('afterprint'))")
    page.wait_for_function(f"() => Math.max(...({widths})()) > {PAPER_WIDTH}")


def test_a_chart_that_never_drew_prints_its_table(page: Page, live_server, pages):
    base = live_server.url
    page.route(re.compile(r".*/plotly[^/]*\.js$"), lambda route: route.abort())
    sign_in(page, base)
    page.goto(f"{base}{pages['dashboard']}")
    page.wait_for_load_state("networkidle")
    page.emulate_media(media="print")
    table = page.locator("#table-grades table")
    expect(table).to_be_visible()
    expect(table.locator("tbody tr").first).to_be_visible()
    expect(page.locator('[data-chart="chart-grades"]')).to_be_hidden()


def test_the_program_page_prints_to_pdf(page: Page, live_server, pages):
    base = live_server.url
    sign_in(page, base)
    open_drawn(page, f"{base}{pages['program']}")
    page.emulate_media(media="print")
    pdf = page.pdf(format="A4")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "print-program.pdf").write_bytes(pdf)
    assert pdf.startswith(b"%PDF")
    # Chromium writes one "/Type /Page" object per page (and "/Type /Pages" for the tree).
    assert len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf)) > 0
