"""Pure chart builders: data in, a Plotly figure out, one theme.

Views hand ``figure_data(fig)`` to ``json_script``; static/js/charts.js draws every
``[data-chart]`` element with the app's own Plotly bundle (no CDN, no inline script).
"""

import datetime
import json
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import plotly.graph_objects as go

from core.grades import Grade

# Every colour comes from the stylesheet's tokens (core.palette), so charts match the badges.
from core.palette import (
    ACCENT,
    FONT,
    GRADE_COLOURS,
    GRID,
    INK,
    MUTED,
    REQUESTED,
    SURFACE,
    translucent,
)

if TYPE_CHECKING:  # the dashboard's selectors draw with these charts
    from metrics.dashboard import Dashboard


def _merge(base: dict, extra: dict) -> dict:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = value
    return base


def _layout(*, height: int | None = 260, y_title: str = "", **extra) -> dict:
    """The theme as a layout dict: passed whole to ``go.Figure`` (Plotly validates a dict once;
    each ``update_*`` call validates again, ten times slower on a page of charts).

    ``height=None`` leaves the height to the chart's element (Plotly autosizes to it), for a
    chart that fills whatever its card has room for."""
    layout = {
        **({"height": height} if height else {"autosize": True}),
        "margin": {"l": 48, "r": 16, "t": 12, "b": 36},
        "font": {"family": FONT, "size": 12, "color": INK},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "showlegend": False,
        "hovermode": "x unified",
        "xaxis": {"showgrid": False, "linecolor": GRID, "tickfont": {"color": MUTED}},
        "yaxis": {
            "gridcolor": GRID,
            "zeroline": False,
            "tickfont": {"color": MUTED},
            "title": {"text": y_title},
        },
    }
    return _merge(layout, extra)


def _theme(fig: go.Figure, *, height: int = 260, y_title: str = "") -> go.Figure:
    fig.update_layout(_layout(height=height, y_title=y_title))
    return fig


def _today_line(today: datetime.date) -> dict:
    return {
        "type": "line", "x0": today.isoformat(), "x1": today.isoformat(), "xref": "x",
        "y0": 0, "y1": 1, "yref": "y domain", "line": {"color": INK, "width": 1, "dash": "dot"},
    }  # fmt: skip


# A legend sits on top of its plot, left-aligned with it: read before the marks, never
# pushed below the axis labels (where it was easy to miss or fell outside the figure).
_LEGEND_ON_TOP = {"orientation": "h", "x": 0, "xanchor": "left", "y": 1, "yanchor": "bottom"}


def _wrap(text: str, width: int) -> str:
    """A label broken between words onto lines of about ``width`` characters (Plotly's ``<br>``):
    long names stay whole instead of being cut with an ellipsis."""
    return "<br>".join(textwrap.wrap(text, width, break_long_words=False)) or text


def figure_data(fig: go.Figure) -> dict:
    """The figure as plain JSON-able data (dates as ISO strings) for ``json_script``."""
    return json.loads(fig.to_json())


@dataclass(frozen=True)
class ScorePoint:
    day: datetime.date
    score: int
    grade: str


def score_history(
    points: Sequence[ScorePoint], *, green_at: int = 75, yellow_at: int = 50
) -> go.Figure:
    """The score over time on the grade bands (red below yellow_at, yellow, green from green_at)."""
    fig = go.Figure()
    for low, high, grade in (
        (0, yellow_at, "red"),
        (yellow_at, green_at, "yellow"),
        (green_at, 100, "green"),
    ):
        fig.add_hrect(
            y0=low,
            y1=high,
            fillcolor=GRADE_COLOURS[grade],
            opacity=0.08,
            line_width=0,
            layer="below",
        )
    fig.add_trace(
        go.Scatter(
            x=[p.day for p in points],
            y=[p.score for p in points],
            mode="lines+markers",
            line={"color": INK, "width": 2},
            marker={"color": [GRADE_COLOURS.get(p.grade, MUTED) for p in points], "size": 7},
            hovertemplate="%{x|%d %b}: %{y}<extra></extra>",
            name="Score",
        )
    )
    fig.update_yaxes(range=[0, 100], dtick=25)
    return _theme(fig, y_title="Score")


@dataclass(frozen=True)
class MetricSeries:
    name: str
    unit: str
    baseline_value: float
    target_value: float
    baseline_date: datetime.date
    target_date: datetime.date
    readings: Sequence[tuple[datetime.date, float]]


def metric_vs_path(metric: MetricSeries) -> go.Figure:
    """Actual readings against the straight path from baseline to target."""
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=[metric.baseline_date, metric.target_date],
            y=[metric.baseline_value, metric.target_value],
            mode="lines",
            line={"color": MUTED, "dash": "dash", "width": 1.5},
            name="Target path",
            hovertemplate="Path %{x|%d %b}: %{y}<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=[day for day, _ in metric.readings],
            y=[value for _, value in metric.readings],
            mode="lines+markers",
            line={"color": ACCENT, "width": 2},
            marker={"size": 6},
            name="Actual",
            hovertemplate="%{x|%d %b}: %{y}<extra></extra>",
        )
    )
    # One layout with the theme: a legend set before the theme was switched off by it.
    fig.update_layout(
        _layout(height=240, y_title=metric.unit, showlegend=True, legend=_LEGEND_ON_TOP,
                margin={"t": 28})
    )  # fmt: skip
    return fig


OPEN_MILESTONE_STATES = frozenset(("planned", "in_progress", "blocked"))


@dataclass(frozen=True)
class TimelineRow:
    name: str
    baseline_date: datetime.date
    target_date: datetime.date
    state: str
    critical: bool
    state_label: str = ""  # the state as people read it ("In progress"), for the table

    def days_overdue(self, today: datetime.date) -> int:
        """Days an open milestone is past its target (0 when done, cancelled or not yet due)."""
        if self.state not in OPEN_MILESTONE_STATES:
            return 0
        return max(0, (today - self.target_date).days)


def _target_colour(row: TimelineRow, today: datetime.date) -> str:
    if row.state == "done":
        return GRADE_COLOURS["green"]
    return GRADE_COLOURS["red"] if row.days_overdue(today) else ACCENT


def milestone_timeline(rows: Sequence[TimelineRow], *, today: datetime.date) -> go.Figure:
    """Each milestone's baseline and current target side by side; the slip is the line between.

    An open milestone past its target is marked where the eye lands: a red dot with a dark
    ring, labelled "overdue N d", and its hover says so.
    """
    names = [("★ " if r.critical else "") + r.name for r in rows]
    overdue = [r.days_overdue(today) for r in rows]
    fig = go.Figure()
    for row, name in zip(rows, names, strict=True):
        slipped = row.target_date > row.baseline_date
        fig.add_trace(
            go.Scatter(
                x=[row.baseline_date, row.target_date],
                y=[name, name],
                mode="lines",
                line={"color": GRADE_COLOURS["red"] if slipped else GRID, "width": 3},
                hoverinfo="skip",
            )
        )
    fig.add_trace(
        go.Scatter(
            x=[r.baseline_date for r in rows],
            y=names,
            mode="markers",
            name="Baseline",
            marker={"symbol": "line-ns-open", "size": 14, "color": MUTED},
            hovertemplate="Baseline %{x|%d %b %Y}<extra></extra>",
        )  # fmt: skip
    )
    fig.add_trace(
        go.Scatter(
            x=[r.target_date for r in rows],
            y=names,
            mode="markers",
            name="Current target",
            marker={
                "size": [13 if days else 11 for days in overdue],
                "color": [_target_colour(r, today) for r in rows],
                "opacity": 1,
                "line": {"width": [2 if days else 0 for days in overdue], "color": INK},
            },
            customdata=[f" · overdue {_plural(days, 'day')}" if days else "" for days in overdue],
            hovertemplate="Target %{x|%d %b %Y}%{customdata}<extra></extra>",
        )  # fmt: skip
    )
    fig.add_vline(x=today.isoformat(), line={"color": INK, "width": 1, "dash": "dot"})
    for row, name, days in zip(rows, names, overdue, strict=True):
        if days:  # a label on a light ground, so the today line does not cross its words
            fig.add_annotation(
                x=row.target_date.isoformat(), y=name, text=f"overdue {days} d", showarrow=False,
                xanchor="left", xshift=10, bgcolor=translucent(SURFACE, 0.9), borderpad=1,
                font={"color": GRADE_COLOURS["red"], "size": 11},
            )  # fmt: skip
    fig.update_yaxes(autorange="reversed", showgrid=False)
    return _theme(fig, height=max(160, 34 * len(rows) + 60))


def timeline_table(rows: Sequence[TimelineRow], *, today: datetime.date) -> list[dict]:
    """The timeline's data as table rows: the chart's data-table alternative."""
    return [
        {
            "name": row.name,
            "critical": row.critical,
            "baseline_date": row.baseline_date,
            "target_date": row.target_date,
            "slip_days": (row.target_date - row.baseline_date).days,
            "state_label": row.state_label or row.state,
            "overdue_days": row.days_overdue(today),
        }
        for row in rows
    ]


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}" if count == 1 else f"{count:,} {word}s"


# --- Portfolio dashboard ----------------------------------------------------------------------


@dataclass(frozen=True)
class GradeWeek:
    day: datetime.date
    counts: dict[str, int]  # grade → programs with that grade on ``day``


def grade_distribution(weeks: Sequence[GradeWeek]) -> go.Figure:
    """Programs by grade at each weekly point, as stacked bars (green at the bottom)."""
    traces = [
        {
            "type": "bar",
            "x": [week.day for week in weeks],
            "y": [week.counts.get(grade, 0) for week in weeks],
            "name": grade.label,
            "marker": {"color": GRADE_COLOURS[grade]},
            "hovertemplate": f"{grade.label}: %{{y}}<extra></extra>",
        }
        for grade in Grade  # best first: green at the bottom of the stack
    ]
    return go.Figure(
        data=traces,
        layout=_layout(
            height=None,  # fills its card, however tall the card beside it makes the row
            y_title="Programs",
            barmode="stack",
            bargap=0.25,
            showlegend=True,
            legend=_LEGEND_ON_TOP,
            margin={"t": 28},
            xaxis={"tickformat": "%d %b"},
        ),
    )


@dataclass(frozen=True)
class SlipRow:
    program: str
    milestone: str
    baseline_date: datetime.date
    target_date: datetime.date

    @property
    def slip_days(self) -> int:
        return (self.target_date - self.baseline_date).days


SLIP_LABEL_WIDTH = 30  # characters a label line holds beside the bars on a half-width card


def biggest_slips(rows: Sequence[SlipRow]) -> go.Figure:
    """The milestones that moved most, as bars of slip days, longest on top.

    Days, not dates: on a date axis spanning a year and a half a month's slip is a speck, and
    the question is "how far did it move". Rows are numbered on the y axis (two programs may
    share a milestone name), labelled with the whole program name over its milestone.
    """
    rows = sorted(rows, key=lambda row: -row.slip_days)
    positions = list(range(len(rows)))
    label_lines = [
        (_wrap(row.program, SLIP_LABEL_WIDTH), _wrap(row.milestone, SLIP_LABEL_WIDTH))
        for row in rows
    ]
    labels = [
        f'{program}<br><span style="color:{MUTED}">{milestone}</span>'
        for program, milestone in label_lines
    ]
    lines = max((label.count("<br>") + 1 for label in labels), default=2)
    longest = max((row.slip_days for row in rows), default=0)
    trace = {
        "type": "bar", "orientation": "h", "x": [row.slip_days for row in rows], "y": positions,
        "name": "Slip", "marker": {"color": GRADE_COLOURS["red"]},
        "text": [f"+{row.slip_days:,} d" for row in rows], "textposition": "outside",
        "cliponaxis": False, "textfont": {"color": INK, "size": 11},
        "customdata": [
            [row.program, row.milestone, f"{row.baseline_date:%d %b %Y}",
             f"{row.target_date:%d %b %Y}"]
            for row in rows
        ],
        "hovertemplate": "%{customdata[0]} · %{customdata[1]}<br>"
        "baseline %{customdata[2]} → now %{customdata[3]}: +%{x} days<extra></extra>",
    }  # fmt: skip
    return go.Figure(
        data=[trace],
        layout=_layout(
            # 13 px a label line (11 px type) and room between bars: every label fits its row.
            height=max(160, len(rows) * (13 * lines + 8) + 56),
            hovermode="closest",
            bargap=0.35,
            margin={"r": 16, "t": 8, "b": 44},
            xaxis={
                "showgrid": True,
                "gridcolor": GRID,
                "zeroline": True,
                "zerolinecolor": GRID,
                "rangemode": "tozero",
                "title": {"text": "Days past baseline"},
                # Room past the longest bar for its "+N d", so no label is cut at the edge.
                "range": [0, max(1, longest) * 1.18],
            },
            yaxis={
                "tickvals": positions,
                "ticktext": labels,
                "autorange": "reversed",
                "showgrid": False,
                "automargin": True,
                "tickfont": {"size": 11, "color": INK},
            },
        ),
    )


LAUNCH_LABEL_WIDTH = 30


@dataclass(frozen=True)
class LaunchPoint:
    program: str
    title: str
    launch_date: datetime.date
    state: str
    state_label: str


# Launch review states on the timeline: approved is go, changes requested needs attention.
LAUNCH_STATE_COLOURS = {
    "approved": GRADE_COLOURS["green"],
    "changes_requested": GRADE_COLOURS["red"],
    "submitted": ACCENT,
    "in_review": ACCENT,
    "draft": MUTED,
}


def launch_timeline(points: Sequence[LaunchPoint], *, today: datetime.date) -> go.Figure:
    """Upcoming launches on a date axis, one row per program, coloured by review state."""
    rows = [_wrap(p.program, LAUNCH_LABEL_WIDTH) for p in points]
    trace = {
        "type": "scatter",
        "x": [p.launch_date for p in points],
        "y": rows,
        "mode": "markers",
        "marker": {
            "size": 12,
            "symbol": "diamond",
            "color": [LAUNCH_STATE_COLOURS.get(p.state, MUTED) for p in points],
            "line": {"width": 1, "color": SURFACE},
        },
        "customdata": [[p.title, p.state_label] for p in points],
        "hovertemplate": "%{customdata[0]}<br>%{x|%a %d %b} · %{customdata[1]}<extra></extra>",
        "name": "Launches",
    }
    labels = set(rows)
    lines = sum(label.count("<br>") + 1 for label in labels)
    return go.Figure(
        data=[trace],
        layout=_layout(
            height=max(140, 16 * lines + 10 * len(labels) + 70),
            hovermode="closest",
            shapes=[_today_line(today)],
            annotations=[
                {
                    "x": today.isoformat(),
                    "y": 1,
                    "yref": "paper",
                    "yanchor": "bottom",
                    "text": "today",
                    "showarrow": False,
                    "font": {"color": MUTED, "size": 10},
                },
            ],  # fmt: skip
            margin={"t": 22},
            xaxis={"showgrid": True, "gridcolor": GRID, "tickformat": "%d %b"},
            yaxis={"autorange": "reversed", "showgrid": False, "automargin": True},
        ),
    )


@dataclass(frozen=True)
class CapacityRow:
    team: str
    requested: float
    approved: float
    budget: float | None


def capacity_by_team(rows: Sequence[CapacityRow], *, unit: str) -> go.Figure:
    """Requested and approved per team as grouped bars; the budget as a tick across each."""
    teams = [_wrap(row.team, 14) for row in rows]
    budgeted = [row for row in rows if row.budget is not None]
    traces = [
        {
            "type": "bar", "x": teams, "y": [row.requested for row in rows], "name": "Requested",
            "marker": {"color": REQUESTED},
            "hovertemplate": f"Requested %{{y:,.0f}} {unit}<extra></extra>",
        },
        {
            "type": "bar", "x": teams, "y": [row.approved for row in rows], "name": "Approved",
            "marker": {"color": ACCENT},
            "hovertemplate": f"Approved %{{y:,.0f}} {unit}<extra></extra>",
        },
        {
            "type": "scatter", "x": [_wrap(row.team, 14) for row in budgeted],
            "y": [row.budget for row in budgeted], "mode": "markers", "name": "Budget",
            "marker": {"symbol": "line-ew", "size": 26, "line": {"width": 3, "color": INK}},
            "hovertemplate": f"Budget %{{y:,.0f}} {unit}<extra></extra>",
        },
    ]  # fmt: skip
    return go.Figure(
        data=traces,
        layout=_layout(
            y_title=unit,
            barmode="group",
            bargap=0.3,
            showlegend=True,
            legend=_LEGEND_ON_TOP,
            margin={"t": 28},
            xaxis={"automargin": True},
        ),
    )


def dashboard_figures(data: "Dashboard", *, today: datetime.date) -> dict[str, dict]:
    """The dashboard's charts as ``figure_data``, by name; a chart with nothing to draw is
    left out (its section says so instead)."""
    figures = {"grades": grade_distribution([GradeWeek(w["day"], w["counts"]) for w in data.weeks])}
    if data.slips:
        figures["slips"] = biggest_slips(
            [SlipRow(m.program.name, m.name, m.baseline_date, m.target_date) for m in data.slips]
        )
    if data.launches:
        figures["launches"] = launch_timeline(
            [
                LaunchPoint(r.program.name, r.title, r.launch_date, r.state, r.get_state_display())
                for r in data.charted_launches
            ],
            today=today,
        )
    if data.capacity.teams:
        figures["capacity"] = capacity_by_team(
            [
                CapacityRow(
                    t.team,
                    float(t.requested),
                    float(t.approved),
                    None if t.budget is None else float(t.budget),
                )
                for t in data.capacity.teams
            ],
            unit=data.capacity.unit,
        )
    return {name: figure_data(fig) for name, fig in figures.items()}
