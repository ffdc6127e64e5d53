"""Capacity governance: what a team may spend in a quarter, and the requests against it.

``CapacityBudget`` per team, quarter and resource kind; ``CapacityRequest`` against it;
``AutoApprovalThreshold`` per resource kind. Approvals never exceed the budget without a
recorded override reason (``reviews.capacity.services``). The legal state changes are in
``reviews.states``.
"""

import datetime
from typing import TypedDict

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from simple_history.models import HistoricalRecords

from core.models import BoundedTextField, TimeStampedModel, VersionedModel
from programs.models import Program, Team

User = settings.AUTH_USER_MODEL


# --- Capacity governance --------------------------------------------------------------------


class ResourceKind(models.TextChoices):
    VCPU = "vcpu", "vCPU"
    MEMORY = "memory_gib", "Memory (GiB)"
    STORAGE = "storage_tib", "Storage (TiB)"
    DATABASE_IOPS = "db_iops", "Database IOPS"
    QUEUE_PARTITIONS = "queue_partitions", "Queue partitions"
    MONTHLY_COST = "monthly_cost_usd", "Monthly cost (USD)"


# Keyed by the kind's value too: a model field holds the plain string, equal to its member.
RESOURCE_UNITS: dict[str, str] = {
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


class _AmountOptions(TypedDict):
    max_digits: int
    decimal_places: int
    validators: list[MinValueValidator]


AMOUNT: _AmountOptions = {
    "max_digits": 14,
    "decimal_places": 2,
    "validators": [MinValueValidator(0)],
}


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
