"""Pages of the metrics app: success metrics and readings on a program."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_http_methods

from core.forms import run_service
from metrics import services
from metrics.forms import MetricReadingForm, SuccessMetricForm
from metrics.models import SuccessMetric
from programs.views import editable_program, form_page


@require_http_methods(["GET", "POST"])
def metric_create(request: HttpRequest, slug: str) -> HttpResponse:
    """Add a success metric: what the program promises to move, from where to where, by when."""
    program = editable_program(request, slug)
    form = SuccessMetricForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        metric = run_service(
            form,
            lambda: services.success_metric_create(
                program=program, user=request.user, **form.cleaned_data
            ),
        )
        if metric:
            messages.success(
                request, f"Metric “{metric.name}” added. Record its readings as they come."
            )
            return redirect(f"{program.get_absolute_url()}#metric-{metric.pk}")
    return form_page(
        request,
        program=program,
        form=form,
        title="Add a success metric",
        submit="Add metric",
        intro="Health compares its latest reading with the straight path from baseline to target.",
    )


@require_http_methods(["GET", "POST"])
def reading_create(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Record a measurement of a metric (readings are facts: never edited)."""
    program = editable_program(request, slug)
    metric = get_object_or_404(SuccessMetric, pk=pk, program=program)
    form = MetricReadingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        reading = run_service(
            form,
            lambda: services.metric_reading_record(
                metric=metric, user=request.user, **form.cleaned_data
            ),
        )
        if reading:
            messages.success(request, f"Reading of “{metric.name}” recorded.")
            return redirect(f"{program.get_absolute_url()}#metric-{metric.pk}")
    return form_page(
        request,
        program=program,
        form=form,
        title=f"Record a reading of “{metric.name}”",
        submit="Record reading",
        intro=f"Baseline {metric.baseline_value:g}, target {metric.target_value:g} {metric.unit} by {metric.target_date:%d %b %Y}.",
    )
