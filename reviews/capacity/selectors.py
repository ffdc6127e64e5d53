"""Every read of capacity governance that a page or endpoint makes, in a fixed number of queries.

Requests are visible when their program is (``programs.selectors.visible_programs``). Budget
totals per team and quarter are aggregates over all of a team's requests: they reveal no
program's name.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet, Sum
from django.shortcuts import get_object_or_404

from programs.models import Program, Team
from programs.selectors import visible_programs
from reviews.models import (
    GRANTED_STATES,
    RESOURCE_UNITS,
    CapacityBudget,
    CapacityRequest,
    CapacityRequestState,
    ResourceKind,
)

if TYPE_CHECKING:
    from reviews.capacity.filters import CapacityRequestListFilter

# Asked for and not denied (drafts are not asks yet).
ASKED_STATES = (CapacityRequestState.SUBMITTED, *GRANTED_STATES)


def visible_requests(user) -> QuerySet[CapacityRequest]:
    return CapacityRequest.objects.filter(program__in=visible_programs(user).values("pk"))


def capacity_request_list(
    *, user, filters: "CapacityRequestListFilter | None" = None
) -> QuerySet[CapacityRequest]:
    """Visible requests, newest first, narrowed by ``filters`` (the page's FilterSet, bound to
    the query string)."""
    requests = visible_requests(user)
    if filters is None:
        requests = requests.order_by("-created_at", "-id")
    else:
        # Validating first leaves an invalid value (a stale bookmark) out instead of failing.
        filters.is_valid()
        requests = filters.filter_queryset(requests)
    return requests.select_related("team", "program", "requester")


def capacity_request_get_for_user(*, user, pk: int) -> CapacityRequest:
    """One request, or 404 when it does not exist or its program is hidden from the user."""
    return get_object_or_404(
        visible_requests(user).select_related("team", "program", "requester", "decided_by"),
        pk=pk,
    )


@dataclass(frozen=True)
class CapacityRow:
    resource_kind: str
    label: str
    unit: str
    budget: Decimal | None
    requested: Decimal
    pending: Decimal
    approved: Decimal

    @property
    def left(self) -> Decimal | None:
        return None if self.budget is None else self.budget - self.approved

    @property
    def over_budget(self) -> bool:
        return self.budget is not None and self.approved > self.budget

    @property
    def waiting_over(self) -> Decimal:
        """How much more is waiting for a decision than the budget has left (0 when it fits):
        the council cannot approve it all without an override."""
        if self.left is None:
            return self.pending
        return max(Decimal(0), self.pending - self.left)


def team_capacity(*, team: Team, quarter: str) -> list[CapacityRow]:
    """Per resource kind: the budget, what was asked (submitted or granted), what waits and
    what was approved, for one team and quarter. Two queries."""
    budgets = dict(
        CapacityBudget.objects.filter(team=team, quarter=quarter).values_list(
            "resource_kind", "amount"
        )
    )
    totals = {
        row["resource_kind"]: row
        for row in CapacityRequest.objects.filter(team=team, quarter=quarter)
        .values("resource_kind")
        .annotate(
            requested=Sum("amount", filter=Q(state__in=ASKED_STATES)),
            pending=Sum("amount", filter=Q(state=CapacityRequestState.SUBMITTED)),
            approved=Sum("approved_amount", filter=Q(state__in=GRANTED_STATES)),
        )
        .order_by()
    }
    zero = Decimal(0)
    rows = []
    for kind in ResourceKind:
        row: Mapping[str, Any] = totals.get(kind.value, {})
        if kind.value not in budgets and not row:
            continue
        rows.append(
            CapacityRow(
                resource_kind=kind.value,
                label=kind.label,
                unit=RESOURCE_UNITS[kind],
                budget=budgets.get(kind.value),
                requested=row.get("requested") or zero,
                pending=row.get("pending") or zero,
                approved=row.get("approved") or zero,
            )
        )
    return rows


@dataclass(frozen=True)
class BudgetOverviewRow:
    team: Team
    rows: list[CapacityRow]


def budget_overview(*, quarter: str) -> list[BudgetOverviewRow]:
    """Every team with a budget or a request in the quarter, with its rows. Three queries."""
    budgets: dict[tuple[int, str], Decimal] = {
        (team_id, kind): amount
        for team_id, kind, amount in CapacityBudget.objects.filter(quarter=quarter).values_list(
            "team_id", "resource_kind", "amount"
        )
    }
    totals = {
        (row["team_id"], row["resource_kind"]): row
        for row in CapacityRequest.objects.filter(quarter=quarter)
        .values("team_id", "resource_kind")
        .annotate(
            requested=Sum("amount", filter=Q(state__in=ASKED_STATES)),
            pending=Sum("amount", filter=Q(state=CapacityRequestState.SUBMITTED)),
            approved=Sum("approved_amount", filter=Q(state__in=GRANTED_STATES)),
        )
        .order_by()
    }
    team_ids = {team_id for team_id, _ in budgets} | {team_id for team_id, _ in totals}
    zero = Decimal(0)
    overview = []
    for team in Team.objects.filter(pk__in=team_ids).order_by("name"):
        rows = []
        for kind in ResourceKind:
            key = (team.pk, kind.value)
            if key not in budgets and key not in totals:
                continue
            row: Mapping[str, Any] = totals.get(key, {})
            rows.append(
                CapacityRow(
                    kind.value, kind.label, RESOURCE_UNITS[kind], budgets.get(key),
                    row.get("requested") or zero, row.get("pending") or zero,
                    row.get("approved") or zero,
                )
            )  # fmt: skip
        overview.append(BudgetOverviewRow(team, rows))
    return overview


def program_capacity_requests(*, program: Program, limit: int = 8) -> list[CapacityRequest]:
    """The program's latest capacity requests for its page: one query."""
    return list(
        program.capacity_requests.select_related("team").order_by("-created_at", "-id")[:limit]
    )


def team_requests(*, user, team: Team, quarter: str) -> QuerySet[CapacityRequest]:
    """The visible requests of one team and quarter, for its capacity page."""
    return (
        visible_requests(user)
        .filter(team=team, quarter=quarter)
        .select_related("program", "requester")
        .order_by("state", "needed_by", "id")
    )


@dataclass(frozen=True)
class RequestBudget:
    budget: Decimal | None
    approved_elsewhere: Decimal

    @property
    def left(self) -> Decimal:
        return (self.budget or Decimal(0)) - self.approved_elsewhere


def request_budget(*, request: CapacityRequest) -> RequestBudget:
    """The team's budget for the request's quarter and kind, and what other requests already
    hold of it (a read for the page; the approval recomputes it under a lock). Two queries."""
    budget = (
        CapacityBudget.objects.filter(
            team_id=request.team_id, quarter=request.quarter, resource_kind=request.resource_kind
        )
        .values_list("amount", flat=True)
        .first()
    )
    approved = (
        CapacityRequest.objects.filter(
            team_id=request.team_id,
            quarter=request.quarter,
            resource_kind=request.resource_kind,
            state__in=GRANTED_STATES,
        )
        .exclude(pk=request.pk)
        .aggregate(total=Sum("approved_amount"))["total"]
    )
    return RequestBudget(budget, approved or Decimal(0))
