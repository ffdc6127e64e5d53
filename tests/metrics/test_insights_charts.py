"""The insights figures are written without building a ``go.Figure``: each must equal what
Plotly's validated figure of the same traces and layout gives (so a misspelt property, which
Plotly would refuse, fails here)."""

from decimal import Decimal

import plotly.graph_objects as go
import pytest

from metrics.charts import figure_data
from metrics.insights import charts

QUARTERS = ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]

BUILDS = {
    "trend": lambda: charts.trend_bars(
        QUARTERS, [("Decided", [1.5, None, 3, 4]), ("Fulfilled", [0, 2, 2.25, None])], unit="days"
    ),
    "stacked": lambda: charts.stacked_shares(
        QUARTERS, [("Approved", "#00aa00", [1, 2, 3, 4]), ("Denied", "#aa0000", [0, 0, 1, 0])]
    ),
    "ranked with marks": lambda: charts.ranked_bars(
        ["Security", "A reviewer with a name long enough to wrap onto two lines", "SRE"],
        [4.5, None, 1],
        axis_title="Median days",
        unit="days",
        marks=[9, None, 2.5],
        mark_name="90th percentile",
    ),
    "ranked with a reference and decimals": lambda: charts.ranked_bars(
        ["Core · CPU", "Data · Storage"],
        [Decimal("1.25"), Decimal("0.5")],
        axis_title="Share of budget",
        unit="%",
        reference=1.0,
        colour="#aa0000",
    ),
    "ranked, empty": lambda: charts.ranked_bars([], [], axis_title="Days", unit="days"),
}


@pytest.mark.parametrize("name", BUILDS)
def test_figure_equals_plotlys_validated_figure(name, monkeypatch):
    """The same call, once through ``figure`` and once through ``go.Figure``: same data."""
    built = {}

    def through_plotly(traces, layout):
        built["plotly"] = figure_data(go.Figure(data=traces, layout=layout))
        built["ours"] = fast(traces, layout)
        return built["ours"]

    fast = charts.figure
    monkeypatch.setattr(charts, "figure", through_plotly)
    BUILDS[name]()
    assert built["ours"] == built["plotly"]
    assert built["ours"]["layout"]["template"]["layout"], "Plotly's default template is kept"


def test_figures_do_not_share_their_template():
    """Each figure has its own copy of the template: changing one changes no other."""
    first = BUILDS["trend"]()
    first["layout"]["template"]["layout"]["font"] = {"size": 99}
    assert BUILDS["trend"]()["layout"]["template"]["layout"].get("font") != {"size": 99}


def test_table_body_is_the_templates_loop_written_in_python():
    """``Block.body_html`` writes what the template loop over ``cells`` wrote: a row header,
    numeric cells marked, links, and every text escaped."""
    from django.template import Context, Template

    block = charts.Block(
        key="k", title="T", note="", empty="",
        columns=[charts.Column("Review", "link"), charts.Column("Area"),
                 charts.Column("Waiting", "days"), charts.Column("Held by", "list")],
        rows=[
            [("Launch <b>A</b>", "/reviews/1/?a=1&b=2"), "SRE & Ops", 12.5, ["Ann", "Bo"]],
            [("Launch B", ""), "Security", None, []],
        ],
    )  # fmt: skip
    loop = Template(
        '{% for row in block.cells %}<tr>{% for cell in row %}{% if forloop.first %}<th scope="row">'
        '{% else %}<td{% if cell.num %} class="num"{% endif %}>{% endif %}{% if cell.url %}'
        '<a href="{{ cell.url }}">{{ cell.text }}</a>{% else %}{{ cell.text }}{% endif %}'
        "{% if forloop.first %}</th>{% else %}</td>{% endif %}{% endfor %}</tr>{% endfor %}"
    ).render(Context({"block": block}))
    assert block.body_html() == loop
    assert "&lt;b&gt;" in loop and "&amp;b=2" in loop and 'class="num">12 d' in loop
