"""The metrics API: thin viewsets over success metrics, readings and computed health.

The rules of the programs API hold here too (``programs.api.views``):
- reads show only what ``programs.selectors.visible_programs`` lets the caller see; a metric,
  reading, health or snapshot of a confidential program the caller may not see answers 404
  and is absent from lists;
- writes need ``programs.change_program`` on the metric's program (403 otherwise);
- a change to a metric says which version it was based on (If-Match: stale 412; body
  ``version``: stale 409; neither: 428). Readings are facts: recorded, never changed (405).
- health and snapshots are written by the health engine only: read-only here.
"""

from django.db.models import OuterRef, Prefetch, Subquery
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.filters import SearchFilter

from core.api import ReadWriteViewSet
from metrics import services
from metrics.api import filters, serializers
from metrics.models import HealthSnapshot, MetricReading, SuccessMetric
from programs.api.views import ProgramChildViewSet, ProgramEditCheck
from programs.models import Program
from programs.selectors import visible_programs

FILTER_BACKENDS = [DjangoFilterBackend, SearchFilter, filters.NamedOrderingFilter]


@extend_schema_view(
    list=extend_schema(summary="List success metrics, with latest reading and expected value"),
    retrieve=extend_schema(summary="A success metric (ETag header)"),
    create=extend_schema(summary="Add a success metric to a program"),
    update=extend_schema(summary="Replace a success metric's fields"),
    partial_update=extend_schema(summary="Change some of a success metric's fields"),
)
class SuccessMetricViewSet(ProgramChildViewSet):
    """Outcomes programs promise; each carries its latest reading and today's expected value."""

    queryset = SuccessMetric.objects.all()  # the model, for the schema; get_queryset filters
    serializer_class = serializers.SuccessMetricSerializer
    filterset_class = filters.SuccessMetricFilter
    filter_backends = FILTER_BACKENDS
    input_serializers = {
        "create": serializers.SuccessMetricInputSerializer,
        "update": serializers.SuccessMetricUpdateSerializer,
        "partial_update": serializers.SuccessMetricUpdateSerializer,
    }
    search_fields = ["name"]
    ordering_fields = ["program", "name", "target_date", "created_at"]
    ordering_sources = {"program": "program__name"}
    ordering = ["program", "name"]

    def base_queryset(self):
        latest = MetricReading.objects.filter(metric=OuterRef("pk")).order_by("-measured_on", "-id")
        return SuccessMetric.objects.select_related("program").annotate(
            latest_value=Subquery(latest.values("value")[:1]),
            latest_measured_on=Subquery(latest.values("measured_on")[:1]),
        )

    def create_in(self, program, data):
        return services.success_metric_create(program=program, user=self.request.user, **data)

    def perform_service(self, action_name, *, instance, data, version):
        return services.success_metric_update(
            metric=instance, user=self.request.user, version=version, **data
        )


@extend_schema_view(
    list=extend_schema(summary="List metric readings, newest first"),
    retrieve=extend_schema(summary="A metric reading"),
    create=extend_schema(summary="Record a reading of a success metric (you are its recorder)"),
)
class MetricReadingViewSet(ProgramEditCheck, ReadWriteViewSet):
    """Measurements of success metrics. Facts: recorded once, never changed (PUT/PATCH 405)."""

    queryset = MetricReading.objects.all()  # the model, for the schema; get_queryset filters
    serializer_class = serializers.MetricReadingSerializer
    filterset_class = filters.MetricReadingFilter
    filter_backends = FILTER_BACKENDS
    input_serializers = {"create": serializers.MetricReadingInputSerializer}
    http_method_names = ["get", "post", "head", "options"]
    search_fields = ["source"]
    ordering_fields = ["measured_on", "value", "created_at"]
    ordering = ["-measured_on"]

    def base_queryset(self):
        return MetricReading.objects.select_related("metric__program", "recorded_by")

    def get_queryset(self):
        programs = visible_programs(self.request.user).values("pk")
        return self.base_queryset().filter(metric__program__in=programs)

    def perform_create_service(self, data):
        metric = data.pop("metric")
        self.check_can_edit(metric.program)
        return services.metric_reading_record(metric=metric, user=self.request.user, **data)


@extend_schema_view(
    list=extend_schema(summary="Current health of the programs you may see"),
    retrieve=extend_schema(summary="A program's current health and why"),
)
class ProgramHealthViewSet(viewsets.ReadOnlyModelViewSet):
    """Each visible program's score, grade and watermelon flag, explained by its latest snapshot.

    Read-only: the health engine writes these after every change and on its schedule.
    """

    queryset = Program.objects.all()  # the model, for the schema; get_queryset filters
    serializer_class = serializers.ProgramHealthSerializer
    filterset_class = filters.ProgramHealthFilter
    filter_backends = FILTER_BACKENDS
    # The program's version tracks its own fields, not its health: no ETag here.
    etag_header = False
    lookup_field = "slug"
    search_fields = ["name", "slug"]
    ordering_fields = ["score", "name"]
    ordering_sources = {"score": "health_score"}
    ordering = ["name"]

    def get_queryset(self):
        # The latest snapshot of every program on the page, in one query (a window per program).
        latest = HealthSnapshot.objects.order_by("-day")
        return (
            visible_programs(self.request.user)
            .select_related("portfolio")
            .prefetch_related(
                Prefetch("health_snapshots", queryset=latest[:1], to_attr="latest_snapshots")
            )
        )


@extend_schema_view(
    list=extend_schema(summary="Daily health history of the programs you may see"),
    retrieve=extend_schema(summary="One day's health of a program"),
)
class HealthSnapshotViewSet(viewsets.ReadOnlyModelViewSet):
    """One row per program per day: the history behind every trend chart. Read-only."""

    queryset = HealthSnapshot.objects.all()  # the model, for the schema; get_queryset filters
    serializer_class = serializers.HealthSnapshotSerializer
    filterset_class = filters.HealthSnapshotFilter
    filter_backends = FILTER_BACKENDS
    ordering_fields = ["day", "score", "program"]
    ordering_sources = {"program": "program__name"}
    ordering = ["-day", "program"]

    def get_queryset(self):
        programs = visible_programs(self.request.user).values("pk")
        return HealthSnapshot.objects.select_related("program").filter(program__in=programs)
