"""Capacity governance measured: lead times, outcomes, budget overrides, budget use and the
requests left waiting.

- *lead times*: submitted → decided (for requests decided in the quarter; an auto-approval
  counts as decided at once), decided → fulfilled and submitted → fulfilled (for requests
  fulfilled in the quarter);
- *outcomes* of the requests decided in the quarter: approved in full, cut (approved in part)
  or denied;
- *overrides*: approvals decided in the quarter with a recorded reason for exceeding the budget:
  who decided, how much was approved, the budget and what the team has been granted against it;
- *budget use*: per team and resource, the budget of the quarter against what was granted on
  requests drawing on it;
- *waiting*: requests submitted and undecided for longer than
  ``settings.INSIGHTS_CAPACITY_WAITING_DAYS`` (default 14), whatever the quarter.

Requests count through their program: a confidential program's only for those who may see it.
The team filter applies to the requesting team.
"""

import datetime
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Count, DecimalField, Exists, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.urls import reverse

from metrics.insights.selectors import (
    QUARTER_KEYS,
    InsightsFilters,
    Seconds,
    Spread,
    quarter_of_field,
    scoped_programs,
    share,
    spreads_by,
)
from reviews.models import (
    GRANTED_STATES,
    RESOURCE_UNITS,
    CapacityBudget,
    CapacityRequest,
    CapacityRequestState,
    ResourceKind,
)

KIND_LABELS = dict(ResourceKind.choices)


def waiting_threshold_days() -> int:
    return int(getattr(settings, "INSIGHTS_CAPACITY_WAITING_DAYS", 14))


@dataclass(frozen=True)
class Outcomes:
    approved: int = 0
    cut: int = 0
    denied: int = 0

    @property
    def decided(self) -> int:
        return self.approved + self.cut + self.denied

    @property
    def approved_share(self) -> float | None:
        return share(self.approved, self.decided)

    @property
    def cut_share(self) -> float | None:
        return share(self.cut, self.decided)

    @property
    def denied_share(self) -> float | None:
        return share(self.denied, self.decided)


@dataclass(frozen=True)
class CapacityQuarter:
    quarter: str
    submitted_to_decided: Spread
    decided_to_fulfilled: Spread
    submitted_to_fulfilled: Spread
    outcomes: Outcomes
    overrides: int


@dataclass(frozen=True)
class Override:
    request_id: int
    request_url: str
    team: str
    program: str
    resource_kind: str
    resource_label: str
    unit: str
    amount: Decimal
    approved_amount: Decimal
    budget: Decimal | None
    granted: Decimal  # the team's grants of that kind and quarter, this one included
    over_by: Decimal  # how far those grants now exceed the budget
    decided_by: str
    decided_on: datetime.date
    reason: str


@dataclass(frozen=True)
class BudgetUse:
    team: str
    resource_kind: str
    resource_label: str
    unit: str
    budget: Decimal
    granted: Decimal
    used_share: float | None


@dataclass(frozen=True)
class WaitingRequest:
    request_id: int
    request_url: str
    team: str
    program: str
    resource_label: str
    unit: str
    amount: Decimal
    submitted_on: datetime.date
    days_waiting: int


@dataclass(frozen=True)
class CapacityInsights:
    quarter: str
    submitted_to_decided: Spread
    decided_to_fulfilled: Spread
    submitted_to_fulfilled: Spread
    outcomes: Outcomes
    waiting_threshold_days: int
    overrides: list[Override] = field(default_factory=list)
    budget_use: list[BudgetUse] = field(default_factory=list)
    waiting: list[WaitingRequest] = field(default_factory=list)
    trend: list[CapacityQuarter] = field(default_factory=list)


def _granted_of_budget(team: str, quarter: str, kind: str, programs: Any) -> Coalesce:
    """The approved amounts of the granted requests drawing on a budget row (``OuterRef``s)."""
    granted = (
        CapacityRequest.objects.filter(
            team_id=OuterRef(team),
            quarter=OuterRef(quarter),
            resource_kind=OuterRef(kind),
            state__in=GRANTED_STATES,
            program__in=programs,
        )
        .order_by()
        .values("team_id")
        .annotate(total=Sum("approved_amount"))
        .values("total")
    )
    return Coalesce(
        Subquery(granted),
        Value(Decimal(0)),
        output_field=DecimalField(max_digits=16, decimal_places=2),
    )


def capacity_insights(
    *, user: Any, filters: InsightsFilters, now: datetime.datetime
) -> CapacityInsights:
    """The capacity measures of the chosen quarter, and the trend over four quarters."""
    # The team filter is the requesting team's, not every team on the program.
    programs = scoped_programs(user=user, filters=replace(filters, team="")).values("pk")
    requests = CapacityRequest.objects.filter(program__in=programs)
    if filters.team:
        requests = requests.filter(team__slug=filters.team)
    start, end = filters.window
    quarter = filters.quarter

    decided = spreads_by(
        requests.filter(decided_at__gte=start, decided_at__lt=end, submitted_at__isnull=False),
        values={"lead": Seconds(F("decided_at"), F("submitted_at"))},
        group=quarter_of_field("decided_at"),
    )
    fulfilled = spreads_by(
        requests.filter(fulfilled_at__gte=start, fulfilled_at__lt=end),
        values={
            "decided_to_fulfilled": Seconds(F("fulfilled_at"), F("decided_at")),
            "submitted_to_fulfilled": Seconds(F("fulfilled_at"), F("submitted_at")),
        },
        group=quarter_of_field("fulfilled_at"),
    )
    denied = Q(state=CapacityRequestState.DENIED)
    cut = ~denied & Q(approved_amount__lt=F("amount"))
    outcomes = {
        (row["in_year"], row["in_quarter"]): row
        for row in requests.filter(decided_at__gte=start, decided_at__lt=end)
        .annotate(**quarter_of_field("decided_at"))
        .order_by()
        .values(*QUARTER_KEYS)
        .annotate(
            denied=Count("pk", filter=denied),
            cut=Count("pk", filter=cut),
            approved=Count("pk", filter=~denied & Q(approved_amount__gte=F("amount"))),
            overrides=Count("pk", filter=~Q(override_reason="")),
        )
    }
    trend = []
    for each in quarter.trend():
        key = (each.year, each.number)
        row = outcomes.get(key, {})
        trend.append(
            CapacityQuarter(
                quarter=str(each),
                submitted_to_decided=decided.get(key, {}).get("lead", Spread()),
                decided_to_fulfilled=fulfilled.get(key, {}).get("decided_to_fulfilled", Spread()),
                submitted_to_fulfilled=fulfilled.get(key, {}).get(
                    "submitted_to_fulfilled", Spread()
                ),
                outcomes=Outcomes(
                    approved=row.get("approved", 0),
                    cut=row.get("cut", 0),
                    denied=row.get("denied", 0),
                ),
                overrides=row.get("overrides", 0),
            )
        )
    this = trend[-1]
    return CapacityInsights(
        quarter=str(quarter),
        submitted_to_decided=this.submitted_to_decided,
        decided_to_fulfilled=this.decided_to_fulfilled,
        submitted_to_fulfilled=this.submitted_to_fulfilled,
        outcomes=this.outcomes,
        waiting_threshold_days=waiting_threshold_days(),
        overrides=_overrides(
            requests, programs, quarter_start=quarter.start, quarter_end=quarter.end
        ),
        budget_use=_budget_use(requests, programs, filters=filters),
        waiting=_waiting(requests, now=now),
        trend=trend,
    )


def _overrides(
    requests: Any,
    programs: Any,
    *,
    quarter_start: datetime.datetime,
    quarter_end: datetime.datetime,
) -> list[Override]:
    budget = CapacityBudget.objects.filter(
        team_id=OuterRef("team_id"),
        quarter=OuterRef("quarter"),
        resource_kind=OuterRef("resource_kind"),
    ).values("amount")[:1]
    rows = (
        requests.filter(decided_at__gte=quarter_start, decided_at__lt=quarter_end)
        .exclude(override_reason="")
        .select_related("team", "program", "decided_by")
        .annotate(
            budget_amount=Subquery(budget),
            granted_total=_granted_of_budget("team_id", "quarter", "resource_kind", programs),
        )
        .order_by("decided_at", "pk")
    )
    overrides = []
    for request in rows:
        granted = request.granted_total
        over_by = max(Decimal(0), granted - (request.budget_amount or Decimal(0)))
        decider = request.decided_by
        overrides.append(
            Override(
                request_id=request.pk,
                request_url=request.get_absolute_url(),
                team=request.team.name,
                program=request.program.name,
                resource_kind=request.resource_kind,
                resource_label=KIND_LABELS.get(request.resource_kind, request.resource_kind),
                unit=RESOURCE_UNITS[request.resource_kind],
                amount=request.amount,
                approved_amount=request.approved_amount or Decimal(0),
                budget=request.budget_amount,
                granted=granted,
                over_by=over_by,
                decided_by=(decider.get_full_name() or decider.username) if decider else "",
                decided_on=request.decided_at.date(),
                reason=request.override_reason,
            )
        )
    return overrides


def _budget_use(requests: Any, programs: Any, *, filters: InsightsFilters) -> list[BudgetUse]:
    budgets = CapacityBudget.objects.filter(quarter=str(filters.quarter))
    if filters.team:
        budgets = budgets.filter(team__slug=filters.team)
    if filters.portfolio:
        # A portfolio's view shows the budgets its programs drew on.
        budgets = budgets.filter(
            Exists(
                requests.filter(
                    team_id=OuterRef("team_id"),
                    quarter=OuterRef("quarter"),
                    resource_kind=OuterRef("resource_kind"),
                )
            )
        )
    rows = (
        budgets.annotate(
            granted=_granted_of_budget("team_id", "quarter", "resource_kind", programs)
        )
        .order_by("team__name", "resource_kind")
        .values("team__name", "resource_kind", "amount", "granted")
    )
    return [
        BudgetUse(
            team=row["team__name"],
            resource_kind=row["resource_kind"],
            resource_label=KIND_LABELS.get(row["resource_kind"], row["resource_kind"]),
            unit=RESOURCE_UNITS[row["resource_kind"]],
            budget=row["amount"],
            granted=row["granted"],
            used_share=round(float(row["granted"] / row["amount"]), 3) if row["amount"] else None,
        )
        for row in rows
    ]


def _waiting(requests: Any, *, now: datetime.datetime) -> list[WaitingRequest]:
    threshold = waiting_threshold_days()
    rows = (
        requests.filter(
            state=CapacityRequestState.SUBMITTED,
            submitted_at__lt=now - datetime.timedelta(days=threshold),
        )
        .select_related("team", "program")
        .order_by("submitted_at", "pk")
    )
    return [
        WaitingRequest(
            request_id=request.pk,
            request_url=reverse("reviews:capacity-detail", kwargs={"pk": request.pk}),
            team=request.team.name,
            program=request.program.name,
            resource_label=KIND_LABELS.get(request.resource_kind, request.resource_kind),
            unit=RESOURCE_UNITS[request.resource_kind],
            amount=request.amount,
            submitted_on=request.submitted_at.date(),
            days_waiting=(now - request.submitted_at).days,
        )
        for request in rows
    ]
