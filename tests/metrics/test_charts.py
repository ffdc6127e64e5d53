"""Chart builders are pure: figure structure and data, no database."""

import datetime

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
    path, actual = figure_data(metric_vs_path(series))["data"]
    assert path["y"] == [0, 1000] and path["line"]["dash"] == "dash"
    assert actual["y"] == [50.0, 120.0]


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
