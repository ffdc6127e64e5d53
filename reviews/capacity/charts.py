"""Pure chart builders for reviews: data in, a Plotly figure out (the metrics charts' theme).

Views pass ``figure_data(fig)`` to ``json_script``; static/js/charts.js draws it.
"""

import json
from collections.abc import Sequence
from decimal import Decimal

import plotly.graph_objects as go

# The stylesheet's tokens (core.palette), as every chart: approved within budget is green,
# over it red, in the grades' colours.
from core.palette import FONT, GRADE_COLOURS, GRID, INK, MUTED, REQUESTED

APPROVED = GRADE_COLOURS["green"]
OVER = GRADE_COLOURS["red"]


def figure_data(fig: go.Figure) -> dict:
    return json.loads(fig.to_json())


def _percent(value: Decimal, budget: Decimal | None) -> float | None:
    if not budget:
        return None
    return round(float(value) / float(budget) * 100, 1)


def capacity_vs_budget(rows: Sequence) -> go.Figure:
    """Requested and approved as a share of the quarter's budget, per resource kind.

    Kinds are in different units, so each bar is a percentage of its own budget (the budget is
    the 100 % line); the hover text gives the amounts. A kind without a budget is left out:
    any approval there is an override.
    """
    with_budget = [row for row in rows if row.budget]
    labels = [row.label for row in with_budget]
    fig = go.Figure()
    fig.add_bar(
        name="Requested",
        x=labels,
        y=[_percent(row.requested, row.budget) for row in with_budget],
        marker_color=REQUESTED,
        customdata=[[f"{row.requested:f}", row.unit] for row in with_budget],
        hovertemplate="Requested %{customdata[0]} %{customdata[1]} (%{y}%)<extra></extra>",
    )
    fig.add_bar(
        name="Approved",
        x=labels,
        y=[_percent(row.approved, row.budget) for row in with_budget],
        marker_color=[OVER if row.approved > row.budget else APPROVED for row in with_budget],
        customdata=[[f"{row.approved:f}", row.unit] for row in with_budget],
        hovertemplate="Approved %{customdata[0]} %{customdata[1]} (%{y}%)<extra></extra>",
    )
    fig.add_hline(
        y=100,
        line={"color": INK, "width": 1.5, "dash": "dash"},
        annotation_text="Budget",
        annotation_position="top left",
        annotation_font={"color": MUTED, "size": 11},
    )
    fig.update_layout(
        barmode="group",
        height=300,
        margin={"l": 48, "r": 16, "t": 24, "b": 40},
        font={"family": FONT, "size": 12, "color": INK},
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        showlegend=True,
        legend={"orientation": "h", "y": 1.12, "x": 1, "xanchor": "right"},
        hovermode="x unified",
    )
    fig.update_xaxes(showgrid=False, linecolor=GRID, tickfont={"color": MUTED})
    fig.update_yaxes(
        gridcolor=GRID, zeroline=False, tickfont={"color": MUTED}, ticksuffix="%",
        title_text="% of quarter budget", rangemode="tozero",
    )  # fmt: skip
    return fig
