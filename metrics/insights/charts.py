"""What an insights section shows: KPIs and blocks, each a chart with its data table (the same
rows as its CSV download). Figures are Plotly dicts in the app's theme (``metrics.charts``)
and colours from ``core.palette``.

The figures are written as the plain data ``figure_data(go.Figure(...))`` would return, without
building a ``go.Figure``: Plotly's validation and JSON round trip cost 2–5 ms a chart, most of
a page's time once its numbers are read. ``tests/metrics/test_insights_charts.py`` checks that
each builder's output equals Plotly's validated figure of the same traces and layout.
"""

import datetime
import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import plotly.graph_objects as go
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from core.palette import ACCENT, GRADE_COLOURS, INK, MUTED, REQUESTED
from metrics.charts import _LEGEND_ON_TOP, _layout, _wrap

# Series of one chart, in this order: the main measure in the brand colour, then the others.
SERIES_COLOURS = (ACCENT, REQUESTED, MUTED)
OUTCOME_COLOURS = {
    "approved": GRADE_COLOURS["green"],
    "cut": GRADE_COLOURS["yellow"],
    "denied": GRADE_COLOURS["red"],
}


@dataclass(frozen=True)
class Column:
    label: str
    kind: str = "text"  # text, link (value is (text, url)), days, share, number, date, list


@dataclass(frozen=True)
class Kpi:
    label: str
    value: str
    note: str = ""


@dataclass(frozen=True)
class Block:
    """One chart and its table. ``rows`` hold raw values (the CSV's); the page formats them."""

    key: str  # unique in its section: the CSV's URL and the elements' ids
    title: str
    note: str
    columns: Sequence[Column]
    rows: Sequence[Sequence[Any]]
    empty: str  # what the block says, and what to do, when it has no rows
    figure: dict | None = None
    caption: str = ""
    wide: bool = False

    @property
    def cells(self) -> list[list[dict[str, Any]]]:
        """The rows as the table shows them: text, an optional link, numeric or not."""
        return [
            [format_cell(value, column) for value, column in zip(row, self.columns, strict=True)]
            for row in self.rows
        ]

    def body_html(self) -> SafeString:
        """The table's rows as HTML (the first cell a row header): what a template loop over
        ``cells`` writes, built here because a table of a few hundred rows cost the template
        engine more than the rest of the page."""
        rows = []
        for row in self.cells:
            parts = ["<tr>"]
            for index, cell in enumerate(row):
                text: str = escape(cell["text"])
                if cell["url"]:
                    text = f'<a href="{escape(cell["url"])}">{text}</a>'
                if index == 0:
                    parts.append(f'<th scope="row">{text}</th>')
                else:
                    parts.append(
                        f'<td class="num">{text}</td>' if cell["num"] else f"<td>{text}</td>"
                    )
            parts.append("</tr>")
            rows.append("".join(parts))
        return mark_safe("".join(rows))  # noqa: S308 - every text and URL escaped above

    def csv_rows(self) -> list[list[Any]]:
        header = [column.label for column in self.columns]
        body = [
            [csv_value(value, column) for value, column in zip(row, self.columns, strict=True)]
            for row in self.rows
        ]
        return [header, *body]


@dataclass(frozen=True)
class Presentation:
    kpis: list[Kpi] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)

    def block(self, key: str) -> Block | None:
        return next((block for block in self.blocks if block.key == key), None)


def days(value: float | None) -> str:
    """Days as a reader takes them in: "3.5 d", "12 d", "—" for no data."""
    if value is None:
        return "—"
    return f"{value:,.1f} d" if value < 10 else f"{value:,.0f} d"


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f} %"


def format_cell(value: Any, column: Column) -> dict[str, Any]:
    numeric = column.kind in ("days", "share", "number")
    if column.kind == "link":
        text, url = value
        return {"text": text, "url": url, "num": False}
    if column.kind == "days":
        text = days(value)
    elif column.kind == "share":
        text = percent(value)
    elif column.kind == "number":
        text = (
            "—"
            if value is None
            else f"{value:,}"
            if isinstance(value, int)
            else f"{value:,.2f}".rstrip("0").rstrip(".")
        )
    elif column.kind == "date":
        text = value.strftime("%-d %b %Y") if value else "—"
    elif column.kind == "list":
        text = ", ".join(value) or "nobody covers this area"
    else:
        text = "" if value is None else str(value)
    return {"text": text, "url": "", "num": numeric}


def csv_value(value: Any, column: Column) -> Any:
    if column.kind == "link":
        return value[0]
    if column.kind == "list":
        return "; ".join(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return "" if value is None else value


# --- Figures ----------------------------------------------------------------------------------


@functools.cache
def _template_json() -> str:
    """Plotly's default template as JSON: what ``go.Figure`` puts in every figure's layout."""
    return json.dumps(json.loads(go.Figure().to_json())["layout"]["template"])


def _plain(value: Any) -> Any:
    """``value`` as JSON data the way Plotly's encoder writes it (decimals as floats, dates as
    ISO text, tuples as lists)."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def figure(traces: Sequence[dict], layout: dict) -> dict:
    """The figure of ``traces`` and ``layout`` as ``figure_data(go.Figure(data=traces,
    layout=layout))`` returns it (Plotly's default template included), without Plotly's
    validation: the builders below pass only properties Plotly knows (tested)."""
    return {
        "data": [_plain(trace) for trace in traces],
        "layout": {**_plain(layout), "template": json.loads(_template_json())},
    }


def trend_bars(
    quarters: Sequence[str], series: Sequence[tuple[str, Sequence[float | None]]], *, unit: str
) -> dict:
    """A measure per quarter, side by side for each series (the trend over four quarters)."""
    traces = [
        {
            "type": "bar", "x": list(quarters), "y": list(values), "name": name,
            "marker": {"color": SERIES_COLOURS[index % len(SERIES_COLOURS)]},
            "hovertemplate": f"{name}: %{{y:,.1f}} {unit}<extra></extra>",
        }
        for index, (name, values) in enumerate(series)
    ]  # fmt: skip
    return figure(
        traces,
        _layout(
            y_title=unit,
            barmode="group",
            bargap=0.3,
            showlegend=True,
            legend=_LEGEND_ON_TOP,
            margin={"t": 28},
            xaxis={"type": "category"},
            yaxis={"rangemode": "tozero"},
        ),
    )


def stacked_shares(
    quarters: Sequence[str], series: Sequence[tuple[str, str, Sequence[int]]]
) -> dict:
    """Counts per quarter stacked by outcome (``series``: name, colour, counts)."""
    traces = [
        {
            "type": "bar", "x": list(quarters), "y": list(counts), "name": name,
            "marker": {"color": colour}, "hovertemplate": f"{name}: %{{y}}<extra></extra>",
        }
        for name, colour, counts in series
    ]  # fmt: skip
    return figure(
        traces,
        _layout(
            y_title="Requests",
            barmode="stack",
            bargap=0.35,
            showlegend=True,
            legend=_LEGEND_ON_TOP,
            margin={"t": 28},
            xaxis={"type": "category"},
            yaxis={"rangemode": "tozero"},
        ),
    )


def ranked_bars(
    labels: Sequence[str],
    values: Sequence[float | None],
    *,
    axis_title: str,
    unit: str,
    marks: Sequence[float | None] | None = None,
    mark_name: str = "",
    reference: float | None = None,
    colour: str = ACCENT,
) -> dict:
    """Horizontal bars, first row on top; ``marks`` draws a tick per bar (a 90th percentile),
    ``reference`` a dotted line across (a budget's 100 %)."""
    positions = list(range(len(labels)))
    wrapped = [_wrap(label, 28) for label in labels]
    traces: list[dict] = [
        {
            "type": "bar", "orientation": "h", "x": [v or 0 for v in values], "y": positions,
            "name": axis_title, "marker": {"color": colour},
            "customdata": list(labels),
            "hovertemplate": f"%{{customdata}}: %{{x:,.1f}} {unit}<extra></extra>",
        }
    ]  # fmt: skip
    if marks is not None:
        traces.append(
            {
                "type": "scatter", "mode": "markers", "x": list(marks), "y": positions,
                "name": mark_name, "marker": {"symbol": "line-ns", "size": 16,
                                              "line": {"width": 3, "color": INK}},
                "customdata": list(labels),
                "hovertemplate": f"{mark_name} %{{x:,.1f}} {unit}<extra></extra>",
            }
        )  # fmt: skip
    lines = max((label.count("<br>") + 1 for label in wrapped), default=1)
    shapes: dict[str, Any] = {}  # none at all when empty: Plotly drops an empty list
    if reference is not None:
        shapes["shapes"] = [
            {
                "type": "line", "x0": reference, "x1": reference, "xref": "x", "y0": 0, "y1": 1,
                "yref": "y domain", "line": {"color": INK, "width": 1, "dash": "dot"},
            }
        ]  # fmt: skip
    return figure(
        traces,
        _layout(
            height=max(160, len(labels) * (14 * lines + 12) + 70),
            hovermode="closest",
            bargap=0.35,
            showlegend=marks is not None,
            legend=_LEGEND_ON_TOP,
            margin={"t": 28 if marks is not None else 8, "b": 44},
            **shapes,
            xaxis={
                "showgrid": True,
                "rangemode": "tozero",
                "title": {"text": axis_title},
                "zeroline": True,
            },
            yaxis={
                "tickvals": positions,
                "ticktext": wrapped,
                "autorange": "reversed",
                "showgrid": False,
                "automargin": True,
                "tickfont": {"size": 11, "color": INK},
            },
        ),
    )
