"""The portfolio dashboard: counts, chart data, the programs table, CSV, visibility, queries."""

import csv
import datetime
import io
import json
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from metrics import dashboard
from metrics.models import HealthSnapshot
from metrics.services import health_recompute
from programs.models import Program
from reviews.models import CapacityRequestState, ChecklistTemplate, LaunchReview
from tests.conftest import queries_of
from tests.factories import (
    CapacityBudgetFactory,
    CapacityRequestFactory,
    ChecklistTemplateFactory,
    MilestoneFactory,
    PortfolioFactory,
    ProgramFactory,
    TeamFactory,
)

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("leadership:dashboard")
CSV = reverse("leadership:dashboard-csv")


def scored(
    program: Program,
    *,
    grade: str,
    score: int,
    watermelon: bool = False,
    stale: bool = False,
    cause: str = "",
) -> Program:
    Program.objects.filter(pk=program.pk).update(
        health_grade=grade, health_score=score, health_watermelon=watermelon,
        health_stale=stale, health_cause=cause, last_update_at=timezone.now(),
    )  # fmt: skip
    program.refresh_from_db()
    return program


def history(program: Program, grades: list[str], today: datetime.date) -> None:
    """One snapshot per weekly day, oldest first, with these grades."""
    days = dashboard.weekly_days(today)[-len(grades) :]
    HealthSnapshot.objects.bulk_create(
        HealthSnapshot(
            program=program,
            day=day,
            grade=grade,
            score={"green": 80, "yellow": 60, "red": 30}[grade],
            computed_at=timezone.now(),
        )  # fmt: skip
        for day, grade in zip(days, grades, strict=True)
    )


def launch(program: Program, *, in_days: int, state: str = "submitted") -> LaunchReview:
    template = ChecklistTemplate.objects.filter(active=True).first() or ChecklistTemplateFactory()
    return LaunchReview.objects.create(
        program=program, title=f"{program.name} GA", tier=template.tier, template=template,
        author=program.tpm, state=state,
        launch_date=timezone.localdate() + datetime.timedelta(days=in_days),
    )  # fmt: skip


def populate(*, programs: int, portfolio=None, team=None, prefix: str = "p") -> list[Program]:
    """``programs`` scored programs with history, slips, launches and capacity asks."""
    today = timezone.localdate()
    portfolio = portfolio or PortfolioFactory()
    team = team or TeamFactory()
    made = []
    for n in range(programs):
        grade = ("green", "yellow", "red")[n % 3]
        program = scored(
            ProgramFactory(name=f"{prefix} {n}", slug=f"{prefix}-{n}", portfolio=portfolio),
            grade=grade, score={"green": 80, "yellow": 60, "red": 30}[grade],
            watermelon=n % 5 == 0, stale=n % 4 == 1, cause="" if grade == "green" else "schedule",
        )  # fmt: skip
        program.teams.add(team)
        history(program, ["green", grade], today)
        if grade != "green":
            HealthSnapshot.objects.filter(program=program, day=today).update(reasons=RED_REASONS)
        MilestoneFactory(
            program=program, baseline_date=today, target_date=today + datetime.timedelta(days=n + 1)
        )
        launch(program, in_days=n % 40)
        request = CapacityRequestFactory(
            program=program, team=team, amount=Decimal(10), quarter=dashboard.quarter_of(today),
            state=CapacityRequestState.SUBMITTED if n % 2 else CapacityRequestState.APPROVED,
        )  # fmt: skip
        if request.state == CapacityRequestState.APPROVED:
            request.approved_amount = Decimal(8)
            request.save(update_fields=["approved_amount"])
        made.append(program)
    return made


RED_REASONS = [
    {"family": "schedule", "severity": "red", "code": "critical_overdue", "subject_id": 1,
     "subject": "Cutover", "figures": {"days": 21}, "cost": 81.0},
    {"family": "risk", "severity": "yellow", "code": "high_risk", "subject_id": 2,
     "subject": "Vendor", "figures": {"likelihood": 4, "impact": 5, "exposure": 20, "late": 0},
     "cost": 45.0},
]  # fmt: skip
RED_FIRST_REASON = "Critical milestone 'Cutover' is 21 days overdue"


@pytest.fixture
def portfolio_data(tpm):
    """Portfolio "core": green, yellow (stale: its update is a month old; cause freshness),
    red (watermelon, overdue; cause schedule, with its reasons stored), plus one in "edge"."""
    today = timezone.localdate()
    core = PortfolioFactory(name="Core", slug="core")
    edge = PortfolioFactory(name="Edge", slug="edge")
    kernel = TeamFactory(name="Kernel", slug="kernel")
    green = scored(
        ProgramFactory(name="Green one", portfolio=core, tpm=tpm), grade="green", score=90
    )
    yellow = scored(
        ProgramFactory(name="Yellow one", portfolio=core, tpm=tpm), grade="yellow", score=60,
        stale=True, cause="freshness",
    )  # fmt: skip
    Program.objects.filter(pk=yellow.pk).update(
        last_update_at=timezone.now() - datetime.timedelta(days=30)
    )
    red = scored(
        ProgramFactory(name="Red one", portfolio=core, tpm=tpm),
        grade="red",
        score=30,
        watermelon=True,
        cause="schedule",
    )
    Program.objects.filter(pk=red.pk).update(
        last_update_at=timezone.now() - datetime.timedelta(days=10)
    )
    other = scored(
        ProgramFactory(name="Edge one", portfolio=edge, tpm=tpm), grade="red", score=20,
        cause="risk",
    )  # fmt: skip
    green.teams.add(kernel)
    history(green, ["red", "yellow", "green"], today)
    history(red, ["green", "green", "red"], today)
    HealthSnapshot.objects.filter(program=red, day=today).update(reasons=RED_REASONS)
    MilestoneFactory(
        program=red,
        name="Big slip",
        baseline_date=today,
        target_date=today + datetime.timedelta(days=90),
    )
    MilestoneFactory(
        program=yellow, name="Small slip", baseline_date=today,
        target_date=today + datetime.timedelta(days=5),
    )  # fmt: skip
    MilestoneFactory(
        program=green, name="Done slip", state="done", completed_date=today, baseline_date=today,
        target_date=today + datetime.timedelta(days=200),
    )  # fmt: skip
    launch(green, in_days=10)
    launch(yellow, in_days=45)
    launch(other, in_days=3)
    quarter = dashboard.quarter_of(today)
    CapacityBudgetFactory(team=kernel, quarter=quarter, amount=Decimal(100))
    CapacityRequestFactory(
        program=green, team=kernel, amount=Decimal(70), quarter=quarter,
        state=CapacityRequestState.SUBMITTED,
    )  # fmt: skip
    CapacityRequestFactory(
        program=yellow, team=kernel, amount=Decimal(50), approved_amount=Decimal(40),
        quarter=quarter, state=CapacityRequestState.PARTIALLY_APPROVED,
    )  # fmt: skip
    return {"core": core, "green": green, "yellow": yellow, "red": red, "other": other}


def test_counts_charts_and_capacity_for_a_portfolio(leader, portfolio_data):
    """Counts, weekly grades, slips, launches and capacity all follow the portfolio filter."""
    data = dashboard.portfolio_dashboard(
        user=leader, filters=dashboard.DashboardFilters(portfolio="core")
    )
    assert data.counts.total == 3
    assert data.counts.by_grade == {"green": 1, "yellow": 1, "red": 1}
    assert data.counts.watermelons == 1
    assert data.counts.stale == 1
    assert data.counts.overdue_updates == 2
    assert data.counts.launches == 1  # the one in 10 days; 45 days is outside, edge is filtered
    assert data.counts.capacity_waiting == 1
    assert data.weeks[-1]["counts"] == {"green": 1, "red": 1}
    assert data.weeks[-3]["counts"] == {"red": 1, "green": 1}
    assert [m.name for m in data.slips] == ["Big slip", "Small slip"]  # done milestones excluded
    assert data.capacity.teams == [
        dashboard.CapacityTeam("Kernel", Decimal(120), Decimal(40), Decimal(100))
    ]
    everything = dashboard.portfolio_dashboard(user=leader, filters=dashboard.DashboardFilters())
    assert everything.counts.total == 4 and everything.counts.launches == 2


def table(html: str) -> list[str]:
    """The program names in the table, in order."""
    body = html.split('id="dashboard-table"', 1)[-1]
    return re.findall(r'class="strong-link" href="[^"]*">([^<]+)</a>', body)


def test_grade_and_flag_narrow_the_table_not_the_counts(client, leader, portfolio_data):
    client.force_login(leader)
    html = client.get(DASHBOARD, {"portfolio": "core", "grade": "red"}).content.decode()
    assert 'class="kpi-value">1<' in html  # the green count is still shown
    assert table(html) == ["Red one"]
    overdue = client.get(DASHBOARD, {"flag": "overdue"}).content.decode()
    assert table(overdue) == ["Red one", "Yellow one"]
    watermelons = client.get(DASHBOARD, {"flag": "watermelon"}).content.decode()
    assert table(watermelons) == ["Red one"]


def row_of(html: str, name: str) -> str:
    body = html.split('id="dashboard-table"', 1)[-1]
    return body.split(f">{name}</a>", 1)[1].split("</tr>", 1)[0]


def test_a_stale_program_is_counted_and_shown_stale_not_watermelon(client, leader, portfolio_data):
    """Stale (no current update) has its own count, filter and tag, apart from watermelons."""
    client.force_login(leader)
    html = client.get(DASHBOARD, {"portfolio": "core"}).content.decode()
    stale_kpi = html.split('class="kpi kpi-stale', 1)[1].split("</a>", 1)[0]
    assert "flag=stale" in stale_kpi and 'class="kpi-value">1<' in stale_kpi
    yellow, red = row_of(html, "Yellow one"), row_of(html, "Red one")
    assert 'class="tag tag-stale"' in yellow and "tag-watermelon" not in yellow
    assert 'class="tag tag-watermelon"' in red and "tag-stale" not in red
    stale = client.get(DASHBOARD, {"flag": "stale"}).content.decode()
    assert table(stale) == ["Yellow one"]
    assert '<option value="stale" selected>' in stale


def test_cause_filter_narrows_the_table_and_lives_in_the_url(client, leader, portfolio_data):
    """The cause (the family deciding a yellow or red grade) filters the table, not the counts;
    the row shows its deciding reason's sentence; an unknown cause is ignored."""
    client.force_login(leader)
    html = client.get(DASHBOARD, {"cause": "schedule"}).content.decode()
    assert table(html) == ["Red one"]
    assert '<option value="schedule" selected>Schedule</option>' in html
    red_kpi = html.split('class="kpi kpi-red', 1)[1].split("</a>", 1)[0]
    assert 'class="kpi-value">2<' in red_kpi  # the counts stay the whole scope's
    assert 'form="dashboard-filters"' in html.split('id="id_cause"', 1)[1].split(">", 1)[0]
    assert RED_FIRST_REASON.replace("'", "&#x27;") in row_of(html, "Red one")
    assert table(client.get(DASHBOARD, {"cause": "risk"}).content.decode()) == ["Edge one"]
    both = client.get(DASHBOARD, {"cause": "freshness", "flag": "stale"}).content.decode()
    assert table(both) == ["Yellow one"]
    assert table(client.get(DASHBOARD, {"cause": "outcomes"}).content.decode()) == []
    ignored = client.get(DASHBOARD, {"cause": "ceiling", "portfolio": "core"}).content.decode()
    assert table(ignored) == ["Red one", "Yellow one", "Green one"]
    paged = client.get(
        DASHBOARD, {"cause": "schedule", "sort": "-score"},
        headers={"HX-Request": "true", "HX-Target": "dashboard-table"},
    ).content.decode()  # fmt: skip
    assert "cause=schedule" in paged  # sort links keep the cause


def test_page_draws_every_chart_from_json(client, leader, portfolio_data):
    client.force_login(leader)
    html = client.get(DASHBOARD, {"portfolio": "core"}).content.decode()
    for chart in ("chart-grades", "chart-slips", "chart-launches", "chart-capacity"):
        assert f'data-chart="{chart}"' in html and f'id="{chart}"' in html
    assert "plotly-basic.min.js" in html and "<svg" in html  # sparklines are inline SVG


def chart_table(html: str, table_id: str) -> tuple[str, list[list[str]]]:
    """A chart's "As a table" alternative: its caption and each body row's cell texts."""
    block = html.split(f'id="{table_id}"', 1)[1].split("</details>", 1)[0]
    assert "<summary>As a table</summary>" in block
    caption = re.search(r"<caption>(.*?)</caption>", block, re.S)[1]
    body = block.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    cells = re.compile(r"<t[hd][^>]*>(.*?)</t[hd]>", re.S)
    rows = [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in cells.findall(row)]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]
    return caption, rows


def test_every_chart_has_a_table_with_its_data(client, leader, portfolio_data):
    """Each dashboard chart has an "As a table" alternative, a captioned table whose rows are
    the chart's data: slips longest first in days, weeks by grade, launches, capacity."""
    client.force_login(leader)
    html = client.get(DASHBOARD, {"portfolio": "core"}).content.decode()
    figures = {
        name: json.loads(re.search(rf'<script id="chart-{name}"[^>]*>(.*?)</script>', html)[1])
        for name in ("grades", "slips", "launches", "capacity")
    }

    caption, slips = chart_table(html, "table-slips")
    assert "longest slip first" in caption
    assert slips == [
        ["Red one", "Big slip", _day(0), _day(90), "+90 d"],
        ["Yellow one", "Small slip", _day(0), _day(5), "+5 d"],
    ]
    assert figures["slips"]["data"][0]["x"] == [90, 5]
    assert [row[:2] for row in figures["slips"]["data"][0]["customdata"]] == [
        ["Red one", "Big slip"], ["Yellow one", "Small slip"]
    ]  # fmt: skip

    _, weeks = chart_table(html, "table-grades")
    assert len(weeks) == dashboard.WEEKS
    assert weeks[-1][1:] == ["1", "0", "1"]  # this week: green one and red one
    green, yellow, red = figures["grades"]["data"]
    drawn = zip(green["y"], yellow["y"], red["y"], strict=True)
    assert [[str(count) for count in week] for week in drawn] == [week[1:] for week in weeks]

    _, launches = chart_table(html, "table-launches")
    assert [row[1:] for row in launches] == [["Green one", "Green one GA", "Submitted"]]
    assert figures["launches"]["data"][0]["customdata"] == [["Green one GA", "Submitted"]]

    caption, capacity = chart_table(html, "table-capacity")
    assert capacity == [["Kernel", "120 vCPU", "40 vCPU", "100 vCPU"]]
    assert figures["capacity"]["data"][0]["y"] == [120.0]


def _day(days: int) -> str:
    """Today plus ``days`` as the tables write a date (j M Y)."""
    day = timezone.localdate() + datetime.timedelta(days=days)
    return f"{day.day} {day:%b %Y}"


def test_empty_dashboard_says_so(client, leader):
    client.force_login(leader)
    html = client.get(DASHBOARD).content.decode()
    assert "Nothing has slipped" in html and "No launch is planned" in html
    assert "No capacity requested this quarter" in html


def test_sorting_and_htmx_table(client, leader, portfolio_data):
    client.force_login(leader)
    response = client.get(
        DASHBOARD,
        {"portfolio": "core", "sort": "-score"},
        headers={"HX-Request": "true", "HX-Target": "dashboard-table"},
    )
    html = response.content.decode()
    assert "<html" not in html and "kpi" not in html
    assert table(html) == ["Green one", "Yellow one", "Red one"]


def test_csv_export_keeps_the_filters(client, leader, portfolio_data):
    client.force_login(leader)
    response = client.get(CSV, {"portfolio": "core", "grade": "red"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == dashboard.CSV_HEADER
    assert [row[0] for row in rows[1:]] == ["Red one"]
    record = dict(zip(rows[0], rows[1], strict=True))
    assert (record["Grade"], record["Score"], record["Watermelon"]) == ("Red", "30", "yes")
    assert (record["Cause"], record["First reason"], record["Stale"]) == (
        "schedule",
        RED_FIRST_REASON,
        "",
    )


def test_counts_are_pluralised(client, leader, portfolio_data):
    """One launch in the window reads "open launch review", not "1 open launch reviews"."""
    client.force_login(leader)
    html = client.get(DASHBOARD, {"portfolio": "core"}).content.decode()
    kpi = html.split("Launches, 30 days", 1)[1].split("</a>", 1)[0]
    assert re.search(r'kpi-value">1</span>\s*<span class="kpi-note">open launch review</span>', kpi)


def test_long_overdue_forecast_is_overdue_days_in_the_table_and_the_csv(client, leader, tpm):
    """A next critical milestone 272 days overdue: the table says "overdue 272 days" with no
    forecast date, and the CSV has 272 in "Days overdue" with no forecast date or days late."""
    today = timezone.localdate()
    late = today - datetime.timedelta(days=272)
    program = ProgramFactory(name="Late one", tpm=tpm)
    MilestoneFactory(
        program=program, name="Cutover", critical=True, state="in_progress",
        baseline_date=late, target_date=late,
    )  # fmt: skip
    health_recompute(program_ids=[program.pk])
    client.force_login(leader)
    html = client.get(DASHBOARD).content.decode()
    row = html.split(">Late one</a>", 1)[1].split("</tr>", 1)[0]
    forecast = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip()
    assert forecast.endswith("overdue 272 days Cutover " + (tpm.get_full_name() or tpm.username))
    cell = row.rsplit("<td", 2)[1]  # the forecast column (the TPM's is last)
    assert "overdue 272 days" in cell
    assert f"{today.day} {today:%b %Y}" not in cell and " d late" not in cell
    response = client.get(CSV)
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    record = dict(zip(rows[0], rows[1], strict=True))
    assert record["Forecast milestone"] == "Cutover"
    assert (record["Forecast date"], record["Days late"], record["Days overdue"]) == ("", "", "272")


def test_csv_has_stale_and_cause_columns_and_the_cause_filter(client, leader, portfolio_data):
    """Stale and cause are columns (nothing about the old ceiling), and the cause filters."""
    client.force_login(leader)
    header = dashboard.CSV_HEADER
    assert {"Stale", "Cause", "First reason"} <= set(header)
    assert not any("ceiling" in column.lower() for column in header)
    response = client.get(CSV, {"cause": "freshness"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [row[0] for row in rows[1:]] == ["Yellow one"]
    record = dict(zip(rows[0], rows[1], strict=True))
    assert (record["Stale"], record["Watermelon"], record["Cause"]) == ("yes", "", "freshness")
    assert record["First reason"] == ""  # no snapshot stored for it


def test_confidential_programs_never_reach_outsiders(client, outsider, leader, portfolio_data):
    """An outsider's counts, charts, table and CSV leave the confidential program out."""
    secret = portfolio_data["red"]
    Program.objects.filter(pk=secret.pk).update(confidential=True)
    client.force_login(outsider)
    html = client.get(DASHBOARD, {"portfolio": "core"}).content.decode()
    assert "Red one" not in html and "Big slip" not in html
    assert table(html) == ["Yellow one", "Green one"]
    data = dashboard.portfolio_dashboard(
        user=outsider, filters=dashboard.DashboardFilters(portfolio="core")
    )
    assert data.counts.total == 2 and data.counts.watermelons == 0
    assert data.weeks[-1]["counts"] == {"green": 1}
    assert b"Red one" not in b"".join(client.get(CSV).streaming_content)
    client.force_login(leader)
    assert "Red one" in client.get(DASHBOARD, {"portfolio": "core"}).content.decode()


def test_leadership_home_is_the_dashboard(client, leader, tpm):
    client.force_login(leader)
    assert client.get("/").url == DASHBOARD
    client.force_login(tpm)
    assert client.get("/").status_code == 200
    assert client.get(DASHBOARD).status_code == 200  # anyone signed in may open it


def test_a_stale_filter_is_ignored(client, leader, portfolio_data):
    client.force_login(leader)
    response = client.get(DASHBOARD, {"portfolio": "gone", "grade": "purple", "sort": "x"})
    assert response.status_code == 200 and "All portfolios" in response.content.decode()


def count_queries(client, path: str, params: dict, headers: dict | None = None) -> int:
    """The shared ``queries_of``, with a streamed CSV read to its end inside the count."""

    def read():
        response = client.get(path, params, headers=headers or {})
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
        return response

    return queries_of(read)


@pytest.mark.parametrize(
    ("path", "params", "headers"),
    [
        (DASHBOARD, {}, None),
        (DASHBOARD, {"portfolio": "big", "team": "big-team", "sort": "-next"}, None),
        (DASHBOARD, {"sort": "tpm"}, {"HX-Request": "true", "HX-Target": "dashboard-table"}),
        (DASHBOARD, {"flag": "stale", "cause": "schedule"}, None),
        (CSV, {"flag": "overdue"}, None),
        (CSV, {"cause": "schedule"}, None),
    ],
)
def test_query_count_does_not_grow_with_programs(client, leader, path, params, headers):
    """The same number of queries for 10 programs as for 60 (and so for 1,000)."""
    portfolio = PortfolioFactory(slug="big")
    team = TeamFactory(slug="big-team")
    client.force_login(leader)
    client.get(reverse("home"))  # warm the session: its first request stamps its start
    populate(programs=10, portfolio=portfolio, team=team, prefix="small")
    small = count_queries(client, path, params, headers)
    populate(programs=50, portfolio=portfolio, team=team, prefix="large")
    large = count_queries(client, path, params, headers)
    assert small == large
    assert large <= 16


def test_populated_dashboard_counts(leader):
    populate(programs=12)
    data = dashboard.portfolio_dashboard(user=leader, filters=dashboard.DashboardFilters())
    assert data.counts.total == 12 and data.counts.by_grade == {"green": 4, "yellow": 4, "red": 4}
    assert data.counts.capacity_waiting == 6
    assert len(data.slips) == dashboard.SLIPS_SHOWN


def test_sparkline_geometry():
    """The sparkline spans its box and its last point is the latest score."""
    day = datetime.date(2026, 1, 5)
    line = dashboard.Sparkline([(day, 0), (day + datetime.timedelta(days=14), 100)])
    assert line.polyline == "2.0,22.0 94.0,2.0"
    assert line.last == (94.0, 2.0) and line.change == 100
    assert dashboard.Sparkline([(day, 50)]).polyline == ""
