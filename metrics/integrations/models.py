"""Where Pulse's events go (Slack channels, webhook endpoints) and the log of each delivery."""

import secrets
import uuid

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from core.models import TimeStampedModel
from programs.models import Portfolio, Program


class EventKind(models.TextChoices):
    """The events Pulse pushes; the value is the ``event`` field of a webhook's JSON."""

    GRADE_CHANGED = "program.grade_changed", "A program's grade changed"
    WATERMELON = "program.watermelon", "A watermelon appeared"
    LAUNCH_REVIEW_DECIDED = "launch_review.decided", "A launch review was decided"
    CAPACITY_REQUEST_DECIDED = "capacity_request.decided", "A capacity request was decided"
    WEEKLY_REPORT_READY = "weekly_report.ready", "A weekly report is ready"
    UPDATE_OVERDUE = "status_update.overdue", "A status update is overdue"


def all_event_kinds() -> list[str]:
    return list(EventKind.values)


def new_secret() -> str:
    """A signing secret: 32 random bytes, URL-safe (43 characters)."""
    return secrets.token_urlsafe(32)


def masked(value: str, *, keep: int = 4) -> str:
    """A secret as lists show it: its last few characters only."""
    return f"••••{value[-keep:]}" if value else ""


class Destination(TimeStampedModel):
    """What a Slack channel and a webhook endpoint share: a scope and the events wanted.

    A destination scoped to a portfolio gets the events of that portfolio and of its programs;
    one scoped to a program, that program's. Events of a confidential program go only to
    destinations that say ``include_confidential`` (a Slack channel's readers are not Pulse's).
    """

    name = models.CharField(max_length=120)
    portfolio = models.ForeignKey(
        Portfolio, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    program = models.ForeignKey(
        Program, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    event_types = models.JSONField(
        default=all_event_kinds, help_text="The events sent here (EventKind values)."
    )
    include_confidential = models.BooleanField(
        default=False, help_text="Also send the events of confidential programs."
    )
    active = models.BooleanField(default=True, help_text="Switched off: nothing is sent.")

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        kinds = self.event_types if isinstance(self.event_types, list) else None
        if not kinds or any(kind not in EventKind.values for kind in kinds):
            raise ValidationError({"event_types": "Choose one or more of Pulse's events."})
        if self.portfolio_id and self.program_id:
            raise ValidationError("Choose a portfolio or a program, not both.")

    @property
    def scope(self) -> str:
        if self.program_id:
            return f"program {self.program}"
        if self.portfolio_id:
            return f"portfolio {self.portfolio}"
        return "every portfolio"

    def wants(self, kind: str) -> bool:
        return self.active and kind in (self.event_types or [])


class SlackChannel(Destination):
    """A Slack (or Slack-compatible: Mattermost, Rocket.Chat) incoming webhook.

    The webhook URL is the channel's credential: whoever holds it posts there, so lists and
    the delivery log never show it.
    """

    webhook_url = models.URLField(
        max_length=500, help_text="The incoming webhook's URL (Slack: Apps → Incoming Webhooks)."
    )

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(portfolio__isnull=False, program__isnull=True)
                | Q(portfolio__isnull=True, program__isnull=False),
                name="slack_channel_portfolio_or_program",
                violation_error_message="A Slack channel is for one portfolio or one program.",
            ),
        ]

    def clean(self) -> None:
        super().clean()
        if not (self.portfolio_id or self.program_id):
            raise ValidationError("A Slack channel is for one portfolio or one program.")

    @property
    def masked_url(self) -> str:
        return masked(self.webhook_url)


class WebhookEndpoint(Destination):
    """A URL that receives each event as signed JSON (see ``metrics.integrations.signing``).

    Without a portfolio or a program it receives the events of every portfolio.
    """

    url = models.URLField(max_length=500, help_text="Receives a POST of JSON for each event.")
    secret = models.CharField(
        max_length=100,
        default=new_secret,
        editable=False,
        help_text="Signs each delivery (HMAC-SHA256); shown once, when made or rotated.",
    )

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(portfolio__isnull=True) | Q(program__isnull=True),
                name="webhook_endpoint_one_scope",
                violation_error_message="Choose a portfolio or a program, not both.",
            ),
        ]

    @property
    def masked_secret(self) -> str:
        return masked(self.secret)


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"  # waiting for its first attempt or its next retry
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"  # every attempt failed (or its destination was switched off)


class Delivery(TimeStampedModel):
    """One event sent to one destination: the exact JSON sent and how its attempts went.

    Exactly one of ``channel`` and ``endpoint``. ``event_id`` is the event's, the same on every
    attempt and re-send, so a receiver can drop a repeat.
    """

    channel = models.ForeignKey(
        SlackChannel, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    endpoint = models.ForeignKey(
        WebhookEndpoint, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(max_length=40, choices=EventKind)
    event_id = models.UUIDField(default=uuid.uuid4)
    program = models.ForeignKey(
        Program, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    payload = models.JSONField(help_text="The JSON body sent.")
    status = models.CharField(max_length=12, choices=DeliveryStatus, default=DeliveryStatus.PENDING)
    status_code = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="The last attempt's HTTP status (none: no answer)."
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_retry_at = models.DateTimeField(
        null=True, blank=True, help_text="When a pending delivery is tried (again)."
    )
    delivered_at = models.DateTimeField(null=True, blank=True)
    resent_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="resends"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "deliveries"
        constraints = [
            models.CheckConstraint(
                condition=Q(channel__isnull=False, endpoint__isnull=True)
                | Q(channel__isnull=True, endpoint__isnull=False),
                name="delivery_to_channel_or_endpoint",
            ),
        ]
        indexes = [
            # The sweep: pending deliveries whose time has come.
            models.Index(
                fields=["next_retry_at"],
                condition=Q(status="pending"),
                name="delivery_pending_due",
            ),
            models.Index(fields=["status", "-created_at"], name="delivery_status_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.get_event_display()} → {self.destination}"

    @property
    def destination(self) -> SlackChannel | WebhookEndpoint | None:
        return self.channel or self.endpoint


class DeliveryAttempt(models.Model):
    """One HTTP request of a delivery, and what came back."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(default=0)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True, help_text="Empty when the receiver answered 2xx.")

    class Meta:
        ordering = ["delivery", "number"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "number"], name="delivery_attempt_once"),
        ]

    def __str__(self) -> str:
        return f"attempt {self.number}: {self.status_code or self.error[:40]}"
