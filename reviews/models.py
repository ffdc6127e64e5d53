"""The governance programs pass through: launch reviews and capacity requests.

Launch reviews
    ``ChecklistTemplate`` (one active version per launch tier) → ``LaunchReview``, which copies
    the template's items into ``LaunchReviewItem`` rows when it is created, so later template
    changes never rewrite a review. Reviewers (``Reviewer`` with the ``ReviewerArea`` they
    cover) sign each area off or send it back (``SignOff``); the author answers in
    ``ReviewComment``.

    Templates are immutable once a review uses them: admin shows a used template read-only and
    offers "Copy as a new version" instead. A review keeps a reference to the exact version it
    was created from.

Capacity governance
    ``CapacityBudget`` per team, quarter and resource kind; ``CapacityRequest`` against it;
    ``AutoApprovalThreshold`` per resource kind. Approvals never exceed the budget without a
    recorded override reason (``reviews.capacity_services``).

The legal state changes of both workflows are in ``reviews.states``.
"""

import datetime

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from simple_history.models import HistoricalRecords

from core.models import SHORT_TEXT, BoundedTextField, TimeStampedModel, VersionedModel
from programs.models import Decision, Milestone, Portfolio, Program, Team

User = settings.AUTH_USER_MODEL


class ReviewArea(models.TextChoices):
    RELIABILITY = "reliability", "Reliability"
    SECURITY = "security", "Security"
    OBSERVABILITY = "observability", "Observability"
    CAPACITY = "capacity", "Capacity"
    ROLLBACK = "rollback", "Rollback"
    COMPLIANCE = "compliance", "Compliance"
    DOCUMENTATION = "documentation", "Documentation"


class LaunchTier(models.IntegerChoices):
    TIER_1 = 1, "Tier 1 — customer-facing or company-critical"
    TIER_2 = 2, "Tier 2 — internal, many teams depend on it"
    TIER_3 = 3, "Tier 3 — low risk, easily rolled back"


# --- Checklist templates --------------------------------------------------------------------


class ChecklistTemplate(TimeStampedModel):
    name = models.CharField(max_length=200)
    tier = models.PositiveSmallIntegerField(choices=LaunchTier)
    version = models.PositiveIntegerField(default=1)
    active = models.BooleanField(
        default=False, help_text="New reviews of this tier use the active version (one per tier)."
    )
    description = BoundedTextField(blank=True)

    class Meta:
        ordering = ["tier", "name", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["name", "version"], name="template_name_version"),
            models.UniqueConstraint(
                fields=["tier"],
                condition=Q(active=True),
                name="template_one_active_per_tier",
                violation_error_message="Another version is already active for this tier.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"

    @property
    def in_use(self) -> bool:
        """A review was created from it: it is frozen from now on."""
        return self.reviews.exists()


class ChecklistItem(models.Model):
    template = models.ForeignKey(ChecklistTemplate, on_delete=models.CASCADE, related_name="items")
    area = models.CharField(max_length=20, choices=ReviewArea)
    question = models.CharField(max_length=300)
    guidance = BoundedTextField(blank=True, help_text="The action expected and the evidence.")
    required = models.BooleanField(default=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["template", "order", "id"]

    def __str__(self) -> str:
        return self.question


# --- Reviewers ------------------------------------------------------------------------------


class Reviewer(TimeStampedModel):
    """A person who reviews (also in the Reviewer role): the areas they sign off, and whether
    they sit on the capacity council that decides capacity requests."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="reviewer")
    capacity_council = models.BooleanField(
        default=False, help_text="Approves, cuts or denies capacity requests."
    )

    class Meta:
        ordering = ["user__username"]

    def __str__(self) -> str:
        return self.user.get_full_name() or self.user.username


class ReviewerArea(models.Model):
    reviewer = models.ForeignKey(Reviewer, on_delete=models.CASCADE, related_name="areas")
    area = models.CharField(max_length=20, choices=ReviewArea)

    class Meta:
        ordering = ["reviewer", "area"]
        constraints = [
            models.UniqueConstraint(fields=["reviewer", "area"], name="reviewer_area_once")
        ]
        indexes = [models.Index(fields=["area"])]

    def __str__(self) -> str:
        return f"{self.reviewer} — {self.get_area_display()}"


# --- Launch reviews -------------------------------------------------------------------------


class LaunchReviewState(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    IN_REVIEW = "in_review", "In review"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    APPROVED = "approved", "Approved"
    LAUNCHED = "launched", "Launched"
    WITHDRAWN = "withdrawn", "Withdrawn"


# States in which the author edits answers.
EDITABLE_REVIEW_STATES = (LaunchReviewState.DRAFT, LaunchReviewState.CHANGES_REQUESTED)
# States in which reviewers act.
REVIEWABLE_STATES = (LaunchReviewState.SUBMITTED, LaunchReviewState.IN_REVIEW)
# Reviews that still count for a launch (health engine, panels).
OPEN_REVIEW_STATES = (
    LaunchReviewState.DRAFT,
    LaunchReviewState.SUBMITTED,
    LaunchReviewState.IN_REVIEW,
    LaunchReviewState.CHANGES_REQUESTED,
    LaunchReviewState.APPROVED,
)


class LaunchReview(VersionedModel):
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="launch_reviews")
    milestone = models.ForeignKey(
        Milestone,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="launch_reviews",
        help_text="The milestone this launch delivers, if any (of the same program).",
    )
    title = models.CharField(max_length=200)
    launch_date = models.DateField()
    tier = models.PositiveSmallIntegerField(choices=LaunchTier)
    template = models.ForeignKey(
        ChecklistTemplate, on_delete=models.PROTECT, related_name="reviews", editable=False
    )
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="launch_reviews")
    state = models.CharField(
        max_length=20, choices=LaunchReviewState, default=LaunchReviewState.DRAFT, editable=False
    )
    submitted_at = models.DateTimeField(null=True, blank=True, editable=False)
    decided_at = models.DateTimeField(null=True, blank=True, editable=False)
    launched_at = models.DateTimeField(null=True, blank=True, editable=False)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["launch_date", "id"]
        indexes = [
            models.Index(fields=["program", "state"]),
            models.Index(fields=["state", "launch_date"]),
            models.Index(fields=["launch_date"]),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("reviews:launch-detail", kwargs={"pk": self.pk})

    @property
    def is_editable(self) -> bool:
        return self.state in EDITABLE_REVIEW_STATES


class AnswerStatus(models.TextChoices):
    NOT_DONE = "not_done", "Not done"
    DONE = "done", "Done"
    NOT_APPLICABLE = "not_applicable", "Not applicable"


class LaunchReviewItem(VersionedModel):
    """One checklist question of one review, copied from its template, with its answer."""

    review = models.ForeignKey(LaunchReview, on_delete=models.CASCADE, related_name="items")
    area = models.CharField(max_length=20, choices=ReviewArea)
    question = models.CharField(max_length=300)
    guidance = BoundedTextField(blank=True)
    required = models.BooleanField(default=True)
    order = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(max_length=20, choices=AnswerStatus, default=AnswerStatus.NOT_DONE)
    not_applicable_reason = BoundedTextField(max_length=SHORT_TEXT, blank=True)
    evidence = models.JSONField(default=list, blank=True, help_text="Links (http or https).")
    notes = BoundedTextField(max_length=SHORT_TEXT, blank=True)
    answered_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["review", "order", "id"]
        indexes = [models.Index(fields=["review", "area"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="not_applicable") | ~Q(not_applicable_reason=""),
                name="item_not_applicable_has_reason",
                violation_error_message="Say why this does not apply.",
            ),
        ]

    def __str__(self) -> str:
        return self.question

    @property
    def is_open(self) -> bool:
        """Neither done nor justified as not applicable."""
        return self.status == AnswerStatus.NOT_DONE


class SignOffDecision(models.TextChoices):
    APPROVED = "approved", "Approved"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"


class SignOff(TimeStampedModel):
    """A reviewer's decision on one area of a review.

    The live sign-off of an area is its latest one that is not ``superseded``. A sign-off is
    superseded when the author changes an answer in its area (an approval no longer covers
    what it approved) or resubmits after changes were requested.
    """

    review = models.ForeignKey(LaunchReview, on_delete=models.CASCADE, related_name="sign_offs")
    area = models.CharField(max_length=20, choices=ReviewArea)
    reviewer = models.ForeignKey(User, on_delete=models.PROTECT, related_name="sign_offs")
    decision = models.CharField(max_length=20, choices=SignOffDecision)
    comment = BoundedTextField(max_length=SHORT_TEXT, blank=True)
    superseded = models.BooleanField(default=False)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["review", "area", "superseded"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(decision="changes_requested") | ~Q(comment=""),
                name="sign_off_changes_have_comment",
                violation_error_message="Say what needs to change.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_area_display()}: {self.get_decision_display()}"


class ReviewComment(TimeStampedModel):
    """The author's answer to reviewers (or anyone's note) on a review."""

    review = models.ForeignKey(LaunchReview, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    area = models.CharField(max_length=20, choices=ReviewArea, blank=True)
    body = BoundedTextField(max_length=SHORT_TEXT)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.body[:60]


# --- Idempotent API writes ------------------------------------------------------------------


class IdempotencyRecord(models.Model):
    """The stored answer to a write sent with an ``Idempotency-Key`` header.

    The same key and body get this answer again instead of a second write; the same key
    with another body is refused.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    scope = models.CharField(max_length=200, help_text="The endpoint the key was used on.")
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of the request body.")
    status_code = models.PositiveSmallIntegerField()
    body = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.scope})"


# --- Capacity governance --------------------------------------------------------------------


class ResourceKind(models.TextChoices):
    VCPU = "vcpu", "vCPU"
    MEMORY = "memory_gib", "Memory (GiB)"
    STORAGE = "storage_tib", "Storage (TiB)"
    DATABASE_IOPS = "db_iops", "Database IOPS"
    QUEUE_PARTITIONS = "queue_partitions", "Queue partitions"
    MONTHLY_COST = "monthly_cost_usd", "Monthly cost (USD)"


RESOURCE_UNITS = {
    ResourceKind.VCPU: "vCPU",
    ResourceKind.MEMORY: "GiB",
    ResourceKind.STORAGE: "TiB",
    ResourceKind.DATABASE_IOPS: "IOPS",
    ResourceKind.QUEUE_PARTITIONS: "partitions",
    ResourceKind.MONTHLY_COST: "USD/month",
}

quarter_validator = RegexValidator(
    r"^\d{4}-Q[1-4]$", "A quarter looks like 2026-Q4 (year, Q, 1 to 4)."
)


def quarter_of(day: datetime.date) -> str:
    """The calendar quarter a day falls in, as "2026-Q4"."""
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


AMOUNT = {"max_digits": 14, "decimal_places": 2, "validators": [MinValueValidator(0)]}


class CapacityBudget(VersionedModel):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="capacity_budgets")
    quarter = models.CharField(max_length=7, validators=[quarter_validator])
    resource_kind = models.CharField(max_length=20, choices=ResourceKind)
    amount = models.DecimalField(**AMOUNT)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["team", "quarter", "resource_kind"]
        indexes = [models.Index(fields=["quarter", "resource_kind"])]
        constraints = [
            models.UniqueConstraint(
                fields=["team", "quarter", "resource_kind"],
                name="budget_once_per_team_quarter_kind",
                violation_error_message="This team already has a budget for that quarter and kind.",
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="budget_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.team} {self.quarter} {self.get_resource_kind_display()}: {self.amount}"

    @property
    def unit(self) -> str:
        return RESOURCE_UNITS[self.resource_kind]


class AutoApprovalThreshold(TimeStampedModel):
    """Requests of this kind up to ``max_amount`` are approved on submit (within budget)."""

    resource_kind = models.CharField(max_length=20, choices=ResourceKind, unique=True)
    max_amount = models.DecimalField(**AMOUNT)

    class Meta:
        ordering = ["resource_kind"]

    def __str__(self) -> str:
        return f"{self.get_resource_kind_display()} ≤ {self.max_amount}"


class CapacityRequestState(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    APPROVED = "approved", "Approved"
    PARTIALLY_APPROVED = "partially_approved", "Partially approved"
    DENIED = "denied", "Denied"
    FULFILLED = "fulfilled", "Fulfilled"


# Requests whose approved amount counts against the budget.
GRANTED_STATES = (
    CapacityRequestState.APPROVED,
    CapacityRequestState.PARTIALLY_APPROVED,
    CapacityRequestState.FULFILLED,
)


class CapacityRequest(VersionedModel):
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="capacity_requests")
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="capacity_requests")
    requester = models.ForeignKey(User, on_delete=models.PROTECT, related_name="capacity_requests")
    resource_kind = models.CharField(max_length=20, choices=ResourceKind)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    environment = models.CharField(max_length=60, help_text="e.g. production, staging.")
    region = models.CharField(max_length=60, help_text="e.g. eu-west-1, or global.")
    needed_by = models.DateField()
    quarter = models.CharField(
        max_length=7,
        validators=[quarter_validator],
        editable=False,
        help_text="The quarter of the needed-by date: whose budget it draws on.",
    )
    justification = BoundedTextField(help_text="Markdown. Why, and how the amount was sized.")
    state = models.CharField(
        max_length=20,
        choices=CapacityRequestState,
        default=CapacityRequestState.DRAFT,
        editable=False,
    )
    approved_amount = models.DecimalField(
        max_digits=14, decimal_places=2, null=True, blank=True, editable=False
    )
    decision_note = BoundedTextField(blank=True, editable=False)
    override_reason = BoundedTextField(
        blank=True, editable=False, help_text="Why the approval exceeds the team's budget."
    )
    auto_approved = models.BooleanField(default=False, editable=False)
    decided_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    submitted_at = models.DateTimeField(null=True, blank=True, editable=False)
    decided_at = models.DateTimeField(null=True, blank=True, editable=False)
    fulfilled_at = models.DateTimeField(null=True, blank=True, editable=False)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["team", "quarter", "resource_kind", "state"]),
            models.Index(fields=["program", "state"]),
            models.Index(fields=["state", "needed_by"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="request_amount_positive"),
            models.CheckConstraint(
                condition=Q(approved_amount__isnull=True)
                | Q(approved_amount__gte=0, approved_amount__lte=models.F("amount")),
                name="request_approved_within_asked",
                violation_error_message="The approved amount is between 0 and the amount asked.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.unit} for {self.team} ({self.program})"

    def get_absolute_url(self) -> str:
        return reverse("reviews:capacity-detail", kwargs={"pk": self.pk})

    @property
    def unit(self) -> str:
        return RESOURCE_UNITS[self.resource_kind]


# --- Operational reviews --------------------------------------------------------------------


class OperationalReviewState(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    IN_PROGRESS = "in_progress", "In progress"
    CLOSED = "closed", "Closed"


class OperationalReview(VersionedModel):
    """The weekly operational review: a meeting on a date, optionally for one portfolio.

    Its agenda is built live by ``metrics.agenda`` from health, updates, launches, capacity and
    action items; when the review is closed the agenda is frozen into ``agenda`` (JSON) so the
    record of the meeting stays as it was. Decisions about a program are the program's own
    ``Decision`` rows (its RAID log), linked here through ``decisions``.
    """

    date = models.DateField()
    title = models.CharField(max_length=200)
    portfolio = models.ForeignKey(
        Portfolio,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="operational_reviews",
        help_text="Leave empty for a review of every program.",
    )
    state = models.CharField(
        max_length=20,
        choices=OperationalReviewState,
        default=OperationalReviewState.SCHEDULED,
        editable=False,
    )
    notes = BoundedTextField(blank=True, help_text="Markdown. What was said, in the meeting.")
    facilitator = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
        help_text="Empty when the weekly schedule created it.",
    )
    started_at = models.DateTimeField(null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)
    agenda = models.JSONField(
        null=True, blank=True, editable=False, help_text="The agenda as it was when closed."
    )
    decisions = models.ManyToManyField(
        Decision, blank=True, related_name="operational_reviews", editable=False
    )

    history = HistoricalRecords(excluded_fields=["updated_at", "agenda"])

    class Meta:
        ordering = ["-date", "-id"]
        indexes = [models.Index(fields=["state", "date"]), models.Index(fields=["date"])]
        constraints = [
            # One review per day and scope: the weekly task relies on it to stay idempotent.
            models.UniqueConstraint(
                fields=["date"],
                condition=Q(portfolio__isnull=True),
                name="ops_review_once_a_day",
                violation_error_message="There is already a review of every program that day.",
            ),
            models.UniqueConstraint(
                fields=["date", "portfolio"],
                condition=Q(portfolio__isnull=False),
                name="ops_review_once_a_day_per_portfolio",
                violation_error_message="This portfolio already has a review that day.",
            ),
            models.CheckConstraint(
                condition=~Q(state="closed") | Q(closed_at__isnull=False),
                name="ops_review_closed_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.date:%Y-%m-%d})"

    def get_absolute_url(self) -> str:
        return reverse("ops:detail", kwargs={"pk": self.pk})

    @property
    def is_closed(self) -> bool:
        return self.state == OperationalReviewState.CLOSED


class ActionItemState(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"


class ActionItem(VersionedModel):
    """Something somebody agreed to do in an operational review.

    Open items carry over: they appear on every later review until closed. ``created_in`` is
    the review that agreed it, ``closed_in`` the one in which it was closed (empty when its
    owner closed it between meetings).
    """

    title = models.CharField(max_length=300)
    owner = models.ForeignKey(User, on_delete=models.PROTECT, related_name="action_items")
    due_date = models.DateField()
    program = models.ForeignKey(
        Program, null=True, blank=True, on_delete=models.CASCADE, related_name="action_items"
    )
    state = models.CharField(
        max_length=10, choices=ActionItemState, default=ActionItemState.OPEN, editable=False
    )
    created_in = models.ForeignKey(
        OperationalReview, on_delete=models.CASCADE, related_name="action_items", editable=False
    )
    closed_in = models.ForeignKey(
        OperationalReview,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="closed_action_items",
        editable=False,
    )
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", editable=False)
    closed_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["due_date", "id"]
        indexes = [
            models.Index(fields=["state", "due_date"]),
            models.Index(fields=["owner", "state"]),
            models.Index(fields=["created_in"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(state="open", closed_at__isnull=True)
                | Q(state="done", closed_at__isnull=False),
                name="action_item_done_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.state == ActionItemState.OPEN
