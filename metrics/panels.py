"""The metrics app's sections of the program page: health (with its reasons), success metrics,
the milestone timeline and the risk matrix.

Registered with ``programs.panels`` in ``MetricsConfig.ready``; each runs a fixed number of
queries whatever the program's size.
"""

import datetime

from django.db.models import Prefetch, Q
from django.utils import timezone

from core.grades import Grade
from metrics import charts
from metrics.health import COMPONENTS, expected_on_path, reason_view
from metrics.models import HealthPolicy, MetricReading, SuccessMetric
from metrics.selectors import latest_snapshot, metric_input, score_history
from programs.models import Risk, RiskState
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


def health_view(snapshot) -> dict:
    """What the page shows of a stored snapshot: its reasons rendered (sentence and remedy, old
    stored reasons kept in their words), what would make it green, and each family's score
    (families without data were not scored: listed as such, never as a perfect 100)."""
    reasons = [reason_view(stored) for stored in snapshot.reasons]
    not_green = snapshot.grade in (Grade.YELLOW, Grade.RED)
    return {
        "reasons": reasons,
        # The yellow and red signals in the engine's order: clearing them all makes it green.
        "to_clear": [r for r in reasons if r["severity"] in ("yellow", "red")] if not_green else [],
        "components": [
            {
                "key": key,
                "label": COMPONENT_LABELS.get(key, key),
                "score": snapshot.components.get(key),
            }
            for key in (*COMPONENTS, *(k for k in snapshot.components if k not in COMPONENTS))
        ],
    }


def forecast_view(stored: dict | None, today: datetime.date) -> dict | None:
    """A stored forecast as pages show it: dates parsed, and ``overdue_days`` when the
    milestone's target has passed. An overdue milestone has no forecast worth a date (the
    engine can only say "no earlier than today"), so pages say "overdue N days" instead."""
    if not stored:
        return None
    target = datetime.date.fromisoformat(stored["target_date"])
    return {
        **stored,
        "target_date": target,
        "forecast_date": datetime.date.fromisoformat(stored["forecast_date"]),
        "overdue_days": max(0, (today - target).days),
    }


def health_panel(request, program, can_edit: bool) -> Panel:
    """Score, grade, flags (stale, watermelon), each family's score, the signals worst first
    with their severity, what would make it green, the forecast and the score history."""
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
    view = health_view(snapshot) if snapshot else {"reasons": [], "to_clear": [], "components": []}
    forecast = forecast_view(snapshot.forecast, timezone.localdate()) if snapshot else None
    return Panel(
        template="metrics/_health_panel.html",
        column="top",
        order=10,
        context={
            "program": program,
            "snapshot": snapshot,
            **view,
            "forecast": forecast,
            "reported_label": REPORTED_LABELS.get(snapshot.reported_health, "") if snapshot else "",
            "figure": figure,
            "history": history,
            "green_at": green_at,
            "yellow_at": yellow_at,
            "closed": program.is_closed,
        },
    )


def metrics_panel(request, program, can_edit: bool) -> Panel:
    """Each success metric: latest reading, where the straight path says it should be, a chart.

    "Expected" is the path's value on the latest reading's day, rounded as the engine rounds
    it, so the card and a "behind the path" reason on the same page say the same number.
    """
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
        expected = (
            round(expected_on_path(metric_input(metric, latest), latest.measured_on), 2)
            if latest
            else None
        )
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
        behind = (
            latest is not None
            and expected is not None
            and (latest.value < expected if increasing else latest.value > expected)
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


def milestone_timeline_panel(request, program, can_edit: bool) -> Panel | None:
    """Every milestone's baseline and current target side by side (one query)."""
    milestones = list(
        program.milestones.exclude(state="cancelled")
        .only("name", "baseline_date", "target_date", "state", "critical")
        .order_by("target_date", "id")
    )
    if not milestones:
        return None
    today = timezone.localdate()
    rows = [
        charts.TimelineRow(
            m.name, m.baseline_date, m.target_date, m.state, m.critical, m.get_state_display()
        )
        for m in milestones
    ]
    figure = charts.figure_data(charts.milestone_timeline(rows, today=today))
    slipped = sum(1 for m in milestones if m.target_date > m.baseline_date)
    overdue = sum(1 for row in rows if row.days_overdue(today))
    return Panel(
        template="metrics/_timeline_panel.html",
        column="main",
        order=5,
        context={
            "figure": figure,
            "table": charts.timeline_table(rows, today=today),
            "count": len(milestones),
            "slipped": slipped,
            "overdue": overdue,
        },
    )


IMPACT_LABELS = {1: "Minor", 2: "Moderate", 3: "Major", 4: "Severe", 5: "Critical"}
LIKELIHOOD_LABELS = {1: "Rare", 2: "Unlikely", 3: "Possible", 4: "Likely", 5: "Almost certain"}


def _band(exposure: int) -> str:
    """15+: act now; 8–14: watch; below: accept (the usual bands of a 5 × 5 matrix)."""
    return "high" if exposure >= 15 else "medium" if exposure >= 8 else "low"


def risk_matrix_panel(request, program, can_edit: bool) -> Panel | None:
    """Open risks on a 5 × 5 likelihood × impact grid, as an accessible HTML table (one query).

    Cells hold counts linking to the risks in the page's Risks section; their text is shown there only.
    """
    risks = list(
        Risk.objects.filter(program=program)
        .exclude(state=RiskState.CLOSED)
        .only("likelihood", "impact", "state")
        .order_by("-likelihood", "-impact", "id")
    )
    if not risks:
        return None
    cells: dict[tuple[int, int], list[Risk]] = {}
    for risk in risks:
        cells.setdefault((risk.likelihood, risk.impact), []).append(risk)
    rows = [
        {
            "likelihood": likelihood,
            "label": LIKELIHOOD_LABELS[likelihood],
            "cells": [
                {
                    "impact": impact,
                    "exposure": likelihood * impact,
                    "band": _band(likelihood * impact),
                    "risks": cells.get((likelihood, impact), []),
                }
                for impact in range(1, 6)
            ],
        }
        for likelihood in range(5, 0, -1)
    ]
    return Panel(
        template="metrics/_risk_matrix_panel.html",
        column="side",
        order=5,
        context={
            "rows": rows,
            "impacts": IMPACT_LABELS,
            "count": len(risks),
        },
    )
