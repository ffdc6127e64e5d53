"""Launch reviews: the checklist a program passes before it launches.

``ChecklistTemplate`` (one active version per launch tier) → ``LaunchReview``, which copies
the template's items into ``LaunchReviewItem`` rows when it is created, so later template
changes never rewrite a review. Reviewers (``Reviewer`` with the ``ReviewerArea`` they
cover) sign each area off or send it back (``SignOff``); the author answers in
``ReviewComment``.

Templates are immutable once a review uses them: admin shows a used template read-only and
offers "Copy as a new version" instead. A review keeps a reference to the exact version it
was created from. The legal state changes are in ``reviews.states``.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from simple_history.models import HistoricalRecords

from core.models import SHORT_TEXT, BoundedTextField, TimeStampedModel, VersionedModel
from programs.models import Milestone, Program
from programs.playbooks.models import Playbook

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
    playbook = models.ForeignKey(
        Playbook,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The playbook that explains this item (reviews link the version in force).",
    )
    playbook_anchor = models.SlugField(
        max_length=80, blank=True, help_text="A heading of the playbook, e.g. 'rollback-plan'."
    )

    class Meta:
        ordering = ["template", "order", "id"]

    def __str__(self) -> str:
        return self.question


class ChecklistAreaGuidance(models.Model):
    """The playbook (and section) that explains one review area of a checklist template."""

    template = models.ForeignKey(
        ChecklistTemplate, on_delete=models.CASCADE, related_name="area_guidance"
    )
    area = models.CharField(max_length=20, choices=ReviewArea)
    playbook = models.ForeignKey(Playbook, on_delete=models.CASCADE, related_name="+")
    playbook_anchor = models.SlugField(
        max_length=80, blank=True, help_text="A heading of the playbook, e.g. 'security'."
    )

    class Meta:
        ordering = ["template", "area"]
        verbose_name_plural = "area guidance"
        constraints = [
            models.UniqueConstraint(fields=["template", "area"], name="area_guidance_once"),
        ]

    def __str__(self) -> str:
        return f"{self.get_area_display()}: {self.playbook}"


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
    # Copied from the template's item: the guidance is read in the version in force when the
    # review was made.
    playbook = models.ForeignKey(
        Playbook, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    playbook_anchor = models.SlugField(max_length=80, blank=True, editable=False)

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
