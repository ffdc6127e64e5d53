"""The success metrics block of a program plan (``programs.plans.live``): metrics sit above
``programs``, so they plug their block in from ``MetricsConfig.ready``."""

from typing import Any

from django.db.models import OuterRef, Subquery
from django.urls import reverse

from metrics.models import MetricReading
from programs.models import Program
from programs.plans.live import LiveTable, number


def success_metrics_table(program: Program, viewer: Any) -> LiveTable:
    """Each success metric with its baseline, target and latest reading (one query)."""
    latest = MetricReading.objects.filter(metric=OuterRef("pk")).order_by("-measured_on", "-pk")
    metrics = program.success_metrics.annotate(
        latest_value=Subquery(latest.values("value")[:1]),
        latest_on=Subquery(latest.values("measured_on")[:1]),
    ).order_by("name", "pk")
    page = reverse("programs:detail", kwargs={"slug": program.slug})
    return LiveTable(
        columns=["Metric", "Baseline", "Target", "By", "Latest reading"],
        rows=[
            [
                (m.name, f"{page}#metric-{m.pk}"),
                number(m.baseline_value, m.unit),
                number(m.target_value, m.unit),
                f"{m.target_date:%-d %b %Y}",
                f"{number(m.latest_value, m.unit)} ({m.latest_on:%-d %b})"
                if m.latest_on
                else "no reading yet",
            ]
            for m in metrics
        ],
        empty="No success metrics yet: add them on the program page, so the criteria can be read.",
    )
