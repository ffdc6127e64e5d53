"""How healthy a program is, and why: success metrics, the health policy and daily snapshots."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from simple_history.models import HistoricalRecords

from core.models import TimeStampedModel, VersionedModel
from programs.models import Grade, Portfolio, Program


class Direction(models.TextChoices):
    INCREASE = "increase", "Higher is better"
    DECREASE = "decrease", "Lower is better"


class SuccessMetric(VersionedModel):
    """An outcome the program promises, measured against the straight path to its target."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="success_metrics")
    name = models.CharField(max_length=200)
    unit = models.CharField(max_length=40, blank=True, help_text="e.g. hosts, ms, %, $/month")
    baseline_value = models.FloatField()
    target_value = models.FloatField()
    direction = models.CharField(max_length=10, choices=Direction, default=Direction.INCREASE)
    baseline_date = models.DateField()
    target_date = models.DateField()

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["program", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(target_date__gt=F("baseline_date")),
                name="metric_target_after_baseline",
                violation_error_message="The target date must be after the baseline date.",
            ),
            models.CheckConstraint(
                condition=~Q(target_value=F("baseline_value")),
                name="metric_target_differs",
                violation_error_message="The target value must differ from the baseline value.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program}: {self.name}"


class MetricReading(TimeStampedModel):
    metric = models.ForeignKey(SuccessMetric, on_delete=models.CASCADE, related_name="readings")
    value = models.FloatField()
    measured_on = models.DateField()
    source = models.CharField(max_length=200, blank=True, help_text="Dashboard, query or person.")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["metric", "-measured_on", "-id"]
        # The order above within a metric: its latest reading is the index's first entry.
        indexes = [models.Index(fields=["metric", "-measured_on", "-id"])]

    def __str__(self) -> str:
        return f"{self.metric.name} = {self.value:g} on {self.measured_on}"


class HealthPolicy(TimeStampedModel):
    """Weights and thresholds of the health score. One default; optional per-portfolio overrides.

    The grade ceiling rule: a critical milestone more than ``critical_overdue_ceiling_days``
    overdue keeps a program out of green, whatever else it scores.
    """

    portfolio = models.OneToOneField(
        Portfolio,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="health_policy",
        help_text="Empty for the default policy.",
    )
    weight_schedule = models.PositiveSmallIntegerField(default=30)
    weight_freshness = models.PositiveSmallIntegerField(default=15)
    weight_risk = models.PositiveSmallIntegerField(default=15)
    weight_outcomes = models.PositiveSmallIntegerField(default=15)
    weight_launch_readiness = models.PositiveSmallIntegerField(default=15)
    weight_dependencies = models.PositiveSmallIntegerField(default=10)
    green_at = models.PositiveSmallIntegerField(
        default=75, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    yellow_at = models.PositiveSmallIntegerField(
        default=50, validators=[MinValueValidator(0), MaxValueValidator(99)]
    )
    critical_overdue_ceiling_days = models.PositiveSmallIntegerField(
        default=14, help_text="A critical milestone overdue longer than this cannot be green."
    )
    launch_lookahead_days = models.PositiveSmallIntegerField(default=14)
    high_risk_exposure = models.PositiveSmallIntegerField(
        default=12, validators=[MinValueValidator(1), MaxValueValidator(25)]
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name_plural = "health policies"
        constraints = [
            models.CheckConstraint(
                condition=Q(yellow_at__lt=F("green_at")),
                name="policy_yellow_below_green",
                violation_error_message="The yellow threshold must be below the green one.",
            ),
        ]

    def __str__(self) -> str:
        return f"Health policy for {self.portfolio}" if self.portfolio else "Default health policy"

    def clean(self) -> None:
        defaults = HealthPolicy.objects.filter(portfolio__isnull=True).exclude(pk=self.pk)
        if self.portfolio_id is None and defaults.exists():
            raise ValidationError(
                {"portfolio": "There is already a default policy; pick a portfolio."}
            )
        if not any(self.weights().values()):
            raise ValidationError("At least one weight must be above zero.")

    def weights(self) -> dict[str, int]:
        return {
            "schedule": self.weight_schedule,
            "freshness": self.weight_freshness,
            "risk": self.weight_risk,
            "outcomes": self.weight_outcomes,
            "launch_readiness": self.weight_launch_readiness,
            "dependencies": self.weight_dependencies,
        }


class HealthSnapshot(models.Model):
    """One row per program per day, updated in place during the day: the trend history."""

    # No index of its own: the (program, day) unique constraint's index serves every lookup by
    # program, and each daily snapshot written costs one index fewer.
    program = models.ForeignKey(
        Program, on_delete=models.CASCADE, related_name="health_snapshots", db_index=False
    )
    day = models.DateField()
    score = models.PositiveSmallIntegerField()
    grade = models.CharField(max_length=10, choices=Grade)
    components = models.JSONField(default=dict)
    reasons = models.JSONField(default=list)
    watermelon = models.BooleanField(default=False)
    reported_health = models.CharField(max_length=20, blank=True)
    forecast = models.JSONField(null=True, blank=True)
    ceiling = models.CharField(max_length=200, blank=True)
    # A hash of every field above: the scheduled recompute compares it to skip sending (and
    # rewriting) the snapshots that would not change, most of them on most runs.
    digest = models.CharField(max_length=32, blank=True, default="", editable=False)
    # A hash of what the engine was given (the program's inputs, its policy, the engine's own
    # code): the scheduled recompute does not score again a program whose inputs did not change
    # since this snapshot was written today.
    inputs_digest = models.CharField(max_length=32, blank=True, default="", editable=False)
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["program", "-day"]
        get_latest_by = "day"
        constraints = [
            models.UniqueConstraint(fields=["program", "day"], name="snapshot_one_per_day"),
        ]
        indexes = [models.Index(fields=["day", "grade"])]

    def __str__(self) -> str:
        return f"{self.program} {self.day}: {self.score} ({self.grade})"


class UpdateReminder(models.Model):
    """A reminder e-mailed to a TPM about an overdue update; one per program per day at most."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="reminders")
    day = models.DateField()
    sent_to = models.EmailField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["program", "day"], name="reminder_once_a_day"),
        ]

    def __str__(self) -> str:
        return f"Reminder for {self.program} on {self.day}"


class WeeklyReport(models.Model):
    """What changed in a portfolio over one week (Monday to Sunday), for leadership.

    ``content`` holds the structured sections (each item names its program, so a reader who
    may not see a confidential program gets the report without it); ``markdown`` is the full
    rendering kept as generated. One report per portfolio and week: regenerating replaces it.
    """

    portfolio = models.ForeignKey(
        Portfolio, on_delete=models.CASCADE, related_name="weekly_reports"
    )
    week_start = models.DateField(help_text="The Monday the reported week starts on.")
    generated_at = models.DateTimeField()
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    content = models.JSONField(default=dict)
    markdown = models.TextField(blank=True)
    emailed_at = models.DateTimeField(
        null=True, blank=True, help_text="When subscribers were sent it (once per report)."
    )

    class Meta:
        ordering = ["-week_start", "portfolio"]
        get_latest_by = "week_start"
        constraints = [
            models.UniqueConstraint(
                fields=["portfolio", "week_start"], name="weekly_report_once_per_week"
            ),
        ]
        indexes = [models.Index(fields=["portfolio", "-week_start"])]

    def __str__(self) -> str:
        return f"{self.portfolio} — week of {self.week_start:%d %b %Y}"

    def get_absolute_url(self) -> str:
        return reverse(
            "leadership:report-detail",
            kwargs={"portfolio": self.portfolio.slug, "week": self.week_start.isoformat()},
        )


class ReportSubscription(TimeStampedModel):
    """A person who gets a portfolio's weekly report by e-mail."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="report_subscriptions"
    )
    portfolio = models.ForeignKey(
        Portfolio, on_delete=models.CASCADE, related_name="report_subscriptions"
    )

    class Meta:
        ordering = ["portfolio", "user"]
        constraints = [
            models.UniqueConstraint(fields=["user", "portfolio"], name="subscription_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user} ← {self.portfolio} weekly report"
