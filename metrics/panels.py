"""The metrics app's sections of the program page: health (with its reasons) and success metrics.

Registered with ``programs.panels`` in ``MetricsConfig.ready``; each runs a fixed number of
queries whatever the program's size.
"""

import datetime

from django.db.models import Prefetch, Q
from django.utils import timezone

from metrics import charts
from metrics.health import expected_on_path
from metrics.models import HealthPolicy, MetricReading, SuccessMetric
from metrics.selectors import latest_snapshot, metric_input, score_history
from programs.panels import Panel

REPORTED_LABELS = {"on_track": "on track", "at_risk": "at risk", "off_track": "off track"}
COMPONENT_LABELS = {
    "schedule": "Schedule",
    "freshness": "Freshness",
    "risk": "Risk",
    "outcomes": "Outcomes",
    "launch_readiness": "Launch readiness",
    "dependencies": "Dependencies",
}


def _thresholds(program) -> tuple[int, int]:
    """(green_at, yellow_at) of the policy that grades this program."""
    policies = {
        policy.portfolio_id: policy
        for policy in HealthPolicy.objects.filter(
            Q(portfolio_id=program.portfolio_id) | Q(portfolio__isnull=True)
        )
    }
    policy = policies.get(program.portfolio_id) or policies.get(None)
    return (policy.green_at, policy.yellow_at) if policy else (75, 50)


def health_panel(request, program, can_edit: bool) -> Panel:
    """Score, grade, components, ranked reasons, watermelon, forecast and the score history."""
    snapshot = latest_snapshot(program=program)
    history = score_history(program=program)
    green_at, yellow_at = _thresholds(program)
    figure = None
    if len(history) > 1:
        figure = charts.figure_data(
            charts.score_history(
                [charts.ScorePoint(s.day, s.score, s.grade) for s in history],
                green_at=green_at,
                yellow_at=yellow_at,
            )
        )
    components = []
    if snapshot:
        components = [
            {"key": key, "label": COMPONENT_LABELS.get(key, key), "score": value}
            for key, value in snapshot.components.items()
        ]
    forecast = None
    if snapshot and snapshot.forecast:
        forecast = {
            **snapshot.forecast,
            "target_date": datetime.date.fromisoformat(snapshot.forecast["target_date"]),
            "forecast_date": datetime.date.fromisoformat(snapshot.forecast["forecast_date"]),
        }
    return Panel(
        template="metrics/_health_panel.html",
        column="top",
        order=10,
        context={
            "program": program,
            "snapshot": snapshot,
            "components": components,
            "reasons": snapshot.reasons if snapshot else [],
            "forecast": forecast,
            "reported_label": REPORTED_LABELS.get(snapshot.reported_health, "") if snapshot else "",
            "figure": figure,
            "green_at": green_at,
            "yellow_at": yellow_at,
            "closed": program.is_closed,
        },
    )


def metrics_panel(request, program, can_edit: bool) -> Panel:
    """Each success metric: latest reading, where the straight path says it should be, a chart."""
    today = timezone.localdate()
    metrics = list(
        SuccessMetric.objects.filter(program=program)
        .prefetch_related(
            Prefetch("readings", queryset=MetricReading.objects.order_by("measured_on", "id"))
        )
        .order_by("name")
    )
    rows = []
    for metric in metrics:
        readings = list(metric.readings.all())
        latest = readings[-1] if readings else None
        expected = expected_on_path(metric_input(metric, latest), today)
        figure = charts.figure_data(
            charts.metric_vs_path(
                charts.MetricSeries(
                    name=metric.name,
                    unit=metric.unit,
                    baseline_value=metric.baseline_value,
                    target_value=metric.target_value,
                    baseline_date=metric.baseline_date,
                    target_date=metric.target_date,
                    readings=[(r.measured_on, r.value) for r in readings],
                )
            )
        )
        increasing = metric.target_value > metric.baseline_value
        behind = latest is not None and (
            latest.value < expected if increasing else latest.value > expected
        )
        rows.append(
            {
                "metric": metric,
                "latest": latest,
                "expected": expected,
                "behind": behind,
                "figure": figure,
                "chart_id": f"metric-chart-{metric.pk}",
            }
        )
    return Panel(
        template="metrics/_metrics_panel.html",
        column="main",
        order=10,
        context={"program": program, "rows": rows, "can_edit": can_edit},
    )
