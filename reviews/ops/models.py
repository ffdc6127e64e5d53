"""Operational reviews: the weekly meeting, its action items and the decisions it records."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from simple_history.models import HistoricalRecords

from core.models import BoundedTextField, VersionedModel
from programs.models import Decision, Portfolio, Program

User = settings.AUTH_USER_MODEL


# --- Operational reviews --------------------------------------------------------------------


class OperationalReviewState(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    IN_PROGRESS = "in_progress", "In progress"
    CLOSED = "closed", "Closed"


class OperationalReview(VersionedModel):
    """The weekly operational review: a meeting on a date, optionally for one portfolio.

    Its agenda is built live by ``reviews.ops.agenda`` from health, updates, launches, capacity and
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
