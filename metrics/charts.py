"""Pure chart builders: data in, a Plotly figure out, one theme.

Views hand ``figure_data(fig)`` to ``json_script``; static/js/charts.js draws every
``[data-chart]`` element with the app's own Plotly bundle (no CDN, no inline script).
"""

import datetime
import json
from collections.abc import Sequence
from dataclasses import dataclass

import plotly.graph_objects as go

# Design tokens shared with static/css (grade colours must match the badges).
GRADE_COLOURS = {"green": "#22a15f", "yellow": "#e0a100", "red": "#dc3b30"}
INK = "#18202b"
MUTED = "#586373"
GRID = "#e2e5ea"
ACCENT = "#3b50e0"
FONT = "Inter, Segoe UI, system-ui, -apple-system, Helvetica Neue, Arial, sans-serif"


def _theme(fig: go.Figure, *, height: int = 260, y_title: str = "") -> go.Figure:
    fig.update_layout(
        height=height,
        margin={"l": 48, "r": 16, "t": 12, "b": 36},
        font={"family": FONT, "size": 12, "color": INK},
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        showlegend=False,
        hovermode="x unified",
    )
    fig.update_xaxes(showgrid=False, linecolor=GRID, tickfont={"color": MUTED})
    fig.update_yaxes(gridcolor=GRID, zeroline=False, tickfont={"color": MUTED}, title_text=y_title)
    return fig


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
    fig.update_layout(showlegend=True, legend={"orientation": "h", "y": -0.2})
    return _theme(fig, height=240, y_title=metric.unit)


@dataclass(frozen=True)
class TimelineRow:
    name: str
    baseline_date: datetime.date
    target_date: datetime.date
    state: str
    critical: bool


def milestone_timeline(rows: Sequence[TimelineRow], *, today: datetime.date) -> go.Figure:
    """Each milestone's baseline and current target side by side; the slip is the line between."""
    names = [("★ " if r.critical else "") + r.name for r in rows]
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
                "size": 11,
                "color": [GRADE_COLOURS["green"] if r.state == "done" else ACCENT for r in rows],
            },
            hovertemplate="Target %{x|%d %b %Y}<extra></extra>",
        )  # fmt: skip
    )
    fig.add_vline(x=today.isoformat(), line={"color": INK, "width": 1, "dash": "dot"})
    fig.update_yaxes(autorange="reversed", showgrid=False)
    return _theme(fig, height=max(160, 34 * len(rows) + 60))
