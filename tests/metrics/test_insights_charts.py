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
