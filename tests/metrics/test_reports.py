"""The weekly report: its content for a prepared week, storage, task, e-mail, pages, queries."""

import datetime

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from metrics import tasks
from metrics.models import HealthSnapshot, ReportSubscription, WeeklyReport
from metrics.reports import build, render, selectors, services
from programs.models import MilestoneDateChange, Program, StatusUpdate
from reviews.models import ChecklistTemplate
from tests.factories import (
    ChecklistTemplateFactory,
    HealthSnapshotFactory,
    LaunchReviewFactory,
    MilestoneDateChangeFactory,
    MilestoneFactory,
    PortfolioFactory,
    ProgramFactory,
    ReportSubscriptionFactory,
    StatusUpdateFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
WEEK = build.last_complete_week(TODAY)  # a Monday; the week is over
SUNDAY_BEFORE = WEEK - datetime.timedelta(days=1)
LAST_DAY = WEEK + datetime.timedelta(days=6)


def at(day: datetime.date, hour: int = 12) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def snapshot(program, day, grade, *, watermelon=False, reported="on_track", stale=False,
             reasons=()):  # fmt: skip
    HealthSnapshotFactory(
        program=program, day=day, grade=grade, score={"green": 80, "yellow": 60, "red": 30}[grade],
        watermelon=watermelon, reported_health=reported, computed_at=at(day), stale=stale,
        reasons=list(reasons),
    )  # fmt: skip


def reason(family, severity, code, subject="", **figures):
    """A reason as snapshots store it (``metrics.health.Reason`` as a dict)."""
    return {"family": family, "severity": severity, "code": code, "subject_id": 1,
            "subject": subject, "figures": figures, "cost": 50.0}  # fmt: skip


GA_OVERDUE = reason("schedule", "red", "critical_overdue", "GA", days=21)
GA_OVERDUE_TEXT = "Critical milestone 'GA' is 21 days overdue"
METRIC_BEHIND = reason("outcomes", "yellow", "metric_behind", "Adoption", value=10, target=100,
                       expected=50, unit="%", percent=44)  # fmt: skip
METRIC_BEHIND_TEXT = (
    "Metric 'Adoption' is at 10 %, behind the path to 100 % (expected 50 %: 44% of the way behind)"
)
NEVER_UPDATED = reason("freshness", "yellow", "never_updated", days=60)


def program_in(portfolio, name, **extra):
    program = ProgramFactory(
        name=name, slug=name.lower().replace(" ", "-"), portfolio=portfolio, **extra
    )
    Program.objects.filter(pk=program.pk).update(created_at=at(WEEK - datetime.timedelta(days=60)))
    return program


def update(program, day, *, asks=""):
    status = StatusUpdateFactory(program=program, asks=asks)
    StatusUpdate.objects.filter(pk=status.pk).update(created_at=at(day))
    return status


def move(milestone, *, on, to, reason):
    change = MilestoneDateChangeFactory(
        milestone=milestone, from_date=milestone.target_date, to_date=to, reason=reason
    )
    MilestoneDateChange.objects.filter(pk=change.pk).update(changed_at=at(on))


def launch(program, day, title):
    template = ChecklistTemplate.objects.filter(active=True).first() or ChecklistTemplateFactory()
    LaunchReviewFactory(
        program=program, title=title, tier=template.tier, template=template, launch_date=day,
        state="submitted",
    )  # fmt: skip


@pytest.fixture
def week(tpm):
    """A week in portfolio "core" where exactly one of each thing happened, plus decoys."""
    core = PortfolioFactory(name="Core", slug="core")
    other = PortfolioFactory(name="Other", slug="other")
    slipping = program_in(core, "Slipping", tpm=tpm)
    steady = program_in(core, "Steady", tpm=tpm)
    secret = program_in(core, "Secret", tpm=tpm, confidential=True)
    silent = program_in(core, "Silent", tpm=tpm)  # never updated: stale
    elsewhere = program_in(other, "Elsewhere", tpm=tpm)
    # Grades: slipping goes green → red; steady stays yellow (a watermelon all week: not new);
    # secret becomes a watermelon; silent is stale (no update ever: never a watermelon);
    # elsewhere changes grade in another portfolio, its reason stored in the old form.
    snapshot(slipping, SUNDAY_BEFORE, "green")
    snapshot(slipping, LAST_DAY, "red", reasons=[GA_OVERDUE, METRIC_BEHIND])
    snapshot(steady, SUNDAY_BEFORE, "yellow", watermelon=True)
    snapshot(steady, LAST_DAY, "yellow", watermelon=True)
    snapshot(secret, SUNDAY_BEFORE, "yellow")
    snapshot(secret, LAST_DAY, "yellow", watermelon=True, reasons=[METRIC_BEHIND])
    snapshot(silent, LAST_DAY, "yellow", stale=True, reasons=[NEVER_UPDATED])
    snapshot(elsewhere, SUNDAY_BEFORE, "green")
    snapshot(elsewhere, LAST_DAY, "red",
             reasons=[{"component": "schedule", "text": "Overdue in the old words", "points": 30}])  # fmt: skip
    # Updates within the week keep three programs fresh; one asks leadership for something.
    update(slipping, WEEK + datetime.timedelta(days=1), asks="Approve the vendor change.")
    update(steady, WEEK + datetime.timedelta(days=2))
    update(secret, WEEK + datetime.timedelta(days=2), asks="Secret ask.")
    update(steady, WEEK - datetime.timedelta(days=3), asks="Last week's ask.")
    # Milestones: one slip in the week (reported), a pull-in and an older slip (not).
    ga = MilestoneFactory(program=slipping, name="GA", critical=True, target_date=TODAY)
    move(ga, on=WEEK + datetime.timedelta(days=3), to=TODAY + datetime.timedelta(days=21),
         reason="Vendor hardware late")  # fmt: skip
    beta = MilestoneFactory(program=steady, name="Beta", target_date=TODAY)
    move(beta, on=WEEK + datetime.timedelta(days=3), to=TODAY - datetime.timedelta(days=5),
         reason="Pulled in")  # fmt: skip
    move(beta, on=WEEK - datetime.timedelta(days=2), to=TODAY + datetime.timedelta(days=9),
         reason="Old news")  # fmt: skip
    # Launches: one within 14 days of the report, one after.
    issued = WEEK + datetime.timedelta(days=7)
    launch(steady, issued + datetime.timedelta(days=5), "Steady GA")
    launch(steady, issued + datetime.timedelta(days=20), "Steady v2")
    return {"core": core, "other": other, "secret": secret, "slipping": slipping}


def names(items):
    return [item["program"] for item in items]


def test_content_of_a_prepared_week(week):
    """Grade changes, new watermelons, slips, launches, asks and silence; nothing else."""
    content = selectors.weekly_report_content(portfolio=week["core"], week_start=WEEK, today=TODAY)
    assert [(i["program"], i["from"], i["to"], i["worse"]) for i in content["grade_changes"]] == [
        ("Slipping", "green", "red", True)
    ]
    assert names(content["new_watermelons"]) == ["Secret"]
    assert [(i["milestone"], i["reason"], i["critical"]) for i in content["slips"]] == [
        ("GA", "Vendor hardware late", True)
    ]
    assert [i["title"] for i in content["launches"]] == ["Steady GA"]
    assert [(i["program"], i["asks"]) for i in content["asks"]] == [
        ("Secret", "Secret ask."),
        ("Slipping", "Approve the vendor change."),
    ]
    assert names(content["no_update"]) == ["Silent"]
    assert build.summary(content) == {
        "green": 0, "yellow": 3, "red": 1, "total": 4, "stale": 1
    }  # fmt: skip


def test_grade_moves_and_watermelons_say_their_deciding_reason_and_stale_is_not_one(week):
    """Each grade change and new watermelon carries its first reason's sentence (the program
    page's words); a stale program is listed stale among the silent ones, never a watermelon."""
    content = selectors.weekly_report_content(portfolio=week["core"], week_start=WEEK, today=TODAY)
    assert [i["reason"] for i in content["grade_changes"]] == [GA_OVERDUE_TEXT]
    assert [i["reason"] for i in content["new_watermelons"]] == [METRIC_BEHIND_TEXT]
    assert [(i["program"], i["stale"]) for i in content["no_update"]] == [("Silent", True)]
    assert "Silent" not in names(content["new_watermelons"])
    other = selectors.weekly_report_content(portfolio=week["other"], week_start=WEEK, today=TODAY)
    assert [i["reason"] for i in other["grade_changes"]] == ["Overdue in the old words"]


def test_a_stale_snapshot_flagged_watermelon_is_not_reported_as_one(week):
    """A snapshot written with both flags (before stale existed) counts as stale only."""
    HealthSnapshot.objects.filter(program__name="Silent").update(watermelon=True)
    content = selectors.weekly_report_content(portfolio=week["core"], week_start=WEEK, today=TODAY)
    assert names(content["new_watermelons"]) == ["Secret"]


def test_markdown_lists_every_section(week):
    content = selectors.weekly_report_content(portfolio=week["core"], week_start=WEEK, today=TODAY)
    text = render.render_markdown(content, base_url="https://pulse.example")
    assert text.startswith("# Core — weekly report")
    assert (
        "[Slipping](https://pulse.example/programs/slipping/): green → **red** "
        f"(score 80 → 30) — {GA_OVERDUE_TEXT}"
    ) in text
    assert f"computed **yellow** (60) — {METRIC_BEHIND_TEXT}" in text
    assert "(never updated) — **stale**" in text
    assert "4 programs scored:** 0 green, 3 yellow, 1 red; 1 stale (no current update)." in text
    assert "Reason: Vendor hardware late" in text
    assert "  > Approve the vendor change." in text
    assert "## New watermelons (1)" in text and "## Programs without an update (1)" in text
    hidden = build.visible_content(content, {week["slipping"].pk})
    assert "Secret" not in render.render_markdown(hidden)


def test_generate_is_idempotent_and_mails_subscribers_once(week, leader, outsider):
    """Two runs of the task: one report, one e-mail each, the outsider's without the secret."""
    ReportSubscriptionFactory(user=leader, portfolio=week["core"])
    ReportSubscriptionFactory(user=outsider, portfolio=week["core"])
    for _ in range(2):
        tasks.weekly_report_generate.apply(args=[week["core"].pk, WEEK.isoformat()]).get()
    assert WeeklyReport.objects.filter(portfolio=week["core"]).count() == 1
    report = WeeklyReport.objects.get(portfolio=week["core"])
    assert report.week_start == WEEK and report.emailed_at is not None
    assert "Slipping" in report.markdown and "Secret" in report.markdown
    assert sorted(m.to[0] for m in mail.outbox) == sorted([leader.email, outsider.email])
    by_address = {m.to[0]: m.body for m in mail.outbox}
    assert "Secret" in by_address[leader.email]
    assert GA_OVERDUE_TEXT in by_address[outsider.email]  # the program page's words
    assert "Secret" not in by_address[outsider.email]
    assert "Slipping" in by_address[outsider.email]


def test_beat_task_queues_last_week_for_every_portfolio(week):
    assert tasks.weekly_reports_generate.apply().get() == 2
    assert set(WeeklyReport.objects.values_list("portfolio__slug", "week_start")) == {
        ("core", WEEK),
        ("other", WEEK),
    }


def test_regenerating_replaces_the_report(week, leader):
    first = services.weekly_report_generate(portfolio=week["core"], week_start=WEEK, today=TODAY)
    update(Program.objects.get(name="Silent"), WEEK + datetime.timedelta(days=4))
    again = services.weekly_report_generate(
        portfolio=week["core"],
        week_start=WEEK + datetime.timedelta(days=3),
        user=leader,
        today=TODAY,
    )
    assert again.pk == first.pk and again.week_start == WEEK
    assert again.content["no_update"] == [] and again.generated_by == leader


def test_report_pages_for_leaders_and_outsiders(client, week, leader, outsider):
    report = services.weekly_report_generate(portfolio=week["core"], week_start=WEEK, today=TODAY)
    client.force_login(outsider)
    listing = client.get(reverse("leadership:reports")).content.decode()
    assert "Week of" in listing and "Generate now" not in listing
    html = client.get(report.get_absolute_url()).content.decode()
    assert "Vendor hardware late" in html and "Secret" not in html
    assert GA_OVERDUE_TEXT.replace("'", "&#x27;") in html.split('id="grade_changes"', 1)[1]
    silent = html.split('id="no_update"', 1)[1].split("</section>", 1)[0]
    assert 'class="tag tag-stale"' in silent
    md = client.get(reverse("leadership:report-markdown", args=["core", WEEK.isoformat()]))
    assert md["Content-Disposition"].endswith(f'week-{WEEK:%Y-%m-%d}.md"')
    assert b"Slipping" in md.content and b"Secret" not in md.content
    generate = reverse("leadership:report-generate", args=["core"])
    assert client.post(generate, {"week": WEEK.isoformat()}).status_code == 403
    client.force_login(leader)
    assert "Secret" in client.get(report.get_absolute_url()).content.decode()
    response = client.post(generate, {"week": WEEK.isoformat()})
    assert response.status_code == 302 and response.url == report.get_absolute_url()
    assert client.get(reverse("leadership:report-detail", args=["core", "nope"])).status_code == 404


def test_subscribe_and_unsubscribe(client, week, engineer):
    client.force_login(engineer)
    url = reverse("leadership:report-subscribe", args=["core"])
    client.post(url, {"next": "https://evil.example/"})
    assert ReportSubscription.objects.filter(user=engineer, portfolio=week["core"]).exists()
    response = client.post(url)
    assert response.url == reverse("leadership:reports")
    assert not ReportSubscription.objects.filter(user=engineer).exists()


def test_command_builds_one_portfolio(week, capsys):
    call_command("weekly_report", "--portfolio", "core", "--week", LAST_DAY.isoformat())
    assert "1 grade changes" in capsys.readouterr().out
    assert list(WeeklyReport.objects.values_list("portfolio__slug", "week_start")) == [
        ("core", WEEK)
    ]


def grow(portfolio, n: int, prefix: str) -> None:
    """``n`` more programs with a grade change, a slip, an ask and a launch each."""
    tpm = UserFactory()
    for i in range(n):
        program = program_in(portfolio, f"{prefix} {i}", tpm=tpm, confidential=i % 2 == 0)
        snapshot(program, SUNDAY_BEFORE, "green")
        snapshot(program, LAST_DAY, "red", watermelon=True, reasons=[GA_OVERDUE, METRIC_BEHIND])
        update(program, WEEK + datetime.timedelta(days=1), asks="More people.")
        milestone = MilestoneFactory(program=program, target_date=TODAY)
        move(milestone, on=WEEK + datetime.timedelta(days=2), to=TODAY + datetime.timedelta(days=3),
             reason="Late")  # fmt: skip
        launch(program, WEEK + datetime.timedelta(days=9), f"{prefix} launch {i}")


def test_report_queries_do_not_grow(client, outsider, same_queries_at_two_sizes):
    """Building the report and reading its pages take the same queries at 5 and 40 programs."""
    portfolio = PortfolioFactory(slug="grow")
    client.force_login(outsider)
    client.get(reverse("home"))  # warm the session: its first request stamps its start

    def generate():
        return services.weekly_report_generate(portfolio=portfolio, week_start=WEEK, today=TODAY)

    def grow_and_generate(n: int, prefix: str) -> None:
        grow(portfolio, n, prefix)
        generate()  # so that the measured build is a regeneration (an update) at both sizes

    grow_and_generate(5, "small")
    report = WeeklyReport.objects.get(portfolio=portfolio)
    same_queries_at_two_sizes(
        client,
        {
            "build": generate,
            "page": report.get_absolute_url(),
            "markdown": reverse("leadership:report-markdown", args=["grow", WEEK.isoformat()]),
            "reports": reverse("leadership:reports"),
        },
        grow=lambda: grow_and_generate(35, "large"),
    )
    report.refresh_from_db()
    assert len(report.content["slips"]) == 40
