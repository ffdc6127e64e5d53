"""Chart builders are pure: figure structure and data, no database."""

import datetime
import re
import types
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.template.loader import render_to_string

from core import palette
from core.grades import Grade
from metrics import charts
from metrics.charts import (
    GRADE_COLOURS,
    MetricSeries,
    ScorePoint,
    TimelineRow,
    figure_data,
    metric_vs_path,
    milestone_timeline,
    score_history,
)
from reviews.capacity import charts as capacity_charts

DAY = datetime.date(2026, 11, 1)


def test_score_history_draws_scores_on_grade_bands():
    points = [ScorePoint(DAY, 80, "green"), ScorePoint(DAY + datetime.timedelta(days=1), 45, "red")]
    data = figure_data(score_history(points, green_at=75, yellow_at=50))
    trace = data["data"][0]
    assert trace["y"] == [80, 45]
    assert trace["x"] == ["2026-11-01", "2026-11-02"]
    assert trace["marker"]["color"] == [GRADE_COLOURS["green"], GRADE_COLOURS["red"]]
    bands = sorted((s["y0"], s["y1"]) for s in data["layout"]["shapes"])
    assert bands == [(0, 50), (50, 75), (75, 100)]
    assert data["layout"]["yaxis"]["range"] == [0, 100]


def test_metric_chart_has_the_target_path_and_the_readings():
    series = MetricSeries(
        "Hosts upgraded",
        "hosts",
        0,
        1000,
        DAY,
        DAY + datetime.timedelta(days=100),
        [(DAY + datetime.timedelta(days=10), 50.0), (DAY + datetime.timedelta(days=20), 120.0)],
    )
    data = figure_data(metric_vs_path(series))
    path, actual = data["data"]
    assert path["y"] == [0, 1000] and path["line"]["dash"] == "dash"
    assert actual["y"] == [50.0, 120.0]
    # The legend names both lines, above the plot (the theme used to switch it off).
    assert data["layout"]["showlegend"] is True and data["layout"]["legend"]["y"] == 1
    assert data["layout"]["height"] == 240


def test_milestone_timeline_marks_slips_and_critical_milestones():
    rows = [
        TimelineRow("Racks landed", DAY, DAY + datetime.timedelta(days=20), "in_progress", True),
        TimelineRow("Network up", DAY, DAY, "done", False),
    ]
    data = figure_data(milestone_timeline(rows, today=DAY))
    slip_line, flat_line, baselines, targets = data["data"]
    assert slip_line["line"]["color"] == GRADE_COLOURS["red"]
    assert flat_line["line"]["color"] != GRADE_COLOURS["red"]
    assert targets["y"] == ["★ Racks landed", "Network up"]
    assert targets["marker"]["color"][1] == GRADE_COLOURS["green"]


def test_milestone_timeline_marks_an_open_milestone_past_its_target_overdue():
    """An open milestone past its target gets a red, ringed dot and an "overdue N d" label; a
    done one past its date and an open one not yet due do not."""
    late = DAY - datetime.timedelta(days=55)
    rows = [
        TimelineRow("Racks landed", late, late, "in_progress", True),
        TimelineRow("Network up", late, late, "done", False),
        TimelineRow("Cutover", DAY, DAY + datetime.timedelta(days=9), "planned", False),
    ]
    data = figure_data(milestone_timeline(rows, today=DAY))
    targets = data["data"][-1]
    assert targets["marker"]["color"] == [
        GRADE_COLOURS["red"], GRADE_COLOURS["green"], charts.ACCENT
    ]  # fmt: skip
    assert targets["marker"]["line"]["width"] == [2, 0, 0]
    assert targets["customdata"] == [" · overdue 55 days", "", ""]
    labels = [a["text"] for a in data["layout"]["annotations"]]
    assert labels == ["overdue 55 d"]
    assert rows[0].days_overdue(DAY) == 55 and rows[1].days_overdue(DAY) == 0


def test_timeline_table_has_the_charts_dates_slips_and_overdue_days():
    """The timeline's table alternative: a row per milestone, in the chart's order, with its
    slip in days, its state as people read it and the days an open one is overdue."""
    late = DAY - datetime.timedelta(days=55)
    rows = [
        TimelineRow("Racks landed", late - datetime.timedelta(days=5), late, "in_progress", True,
                    "In progress"),
        TimelineRow("Network up", late, late, "done", False, "Done"),
        TimelineRow("Cutover", DAY, DAY + datetime.timedelta(days=9), "planned", False),
    ]  # fmt: skip
    table = charts.timeline_table(rows, today=DAY)
    assert [(r["name"], r["slip_days"], r["overdue_days"], r["state_label"]) for r in table] == [
        ("Racks landed", 5, 55, "In progress"),
        ("Network up", 0, 0, "Done"),
        ("Cutover", 9, 0, "planned"),  # no label given: the state's value
    ]
    assert table[0]["critical"] and table[2]["target_date"] == DAY + datetime.timedelta(days=9)


# --- Dashboard charts (no database) -------------------------------------------------------

MONDAY = datetime.date(2026, 11, 2)


def test_grade_distribution_stacks_one_bar_per_grade():
    """Three bar traces (green, yellow, red) stacked, one bar per week, zero where missing; no
    height of its own (it fills its card) and its legend on top of the plot."""
    weeks = [
        charts.GradeWeek(MONDAY, {"green": 3, "red": 1}),
        charts.GradeWeek(MONDAY + datetime.timedelta(days=7), {"yellow": 2}),
    ]
    data = charts.figure_data(charts.grade_distribution(weeks))
    assert data["layout"]["barmode"] == "stack"
    assert [t["name"] for t in data["data"]] == ["Green", "Yellow", "Red"]
    assert [t["y"] for t in data["data"]] == [[3, 0], [0, 2], [1, 0]]
    assert data["data"][0]["x"] == ["2026-11-02", "2026-11-09"]
    assert data["data"][2]["marker"]["color"] == charts.GRADE_COLOURS["red"]
    assert "height" not in data["layout"] and data["layout"]["autosize"] is True
    assert data["layout"]["legend"]["yanchor"] == "bottom" and data["layout"]["legend"]["y"] == 1


def test_biggest_slips_are_bars_of_slip_days_longest_first():
    """Slip days on x (not dates), longest on top whatever order the rows come in, each bar
    with its "+N d" and room past the longest so that label is not cut."""
    rows = [
        charts.SlipRow("Edge", "GA", MONDAY, MONDAY + datetime.timedelta(days=9)),
        charts.SlipRow("Fleet", "GA", MONDAY, MONDAY + datetime.timedelta(days=30)),
        charts.SlipRow("Mesh", "Canary", MONDAY, MONDAY + datetime.timedelta(days=400)),
    ]
    data = charts.figure_data(charts.biggest_slips(rows))
    (bars,) = data["data"]
    assert bars["type"] == "bar" and bars["orientation"] == "h"
    assert bars["x"] == [400, 30, 9]
    assert bars["y"] == [0, 1, 2]  # numbered rows: two programs may share a milestone name
    assert bars["text"] == ["+400 d", "+30 d", "+9 d"]
    assert [row[:2] for row in bars["customdata"]] == [["Mesh", "Canary"], ["Fleet", "GA"],
                                                      ["Edge", "GA"]]  # fmt: skip
    xaxis = data["layout"]["xaxis"]
    assert xaxis["title"]["text"] == "Days past baseline" and "type" not in xaxis
    assert xaxis["range"][0] == 0 and xaxis["range"][1] > 400
    assert data["layout"]["yaxis"]["autorange"] == "reversed"  # row 0, the longest, on top


def test_biggest_slips_labels_name_program_and_milestone_in_full():
    """A long program or milestone name is wrapped between words, never cut with an ellipsis,
    and the figure grows so every wrapped label has room."""
    program = "Project hobby endpoint detection on the server fleet"
    milestone = "Compliance evidence filed with the regional auditors"
    short = charts.figure_data(
        charts.biggest_slips([charts.SlipRow("Edge", "GA", MONDAY, MONDAY + datetime.timedelta(9))])
    )
    long = charts.figure_data(
        charts.biggest_slips([charts.SlipRow(program, milestone, MONDAY, MONDAY + datetime.timedelta(9))])
    )  # fmt: skip
    (label,) = long["layout"]["yaxis"]["ticktext"]
    words = re.sub(r"<[^>]+>", " ", label).split()
    assert words == (program + " " + milestone).split()
    assert "…" not in label and label.index(program.split()[-1]) < label.index(milestone.split()[0])
    assert all(len(line) <= 40 for line in re.sub(r"<span[^>]*>|</span>", "", label).split("<br>"))
    assert short["layout"]["yaxis"]["ticktext"] == [
        f'Edge<br><span style="color:{charts.MUTED}">GA</span>'
    ]
    assert long["layout"]["height"] >= short["layout"]["height"]


def test_launch_timeline_colours_by_state_and_marks_today():
    """One diamond per launch in its review state's colour, today's line labelled, program
    names whole."""
    points = [
        charts.LaunchPoint("Fleet", "Fleet GA", MONDAY, "approved", "Approved"),
        charts.LaunchPoint("Edge", "Edge beta", MONDAY, "changes_requested", "Changes requested"),
    ]
    data = charts.figure_data(charts.launch_timeline(points, today=MONDAY))
    (trace,) = data["data"]
    assert trace["y"] == ["Fleet", "Edge"]
    assert trace["marker"]["color"] == [charts.GRADE_COLOURS["green"], charts.GRADE_COLOURS["red"]]
    assert trace["customdata"][1] == ["Edge beta", "Changes requested"]
    assert data["layout"]["shapes"][0]["x0"] == "2026-11-02"
    assert data["layout"]["annotations"][0]["text"] == "today"
    long = "Monorepo CI time under ten minutes for every team"
    wrapped = charts.figure_data(
        charts.launch_timeline([charts.LaunchPoint(long, "GA", MONDAY, "draft", "Draft")],
                               today=MONDAY)
    )["data"][0]["y"][0]  # fmt: skip
    assert wrapped.replace("<br>", " ") == long


def test_capacity_by_team_groups_requested_approved_and_budget():
    rows = [
        charts.CapacityRow("Kernel", 120, 40, 100),
        charts.CapacityRow("Storage", 10, 0, None),
    ]
    data = charts.figure_data(charts.capacity_by_team(rows, unit="vCPU"))
    requested, approved, budget = data["data"]
    assert data["layout"]["barmode"] == "group"
    assert requested["y"] == [120, 10] and approved["y"] == [40, 0]
    assert budget["x"] == ["Kernel"] and budget["y"] == [100]  # no budget, no tick
    assert data["layout"]["yaxis"]["title"]["text"] == "vCPU"
    long = charts.figure_data(
        charts.capacity_by_team([charts.CapacityRow("Platform Reliability Engineering", 1, 1, 1)],
                                unit="vCPU")
    )  # fmt: skip
    assert long["data"][0]["x"][0].replace("<br>", " ") == "Platform Reliability Engineering"


def test_dashboard_charts_with_no_rows_are_still_figures():
    assert charts.figure_data(charts.grade_distribution([]))["data"][0]["x"] == []
    assert charts.figure_data(charts.capacity_by_team([], unit="vCPU"))["data"][2]["x"] == []


# --- One palette: the stylesheet's tokens ------------------------------------------------------

CHART_MODULES = ("metrics/charts.py", "reviews/capacity/charts.py")
HEX = re.compile(r"#[0-9a-fA-F]{3,8}\b")
RGBA = re.compile(r"rgba\((\d+),(\d+),(\d+),[\d.]+\)")


def _colours(node) -> Iterator[str]:
    """Every colour value in a figure's JSON (``color``, ``fillcolor``, ``gridcolor``...) but
    Plotly's own default template's."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "template":
                continue
            if key.endswith("color") and isinstance(value, str):
                yield value
            elif key.endswith("color") and isinstance(value, list):
                yield from (v for v in value if isinstance(v, str))
            else:
                yield from _colours(value)
    elif isinstance(node, list):
        for item in node:
            yield from _colours(item)


def _is_token(colour: str) -> bool:
    """A token's value, or a token made translucent (``palette.translucent``), or no colour."""
    if colour.lower() in {value.lower() for value in palette.TOKENS.values()}:
        return True
    if match := RGBA.fullmatch(colour.replace(" ", "")):
        if match.groups() == ("0", "0", "0"):
            return True  # transparent grounds: no colour at all
        hex_value = "#{:02x}{:02x}{:02x}".format(*map(int, match.groups()))
        return hex_value in {value.lower() for value in palette.TOKENS.values()}
    return False


def test_chart_modules_name_no_colour_of_their_own():
    """Colours come from core.palette (the CSS tokens), never a literal in a chart module."""
    root = Path(__file__).resolve().parents[2]
    for module in CHART_MODULES:
        assert HEX.findall((root / module).read_text()) == [], module


def test_every_colour_a_chart_draws_is_a_css_token():
    late = DAY - datetime.timedelta(days=20)
    rows = [
        TimelineRow("Racks landed", late, late, "in_progress", True),
        TimelineRow("Network up", DAY, DAY + datetime.timedelta(days=9), "done", False),
        TimelineRow("Cutover", DAY, DAY + datetime.timedelta(days=9), "planned", False),
    ]
    kinds = [
        types.SimpleNamespace(label="CPU", requested=120, approved=130, budget=100, unit="vCPU"),
        types.SimpleNamespace(label="Disk", requested=10, approved=5, budget=50, unit="TiB"),
    ]
    figures = [
        score_history([ScorePoint(DAY, 80, "green"), ScorePoint(DAY, 30, "red")], green_at=75,
                      yellow_at=50),
        milestone_timeline(rows, today=DAY),
        metric_vs_path(MetricSeries("Hosts", "hosts", 0, 100, DAY, DAY + datetime.timedelta(days=9),
                                    [(DAY, 5.0)])),
        charts.grade_distribution([charts.GradeWeek(MONDAY, {"green": 1, "yellow": 1, "red": 1})]),
        charts.biggest_slips([charts.SlipRow("Fleet", "GA", MONDAY, MONDAY + datetime.timedelta(9))]),
        charts.launch_timeline(
            [charts.LaunchPoint("Fleet", "GA", MONDAY, state, state)
             for state in ("approved", "changes_requested", "submitted", "draft")],
            today=MONDAY,
        ),
        charts.capacity_by_team([charts.CapacityRow("Kernel", 120, 40, 100)], unit="vCPU"),
        capacity_charts.capacity_vs_budget(kinds),
    ]  # fmt: skip
    drawn = {colour for fig in figures for colour in _colours(figure_data(fig))}
    assert {palette.GRADE_COLOURS["red"], palette.REQUESTED, palette.ACCENT} <= drawn
    assert [colour for colour in drawn if not _is_token(colour)] == []


def test_palette_reads_root_tokens_and_names_a_missing_one():
    css = ':root {\n  /* a comment: --not-a-token: #000; */\n  --ink: #111;\n  --font: "A", B;\n}\n'
    css += ".badge { --local: #222; }"
    assert palette.read_tokens(css) == {"--ink": "#111", "--font": '"A", B'}
    assert palette.GRADE_COLOURS == {
        grade.value: palette.TOKENS[f"--grade-{grade}-dot"] for grade in Grade
    }
    with pytest.raises(KeyError, match="--no-such-token"):
        palette.token("--no-such-token")


def test_charts_are_built_in_the_light_theme_and_redrawn_in_the_dark_one():
    """The dark theme's block (a media query) never leaks into the figures; the page carries
    the light values by name so the browser can swap each for its dark value."""
    css = ":root { --color-text: #111111; }\n"
    css += "@media (prefers-color-scheme: dark) { :root { --color-text: #eeeeee; } }"
    assert palette.read_tokens(css) == {"--color-text": "#111111"}
    stylesheet = palette.STYLESHEET.read_text()
    assert "prefers-color-scheme: dark" in stylesheet
    assert palette.INK == palette.TOKENS["--color-text"] != "#e6e9ef"  # the light ink
    html = render_to_string("components/chart_scripts.html")
    assert 'id="chart-tokens"' in html and palette.GRADE_COLOURS["red"] in html


# --- Health families as bars: a 0 is an alarm, no data is words --------------------------------


def _families(components: list[dict]) -> dict[str, str]:
    """The program page's family rows, rendered without a database, by label."""
    snapshot = types.SimpleNamespace(score=20, grade="red", stale=False, watermelon=False)
    html = render_to_string(
        "metrics/_health_panel.html",
        {
            "panel": {
                "snapshot": snapshot,
                "components": components,
                "green_at": 75,
                "yellow_at": 50,
            }
        },
    )
    families = html.split('class="component-list"', 1)[1].split("</ul>", 1)[0]
    return {
        re.search(r'class="component-label">([^<]+)<', row)[1]: row
        for row in re.findall(r"<li.*?</li>", families, re.S)
    }


def test_a_family_at_zero_is_a_red_bar_with_its_number_and_no_data_has_no_bar():
    """A 0 reads as the worst score (the red band's row, a meter at 0 and the number 0, which
    the stylesheet draws as a red stub on a red track); a family with nothing to judge has no
    meter at all, only "no data" in words; the bands follow the policy's thresholds."""
    rows = _families([
        {"label": "Schedule", "score": 0}, {"label": "Risk", "score": None},
        {"label": "Freshness", "score": 60}, {"label": "Outcomes", "score": 75},
    ])  # fmt: skip
    zero = rows["Schedule"]
    assert zero.startswith('<li class="component-red">')
    assert 'role="meter"' in zero and 'aria-valuenow="0"' in zero and "width: 0%" in zero
    assert '<span class="component-score">0</span>' in zero
    no_data = rows["Risk"]
    assert no_data.startswith('<li class="component-none">')
    assert "meter" not in no_data and "component-score" not in no_data
    assert "no data" in no_data
    assert rows["Freshness"].startswith('<li class="component-yellow">')
    assert rows["Outcomes"].startswith('<li class="component-green">')
    css = (Path(__file__).resolve().parents[2] / "static/css/pulse.css").read_text()
    red_fill = re.search(r"\.component-red \.meter-fill \{([^}]*)\}", css)[1]
    assert "min-width" in red_fill and "--grade-red-dot" in red_fill  # a stub, even at 0
    assert "--grade-red" in re.search(r"\.component-red \.component-score \{([^}]*)\}", css)[1]
