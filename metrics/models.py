"""How healthy a program is, and why: success metrics, the health policy and daily snapshots."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from simple_history.models import HistoricalRecords

from core.grades import Grade
from core.models import TimeStampedModel, VersionedModel
from programs.models import Portfolio, Program


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
    reading_interval_days = models.PositiveSmallIntegerField(
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text="How often a reading is expected, in days: longer without one is a watch signal.",
    )

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


def _threshold(default: int, help_text: str, *, low: int = 0, high: int = 365):
    return models.PositiveSmallIntegerField(
        default=default,
        validators=[MinValueValidator(low), MaxValueValidator(high)],
        help_text=help_text,
    )


class HealthPolicy(TimeStampedModel):
    """Weights and thresholds of the health grade. One default; optional per-portfolio overrides.

    The grade follows the worst signal (``metrics.health``): each threshold below decides when
    a signal fires and how severe it is; the defaults are those of the TPM rubric. The weights
    only rank programs by score within their grade's band.
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
        default=75,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="Lowest score of a green program (the score always lies in its grade's band).",
    )
    yellow_at = models.PositiveSmallIntegerField(
        default=50,
        validators=[MinValueValidator(0), MaxValueValidator(99)],
        help_text="Lowest score of a yellow program; red programs score below it.",
    )
    yellow_families_for_red = _threshold(
        2,
        "Yellow signals in this many different families (schedule, freshness, risk, launch, "
        "outcomes, dependencies) make a program red.",
        low=2,
        high=6,
    )
    # Schedule.
    critical_overdue_red_days = _threshold(
        14, "A critical milestone overdue 1 to this many days is yellow; longer is red.", low=1
    )
    overdue_yellow_days = _threshold(
        14, "A non-critical milestone overdue longer than this is yellow (up to it: watch).", low=1
    )
    overdue_count_yellow = _threshold(
        3, "This many open milestones overdue at once is yellow.", low=1, high=50
    )
    critical_start_window_days = _threshold(
        7, "A critical milestone due within this many days and still planned is yellow."
    )
    pushes_watch = _threshold(
        2, "A milestone pushed this many times is worth a watch line.", low=1, high=50
    )
    pushes_yellow = _threshold(
        3, "A milestone pushed this many times or more is yellow.", low=1, high=50
    )
    slip_yellow_percent = _threshold(
        15,
        "Slips adding up to more than this share of the program's length (%) are yellow.",
        high=1000,
    )
    slip_red_percent = _threshold(
        40, "Slips adding up to more than this share of the program's length (%) are red.",
        high=1000,
    )  # fmt: skip
    forecast_yellow_days = _threshold(
        14, "The next critical milestone forecast more than this many days late is yellow."
    )
    # Freshness.
    stale_watch_cadences = _threshold(
        1, "Last update older than this many cadences: watch.", low=1, high=52
    )
    stale_yellow_cadences = _threshold(
        2,
        "Last update older than this many cadences (or none ever, on a program that old): "
        "yellow, and the update no longer counts as current (stale, never a watermelon).",
        low=1,
        high=52,
    )
    stale_red_cadences = _threshold(
        4, "Last update older than this many cadences: red.", low=1, high=52
    )
    # Risk.
    high_risk_exposure = _threshold(
        15,
        "Likelihood × impact at or above this makes a risk high: open with no mitigation under "
        "way, or its mitigation past due, it is yellow.",
        low=1,
        high=25,
    )
    high_risks_for_red = _threshold(
        2, "This many such high risks make a program red.", low=1, high=50
    )
    # Launch readiness.
    launch_yellow_days = _threshold(14, "A launch within this many days not approved is yellow.")
    launch_red_days = _threshold(
        7, "A launch within this many days not approved, with required items open, is red."
    )
    # Outcomes.
    metric_behind_yellow_percent = _threshold(
        25,
        "A metric's latest reading more than this share (%) of the baseline-to-target distance "
        "behind its straight path is yellow (outcomes alone never make a program red).",
        low=1,
        high=100,
    )
    # Dependencies.
    upstream_red_days = _threshold(
        14,
        "A critical milestone waiting on a critical upstream milestone overdue longer than "
        "this is red (any overdue or later upstream milestone: yellow).",
    )
    # Alignment.
    plan_ack_watch_days = _threshold(
        14,
        "A published plan still waiting for a team lead's or the sponsor's acknowledgement "
        "after this many days is a watch line (and is on the ops review's agenda).",
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
            models.CheckConstraint(
                condition=Q(stale_watch_cadences__lte=F("stale_yellow_cadences"))
                & Q(stale_yellow_cadences__lte=F("stale_red_cadences"))
                & Q(pushes_watch__lte=F("pushes_yellow"))
                & Q(slip_yellow_percent__lte=F("slip_red_percent"))
                & Q(launch_red_days__lte=F("launch_yellow_days")),
                name="policy_watch_yellow_red_in_order",
                violation_error_message=(
                    "Each watch threshold must be at most its yellow one, and each yellow at "
                    "most its red one."
                ),
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
    grade = models.CharField(max_length=10, choices=Grade.choices)
    components = models.JSONField(default=dict)
    reasons = models.JSONField(default=list)
    watermelon = models.BooleanField(default=False)
    reported_health = models.CharField(max_length=20, blank=True)
    forecast = models.JSONField(null=True, blank=True)
    # No current update (older than the freshness window, or none): flagged stale instead of
    # watermelon.
    stale = models.BooleanField(default=False)
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


class ForecastTuning(models.Model):
    """One run of the forecast's tuning (``metrics.tuning``): the slip factor it chose from the
    finished milestones' forecasts, and the errors it measured. The latest run's factor is the
    one the engine uses (``Policy.forecast_slip_factor``); older runs are its history."""

    ran_at = models.DateTimeField(db_index=True)
    slip_factor = models.FloatField(validators=[MinValueValidator(0.0)])
    previous_factor = models.FloatField()
    samples = models.PositiveIntegerField(help_text="Forecasts of finished milestones measured.")
    since = models.DateField(help_text="The earliest finished milestone measured.")
    # Mean absolute errors in days over the samples; empty when there were too few to measure.
    error_before = models.FloatField(null=True, blank=True)
    error_after = models.FloatField(null=True, blank=True)
    plan_error = models.FloatField(null=True, blank=True)
    beat_plan = models.BooleanField(null=True, blank=True)

    class Meta:
        ordering = ["-ran_at"]
        get_latest_by = "ran_at"

    def __str__(self) -> str:
        return f"{self.ran_at:%Y-%m-%d}: slip factor {self.previous_factor} → {self.slip_factor}"

    @property
    def changed(self) -> bool:
        return self.slip_factor != self.previous_factor


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


class ExportState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Ready"
    FAILED = "failed", "Failed"


class AnalyticsExport(models.Model):
    """One bulk export of the analytics views (a zip of CSV and Parquet), built by a Celery task.

    The row is the task's progress report: the page and the API poll it. ``path`` is relative
    to ``settings.EXPORT_ROOT`` so the files can move with that directory.
    """

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="analytics_exports"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    state = models.CharField(max_length=10, choices=ExportState, default=ExportState.QUEUED)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    views_total = models.PositiveIntegerField(default=0)
    views_done = models.PositiveIntegerField(default=0)
    rows_written = models.BigIntegerField(default=0)
    path = models.CharField(max_length=255, blank=True)
    size_bytes = models.BigIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["requested_by", "-created_at"])]

    def __str__(self) -> str:
        return f"analytics export {self.pk} ({self.state})"

    @property
    def percent(self) -> int:
        if self.state == ExportState.DONE:
            return 100
        return int(100 * self.views_done / self.views_total) if self.views_total else 0

    @property
    def in_progress(self) -> bool:
        return self.state in (ExportState.QUEUED, ExportState.RUNNING)
