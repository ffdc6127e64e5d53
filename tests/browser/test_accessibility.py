"""Every page passes axe-core (from npm, injected by Playwright) in light and in dark mode:
no serious or critical violation.

The pages are those of the demo organisation (``seed_demo``), visited as its admin, who may
open every page; each page is checked after its charts are drawn. axe is served from the
app's own static files (``vendor/axe-core``, a dev dependency in package.json), so the strict
Content-Security-Policy stays on while it runs.
"""

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from playwright.sync_api import Page

from metrics.models import WeeklyReport
from programs.models import Program
from programs.plans.models import Plan
from programs.playbooks.models import Playbook
from reviews.models import CapacityRequest, LaunchReview, OperationalReview

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# What a person can act on: serious and critical. Minor and moderate findings are advice.
BLOCKING = ("serious", "critical")


@pytest.fixture
def pages(db) -> dict[str, str]:
    call_command("seed_demo", "--programs", "12", "--seed", "3", stdout=StringIO())
    program = Program.objects.filter(milestones__isnull=False, risks__isnull=False).first()
    launch = LaunchReview.objects.order_by("launch_date").first()
    request = CapacityRequest.objects.first()
    review = OperationalReview.objects.order_by("-date").first()
    report = WeeklyReport.objects.select_related("portfolio").first()
    milestone = program.milestones.first()
    plan = Plan.objects.filter(published__gt=1).select_related("program").first()
    assert plan is not None, "seed_demo wrote no plan with two versions"
    unplanned = Program.objects.filter(plan__isnull=True).first()
    playbook = Playbook.objects.filter(current_version__isnull=False).first()
    paths = {
        "home": reverse("home"),
        "dashboard": reverse("leadership:dashboard"),
        "reports": reverse("leadership:reports"),
        "programs": reverse("programs:list"),
        "program": program.get_absolute_url(),
        "program edit": reverse("programs:edit", args=[program.slug]),
        "status update": reverse("programs:update-create", args=[program.slug]),
        "milestone move": reverse("programs:milestone-move", args=[program.slug, milestone.pk]),
        "members": reverse("programs:members", args=[program.slug]),
        "launches": reverse("reviews:launch-list"),
        "launch review": launch.get_absolute_url(),
        "review queue": reverse("reviews:queue"),
        "capacity": reverse("reviews:capacity-list"),
        "capacity request": request.get_absolute_url(),
        "budgets": reverse("reviews:budgets"),
        "ops reviews": reverse("ops:list"),
        "ops review": review.get_absolute_url(),
        "my action items": reverse("ops:my-items"),
        "profile": reverse("profile"),
        "plan": reverse("plans:detail", args=[plan.program.slug]),
        "plan edit": reverse("plans:edit", args=[plan.program.slug]),
        "plan compare": reverse("plans:diff", args=[plan.program.slug]),
        "plan start": reverse("plans:detail", args=[unplanned.slug]),
        "search": reverse("search") + "?q=rollback",
        "playbooks": reverse("playbooks:list"),
        "playbook": reverse("playbooks:detail", args=[playbook.slug]),
    }
    # The demo writes last week's reports: the report page is among those checked.
    assert report is not None, "seed_demo wrote no weekly report"
    week = report.week_start.isoformat()
    paths["weekly report"] = reverse("leadership:report-detail", args=[report.portfolio.slug, week])
    return paths


def axe_violations(page: Page, base: str) -> list[dict]:
    page.add_script_tag(url=f"{base}/static/vendor/axe-core/axe.min.js")
    return page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ["violations"]});
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 3).map(n => n.target.join(" ")),
            }));
        }"""
    )


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_page_has_no_serious_accessibility_violation(
    page: Page, live_server, pages, scheme, console_errors
):
    base = live_server.url
    page.emulate_media(color_scheme=scheme)
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill("pulse-demo-password")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)

    # The theme really follows the system setting: a dark ground in dark mode, a light one else.
    ground = page.evaluate(
        "() => getComputedStyle(document.body).backgroundColor.match(/\\d+/g).slice(0, 3)"
    )
    brightness = sum(int(channel) for channel in ground) / 3
    assert (brightness < 60) if scheme == "dark" else (brightness > 200), (scheme, ground)

    found: dict[str, list[dict]] = {}
    signed_out = {"sign-in": "/accounts/login/"}
    for name, path in {**pages, **signed_out}.items():
        if name == "sign-in":
            page.context.clear_cookies()
        response = page.goto(f"{base}{path}")
        assert response is not None and response.status == 200, (name, path)
        page.wait_for_load_state("networkidle")
        page.wait_for_function(
            "() => [...document.querySelectorAll('[data-chart]')]"
            ".every(e => e.dataset.drawn === 'yes')",
            timeout=10_000,
        )
        if name == "dashboard":
            # Charts are redrawn in the theme's inks: no light-theme ink on a dark card.
            inks = page.eval_on_selector_all(
                "[data-chart] .xtick text", "els => els.map(e => e.style.fill)"
            )
            light_muted = "rgb(88, 99, 115)"  # --color-text-muted of the light theme
            assert inks and (scheme == "light") == (light_muted in inks), (scheme, inks)
        blocking = [v for v in axe_violations(page, base) if v["impact"] in BLOCKING]
        if blocking:
            found[name] = blocking
    assert found == {}, f"{scheme} mode: {found}"
    assert console_errors == []
