"""Django admin for metrics: the health policy (the rubric's thresholds and the score weights) above all."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from metrics.models import (
    ForecastTuning,
    HealthPolicy,
    HealthSnapshot,
    MetricReading,
    ReportSubscription,
    SuccessMetric,
    UpdateReminder,
    WeeklyReport,
)
from programs.admin_base import DomainAdminMixin


@admin.register(HealthPolicy)
class HealthPolicyAdmin(SimpleHistoryAdmin):
    list_display = [
        "__str__",
        "green_at",
        "yellow_at",
        "critical_overdue_red_days",
        "stale_yellow_cadences",
        "high_risk_exposure",
        "updated_at",
    ]
    list_select_related = ["portfolio"]
    autocomplete_fields = ["portfolio"]
    fieldsets = [
        (None, {"fields": ["portfolio"]}),
        (
            "Grade: the worst signal decides (watch, yellow, red)",
            {"fields": ["yellow_families_for_red"]},
        ),
        (
            "Schedule",
            {
                "fields": [
                    ("critical_overdue_red_days", "overdue_yellow_days", "overdue_count_yellow"),
                    "critical_start_window_days",
                    ("pushes_watch", "pushes_yellow"),
                    ("slip_yellow_percent", "slip_red_percent"),
                    "forecast_yellow_days",
                ]
            },
        ),
        (
            "Freshness (in update cadences)",
            {"fields": [("stale_watch_cadences", "stale_yellow_cadences", "stale_red_cadences")]},
        ),
        ("Risk", {"fields": [("high_risk_exposure", "high_risks_for_red")]}),
        ("Launch readiness", {"fields": [("launch_yellow_days", "launch_red_days")]}),
        ("Outcomes", {"fields": ["metric_behind_yellow_percent"]}),
        ("Dependencies and alignment", {"fields": ["upstream_red_days", "plan_ack_watch_days"]}),
        (
            "Score: bands and weights (ranking within a grade; a family with weight 0 is ignored)",
            {
                "fields": [
                    ("green_at", "yellow_at"),
                    ("weight_schedule", "weight_freshness", "weight_risk"),
                    ("weight_outcomes", "weight_launch_readiness", "weight_dependencies"),
                ]
            },
        ),
    ]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # A policy change re-grades its programs at the next scheduled run; the command
        # `manage.py recompute_health` applies it at once.
        self.message_user(
            request, "Saved. Scores follow at the next scheduled recompute (within 30 minutes)."
        )


class ReadingInline(admin.TabularInline):
    model = MetricReading
    extra = 0
    fields = ["measured_on", "value", "source", "recorded_by"]
    autocomplete_fields = ["recorded_by"]
    ordering = ["-measured_on"]


@admin.register(SuccessMetric)
class SuccessMetricAdmin(DomainAdminMixin, SimpleHistoryAdmin):
    list_display = ["name", "program", "baseline_value", "target_value", "unit", "target_date"]
    list_select_related = ["program"]
    search_fields = ["name", "program__name"]
    autocomplete_fields = ["program"]
    inlines = [ReadingInline]


@admin.register(HealthSnapshot)
class HealthSnapshotAdmin(admin.ModelAdmin):
    list_display = ["program", "day", "score", "grade", "watermelon", "computed_at"]
    list_filter = ["grade", "watermelon", "day"]
    list_select_related = ["program"]
    search_fields = ["program__name"]
    date_hierarchy = "day"
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ForecastTuning)
class ForecastTuningAdmin(admin.ModelAdmin):
    """The weekly tunings of the forecast (metrics.tuning): read-only, the task writes them."""

    list_display = [
        "ran_at", "samples", "previous_factor", "slip_factor", "error_before", "error_after",
        "plan_error", "beat_plan",
    ]  # fmt: skip
    date_hierarchy = "ran_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(UpdateReminder)
class UpdateReminderAdmin(admin.ModelAdmin):
    list_display = ["program", "day", "sent_to", "sent_at"]
    list_select_related = ["program"]
    search_fields = ["program__name", "sent_to"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(WeeklyReport)
class WeeklyReportAdmin(admin.ModelAdmin):
    list_display = ["portfolio", "week_start", "generated_at", "generated_by", "emailed_at"]
    list_filter = ["portfolio"]
    list_select_related = ["portfolio", "generated_by"]
    date_hierarchy = "week_start"
    readonly_fields = ["generated_at", "generated_by", "emailed_at", "content", "markdown"]

    def has_add_permission(self, request):
        return False  # reports are built by the weekly task or the Generate button


@admin.register(ReportSubscription)
class ReportSubscriptionAdmin(admin.ModelAdmin):
    list_display = ["user", "portfolio", "created_at"]
    list_filter = ["portfolio"]
    list_select_related = ["user", "portfolio"]
    autocomplete_fields = ["user", "portfolio"]
    search_fields = ["user__username", "user__email", "portfolio__name"]
