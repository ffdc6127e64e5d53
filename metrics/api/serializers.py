"""Serializers of the metrics API: output shapes, and input shapes that feed the services.

Input serializers only parse and check shapes; they never save. Views pass their
``validated_data`` to a ``metrics.services`` function. Programs are named by slug, metrics
and readings by id, people by username.
"""

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api import InputSerializer, VersionedInputSerializer
from core.grades import Grade
from core.types import User
from metrics.health import MetricInput, Severity, expected_on_path, reason_view
from metrics.models import Direction, HealthSnapshot, MetricReading, SuccessMetric
from programs.api.serializers import (
    HEALTH_CAUSE_HELP,
    HEALTH_FAMILY_CHOICES,
    HEALTH_STALE_HELP,
    VisibleProgramField,
)
from programs.models import Portfolio, Program, ReportedHealth
from programs.selectors import visible_programs


class VisibleMetricField(serializers.PrimaryKeyRelatedField):
    """A success metric by id, in any program the caller may see (others 'do not exist')."""

    def __init__(self, **kwargs):
        super().__init__(queryset=SuccessMetric.objects.all(), **kwargs)

    def get_queryset(self):
        programs = visible_programs(self.context["request"].user)
        return SuccessMetric.objects.select_related("program").filter(
            program__in=programs.values("pk")
        )


# --- Success metrics ----------------------------------------------------------------------


class SuccessMetricSerializer(serializers.ModelSerializer):
    """A metric with its latest reading and where the straight target path expects it today."""

    program: serializers.SlugRelatedField[Program] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    latest_value = serializers.FloatField(
        read_only=True, allow_null=True, help_text="The most recent reading; null before any."
    )
    latest_measured_on = serializers.DateField(
        read_only=True, allow_null=True, help_text="When the most recent reading was measured."
    )
    expected_today = serializers.SerializerMethodField()

    class Meta:
        model = SuccessMetric
        fields = [
            "id", "program", "name", "unit", "baseline_value", "target_value", "direction",
            "baseline_date", "target_date", "reading_interval_days", "latest_value",
            "latest_measured_on", "expected_today", "version", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(
        serializers.FloatField(
            help_text="The value on the straight path from baseline to target today "
            "(the baseline before the baseline date, the target after the target date)."
        )
    )
    def get_expected_today(self, metric: SuccessMetric) -> float:
        path = MetricInput(
            id=metric.pk,
            name=metric.name,
            baseline_value=metric.baseline_value,
            target_value=metric.target_value,
            baseline_date=metric.baseline_date,
            target_date=metric.target_date,
        )
        return expected_on_path(path, timezone.localdate())


class SuccessMetricUpdateSerializer(VersionedInputSerializer):
    """A metric's fields; its program never changes. The path is checked by the service."""

    refused_fields = {"program": "A metric stays in its program."}

    name = serializers.CharField(max_length=200)
    unit = serializers.CharField(
        max_length=40, required=False, allow_blank=True, help_text="e.g. hosts, ms, %, $/month"
    )
    baseline_value = serializers.FloatField()
    target_value = serializers.FloatField(help_text="Must differ from the baseline value.")
    direction = serializers.ChoiceField(choices=Direction.choices, required=False)
    baseline_date = serializers.DateField()
    target_date = serializers.DateField(help_text="After the baseline date.")
    reading_interval_days = serializers.IntegerField(
        min_value=1,
        max_value=365,
        required=False,
        help_text="How often a reading is expected (default 30): longer without one is a watch signal.",
    )


class SuccessMetricInputSerializer(SuccessMetricUpdateSerializer):
    """A new metric of a program the caller may see (and edit)."""

    program = VisibleProgramField()
    version = None  # type: ignore[assignment]  # DRF drops an inherited field set to None


# --- Readings -----------------------------------------------------------------------------


class MetricReadingSerializer(serializers.ModelSerializer):
    program: serializers.SlugRelatedField[Program] = serializers.SlugRelatedField(
        source="metric.program", slug_field="slug", read_only=True
    )
    recorded_by: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )

    class Meta:
        model = MetricReading
        fields = [
            "id", "metric", "program", "value", "measured_on", "source", "recorded_by",
            "created_at",
        ]  # fmt: skip
        read_only_fields = fields


class MetricReadingInputSerializer(InputSerializer):
    """A measurement of a metric; the caller is recorded as who recorded it."""

    refused_fields = {"recorded_by": "The person who records a reading is the caller."}

    metric = VisibleMetricField()
    value = serializers.FloatField()
    measured_on = serializers.DateField(help_text="Not in the future.")
    # A declared field, which DRF moves off the class; the stubs take it for Field.source.
    source = serializers.CharField(  # type: ignore[assignment]
        max_length=200, required=False, allow_blank=True, help_text="Dashboard, query or person."
    )


# --- Health -------------------------------------------------------------------------------

SEVERITY_CHOICES = [
    (Severity.WATCH.value, "Watch"),
    (Severity.YELLOW.value, "Yellow"),
    (Severity.RED.value, "Red"),
]


class ReasonSerializer(serializers.Serializer):
    """One signal of a grade, as stored in a snapshot, with its sentence and remedy.

    Rendered by ``metrics.health.reason_view``, so the API says the words the pages say. A
    reason stored before reasons were structured keeps its words: no severity, code, subject
    or remedy.
    """

    family = serializers.ChoiceField(
        choices=HEALTH_FAMILY_CHOICES, help_text="The family of signals it belongs to."
    )
    severity = serializers.ChoiceField(
        choices=SEVERITY_CHOICES,
        allow_blank=True,
        help_text="red or yellow decide the grade; watch does not. Empty for a reason stored "
        "before severities.",
    )
    code = serializers.CharField(
        allow_blank=True,
        help_text="What fired, e.g. critical_overdue, launch_unready, update_stale; empty for "
        "a reason stored before codes.",
    )
    subject_id = serializers.IntegerField(
        allow_null=True,
        help_text="Id of the object it is about (a milestone, risk, launch review or success "
        "metric: the code says which); null when it is about the program as a whole.",
    )
    subject = serializers.CharField(
        allow_blank=True, help_text="The name of that object; empty for the program."
    )
    figures = serializers.DictField(
        child=serializers.JSONField(),
        help_text="The numbers behind it, by name (e.g. days, count, percent).",
    )
    cost = serializers.FloatField(help_text="Score points it cost its family (out of 100).")
    text = serializers.CharField(help_text="The reason as a sentence.")
    remedy = serializers.CharField(
        allow_blank=True, help_text="What would clear it; empty for a reason stored as text only."
    )

    def to_representation(self, stored: dict) -> dict:
        return super().to_representation(reason_view(stored))


class ForecastSerializer(serializers.Serializer):
    milestone_id = serializers.IntegerField()
    milestone = serializers.CharField(help_text="The next open critical milestone's name.")
    target_date = serializers.DateField()
    forecast_date = serializers.DateField(help_text="Projected from its slip history.")
    days_late = serializers.IntegerField()


def snapshot_cause(snapshot: HealthSnapshot | None) -> str:
    """The family of a snapshot's first reason (the one deciding its grade); '' when green.

    Reasons are stored ranked, the deciding one first; of a snapshot stored before reasons were
    ranked by severity, it is the costliest reason's family.
    """
    if snapshot is None or snapshot.grade == Grade.GREEN or not snapshot.reasons:
        return ""
    return reason_view(snapshot.reasons[0])["family"]


def snapshot_to_clear(snapshot: HealthSnapshot | None) -> list[dict]:
    """A snapshot's reasons that would have to clear for it to be green: all but the watch
    ones, in order (none when green). A snapshot stored before severities has none of watch:
    all its reasons are kept."""
    if snapshot is None or snapshot.grade == Grade.GREEN:
        return []
    return [r for r in snapshot.reasons if r.get("severity") != Severity.WATCH]


COMPONENTS_HELP = (
    "Each family's score, 0 to 100, by name; families with nothing to judge are left out."
)
REASONS_HELP = (
    "Every signal: red first, then yellow, then watch; within a severity by family in review "
    "order (schedule, launch_readiness, dependencies, risk, freshness, outcomes), then cost."
)
TO_CLEAR_HELP = (
    "What would make the program green: its yellow and red reasons, in order (empty when green)."
)
FORECAST_HELP = "Forecast of the next open critical milestone; null when there is none."
REPORTED_HELP = "Reported health of the latest status update when computed; empty if none."


class HealthSnapshotSerializer(serializers.ModelSerializer):
    """A program's health on one day, with the signals behind it."""

    program: serializers.SlugRelatedField[Program] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    components = serializers.DictField(
        child=serializers.IntegerField(), read_only=True, help_text=COMPONENTS_HELP
    )
    reasons = ReasonSerializer(many=True, read_only=True, help_text=REASONS_HELP)
    forecast = ForecastSerializer(read_only=True, allow_null=True, help_text=FORECAST_HELP)
    reported_health = serializers.ChoiceField(
        choices=ReportedHealth.choices, allow_blank=True, read_only=True, help_text=REPORTED_HELP
    )
    stale = serializers.BooleanField(read_only=True, help_text=HEALTH_STALE_HELP)
    cause = serializers.SerializerMethodField()

    class Meta:
        model = HealthSnapshot
        fields = [
            "id", "program", "day", "score", "grade", "watermelon", "stale", "cause",
            "components", "reasons", "forecast", "reported_health", "computed_at",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(
        serializers.ChoiceField(
            choices=HEALTH_FAMILY_CHOICES, allow_blank=True, help_text=HEALTH_CAUSE_HELP
        )
    )
    def get_cause(self, snapshot: HealthSnapshot) -> str:
        return snapshot_cause(snapshot)


class ProgramHealthSerializer(serializers.ModelSerializer):
    """A program's current health, and the explanation from its latest snapshot.

    Score, grade, watermelon, stale and cause are the program's current values (null/empty
    until first computed, and for done or cancelled programs, which are not scored); the
    explanation comes from the most recent daily snapshot, whose ``day`` is given.
    """

    portfolio: serializers.SlugRelatedField[Portfolio] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    score = serializers.IntegerField(source="health_score", read_only=True, allow_null=True)
    grade = serializers.ChoiceField(
        source="health_grade",
        choices=Grade.choices,
        allow_blank=True,
        read_only=True,
        help_text="Empty until health was first computed.",
    )
    watermelon = serializers.BooleanField(
        source="health_watermelon",
        read_only=True,
        help_text="A current status update says on track while the grade is yellow or red.",
    )
    stale = serializers.BooleanField(
        source="health_stale", read_only=True, help_text=HEALTH_STALE_HELP
    )
    cause = serializers.ChoiceField(
        source="health_cause",
        choices=HEALTH_FAMILY_CHOICES,
        allow_blank=True,
        read_only=True,
        help_text=HEALTH_CAUSE_HELP,
    )
    computed_at = serializers.DateTimeField(
        source="health_computed_at",
        read_only=True,
        allow_null=True,
        help_text=(
            "When the score was last written: after an edit to the program, or when a "
            "scheduled recompute (every 30 minutes) found it changed. Null: never scored."
        ),
    )
    snapshot_day = serializers.DateField(
        source="latest_snapshot.day",
        read_only=True,
        allow_null=True,
        default=None,
        help_text="The day of the snapshot the explanation comes from; null before any.",
    )
    components = serializers.DictField(
        source="latest_snapshot.components",
        child=serializers.IntegerField(),
        read_only=True,
        default=dict,
        help_text=COMPONENTS_HELP,
    )
    reasons = ReasonSerializer(
        source="latest_snapshot.reasons", many=True, read_only=True, default=list,
        help_text=REASONS_HELP,
    )  # fmt: skip
    to_clear = ReasonSerializer(
        source="latest_to_clear", many=True, read_only=True, help_text=TO_CLEAR_HELP
    )
    forecast = ForecastSerializer(
        source="latest_snapshot.forecast",
        read_only=True,
        allow_null=True,
        default=None,
        help_text=FORECAST_HELP,
    )
    reported_health = serializers.ChoiceField(
        source="latest_snapshot.reported_health",
        choices=ReportedHealth.choices,
        allow_blank=True,
        read_only=True,
        default="",
        help_text=REPORTED_HELP,
    )

    class Meta:
        model = Program
        fields = [
            "slug", "name", "portfolio", "phase", "score", "grade", "watermelon", "stale",
            "cause", "computed_at", "snapshot_day", "components", "reasons", "to_clear",
            "forecast", "reported_health",
        ]  # fmt: skip
        read_only_fields = fields

    def to_representation(self, program: Program) -> dict:
        """Reads the latest snapshot from the view's prefetch (``latest_snapshots``, 0 or 1)."""
        prefetched = getattr(program, "latest_snapshots", None)
        if prefetched is None:
            prefetched = list(program.health_snapshots.order_by("-day")[:1])
        snapshot = prefetched[0] if prefetched else None
        # The output fields read these off the program (``source=``): plain attributes of it.
        vars(program).update(latest_snapshot=snapshot, latest_to_clear=snapshot_to_clear(snapshot))
        return super().to_representation(program)
