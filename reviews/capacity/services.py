"""Every write to capacity governance. One transaction each, validated, history recorded.

The budget guard: an approval never takes a team over its quarter's budget for a resource
kind unless the approver gives an override reason, which is recorded on the request. The
team's budget row is locked (``SELECT ... FOR UPDATE``) while the headroom is computed and
the approval written, so two approvals racing for the last of a budget run one after the
other and the second sees the first. A team without a budget row for that quarter and kind
has no headroom: every approval there needs an override.

State changes come only from ``reviews.states.CAPACITY_REQUEST_TRANSITIONS``.
"""

import datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import QuerySet, Sum
from django.utils import timezone

from core.errors import DomainError, StaleWriteError
from core.formatting import format_quantity
from core.roles import Role
from core.services import UNSET, Maybe, apply_versioned_update, given
from core.types import User
from programs.models import MembershipRole, Program, ProgramMembership, Team
from programs.signals import notify_program_changed
from reviews.capacity import emails
from reviews.models import (
    GRANTED_STATES,
    RESOURCE_UNITS,
    AutoApprovalThreshold,
    CapacityBudget,
    CapacityRequest,
    CapacityRequestState,
    ResourceKind,
    quarter_of,
)
from reviews.rules import is_capacity_approver
from reviews.signals import announce, capacity_request_decided
from reviews.states import CAPACITY_REQUEST_TRANSITIONS, check_transition


def _fmt(amount: Decimal, kind: str) -> str:
    return format_quantity(amount, RESOURCE_UNITS[kind])


# --- Budgets --------------------------------------------------------------------------------


@transaction.atomic
def capacity_budget_set(
    *, team: Team, quarter: str, resource_kind: str, amount: Decimal, user: User
) -> CapacityBudget:
    """Create a team's budget for a quarter and resource kind."""
    budget = CapacityBudget(team=team, quarter=quarter, resource_kind=resource_kind, amount=amount)
    budget.full_clean()
    budget._history_user = user
    budget.save()
    return budget


@transaction.atomic
def capacity_budget_update(
    *,
    budget: CapacityBudget,
    user: User,
    version: int | None,
    amount: Decimal | None = None,
) -> CapacityBudget:
    """Change a budget's amount if ``version`` is still current. A partial update without an
    amount changes nothing (and keeps the version), once checked against the version."""
    if amount is None:
        locked = CapacityBudget.objects.select_for_update().get(pk=budget.pk)
        if version is not None and locked.version != version:
            raise StaleWriteError(current_version=locked.version, submitted_version=version)
        return locked
    return apply_versioned_update(
        instance=budget, expected_version=version, data={"amount": amount}, user=user
    )


def budget_headroom(
    *, team_id: int, quarter: str, resource_kind: str, excluding: int | None
) -> tuple[CapacityBudget | None, Decimal]:
    """(budget row locked for update or None, what is left of it after granted requests).

    Must run inside a transaction: the lock is what makes the guard hold under concurrency.
    """
    budget = (
        CapacityBudget.objects.select_for_update()
        .filter(team_id=team_id, quarter=quarter, resource_kind=resource_kind)
        .first()
    )
    granted_requests = CapacityRequest.objects.filter(
        team_id=team_id, quarter=quarter, resource_kind=resource_kind, state__in=GRANTED_STATES
    )
    if excluding is not None:
        granted_requests = granted_requests.exclude(pk=excluding)
    granted = granted_requests.aggregate(total=Sum("approved_amount"))["total"] or Decimal(0)
    return budget, (budget.amount if budget else Decimal(0)) - granted


# --- Requests -------------------------------------------------------------------------------


@transaction.atomic
def capacity_request_create(
    *,
    user: User,
    team: Team,
    program: Program,
    resource_kind: str,
    amount: Decimal,
    environment: str,
    region: str,
    needed_by: datetime.date,
    justification: str,
) -> CapacityRequest:
    """File a capacity request (draft). Its quarter is the quarter of the needed-by date."""
    request = CapacityRequest(
        requester=user,
        team=team,
        program=program,
        resource_kind=resource_kind,
        amount=amount,
        environment=environment,
        region=region,
        needed_by=needed_by,
        justification=justification,
    )
    if request.needed_by:
        request.quarter = quarter_of(request.needed_by)
    request.full_clean()
    request._history_user = user
    request.save()
    notify_program_changed(request.program_id)
    return request


@transaction.atomic
def capacity_request_update(
    *,
    request: CapacityRequest,
    user: User,
    version: int | None,
    team: Maybe[Team] = UNSET,
    program: Maybe[Program] = UNSET,
    resource_kind: Maybe[str] = UNSET,
    amount: Maybe[Decimal] = UNSET,
    environment: Maybe[str] = UNSET,
    region: Maybe[str] = UNSET,
    needed_by: Maybe[datetime.date] = UNSET,
    justification: Maybe[str] = UNSET,
) -> CapacityRequest:
    """Change a draft request if ``version`` is still current; only the fields given change."""
    fields = given(
        team=team,
        program=program,
        resource_kind=resource_kind,
        amount=amount,
        environment=environment,
        region=region,
        needed_by=needed_by,
        justification=justification,
    )
    if request.state != CapacityRequestState.DRAFT:
        raise DomainError("Only a draft request changes; this one is already submitted.")
    if "needed_by" in fields:
        fields["quarter"] = quarter_of(fields["needed_by"])
    updated = apply_versioned_update(
        instance=request, expected_version=version, data=fields, user=user
    )
    notify_program_changed(request.program_id, updated.program_id)
    return updated


@transaction.atomic
def capacity_request_delete(*, request: CapacityRequest, user: User) -> None:
    """Delete a draft (anything submitted is kept: it is part of the budget's story)."""
    locked = CapacityRequest.objects.select_for_update().get(pk=request.pk)
    if locked.state != CapacityRequestState.DRAFT:
        raise DomainError("Only a draft request can be deleted.")
    locked._history_user = user
    locked.delete()
    notify_program_changed(request.program_id)


def _lock(request: CapacityRequest, version: int | None) -> CapacityRequest:
    locked = CapacityRequest.objects.select_for_update().get(pk=request.pk)
    if version is not None and locked.version != version:
        raise StaleWriteError(current_version=locked.version, submitted_version=version)
    return locked


def _move(locked: CapacityRequest, *, action: str, user: User, **data: Any) -> CapacityRequest:
    target = check_transition(CAPACITY_REQUEST_TRANSITIONS, action, locked.state)
    return apply_versioned_update(
        instance=locked,
        expected_version=None,
        data={"state": target, **data},
        user=user,
        change_reason=CAPACITY_REQUEST_TRANSITIONS[action].label,
    )


def capacity_council() -> QuerySet[User]:
    """Active people in the Reviewer role on the capacity council."""
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name=Role.REVIEWER, reviewer__capacity_council=True)
        .distinct()
    )


def _add_council_to_program(request: CapacityRequest, user: User) -> None:
    """The council joins the program in the reviewer role, to read a confidential request.

    People who already belong to the program keep their role.
    """
    members = set(
        ProgramMembership.objects.filter(program_id=request.program_id).values_list(
            "user_id", flat=True
        )
    )
    for person in capacity_council().exclude(pk__in=members):
        membership = ProgramMembership(
            program_id=request.program_id, user=person, role=MembershipRole.REVIEWER
        )
        membership._history_user = user
        membership.save()


@transaction.atomic
def capacity_request_submit(
    *, request: CapacityRequest, user: User, version: int | None
) -> CapacityRequest:
    """Submit a draft for a decision; the capacity council joins the program as reviewers.

    A request at or under its resource kind's auto-approval threshold that fits in the team's
    budget is approved on the spot, and its decision note says so.
    """
    locked = _lock(request, version)
    now = timezone.now()
    submitted = _move(locked, action="submit", user=user, submitted_at=now)
    _add_council_to_program(submitted, user)
    threshold = AutoApprovalThreshold.objects.filter(resource_kind=submitted.resource_kind).first()
    if threshold is not None and submitted.amount <= threshold.max_amount:
        _, headroom = budget_headroom(
            team_id=submitted.team_id,
            quarter=submitted.quarter,
            resource_kind=submitted.resource_kind,
            excluding=submitted.pk,
        )
        if submitted.amount <= headroom:
            submitted = _move(
                submitted,
                action="approve",
                user=user,
                approved_amount=submitted.amount,
                auto_approved=True,
                decided_at=now,
                decision_note=(
                    "Approved automatically: at or under the auto-approval threshold of "
                    f"{_fmt(threshold.max_amount, submitted.resource_kind)} and within the "
                    "team's budget."
                ),
            )
            emails.capacity_decided(submitted)
            _announce_decision(submitted, None)
    notify_program_changed(submitted.program_id)
    return submitted


def _announce_decision(request: CapacityRequest, user: User | None) -> None:
    """Tell the apps above (Slack, webhooks) that the request was decided, on commit."""
    announce(
        capacity_request_decided,
        request_id=request.pk,
        program_id=request.program_id,
        decision=request.state,
        decided_by_id=user.pk if user else None,
        auto_approved=user is None,
    )


def decision_refusal(user: User, request: CapacityRequest) -> str | None:
    """Why the user may not decide this request, or None if they may."""
    if request.requester_id == user.pk:
        return "You cannot decide your own capacity request."
    if not is_capacity_approver(user):
        return "Only the capacity council and admins decide capacity requests."
    return None


@transaction.atomic
def capacity_request_approve(
    *,
    request: CapacityRequest,
    user: User,
    version: int | None,
    approved_amount: Decimal | None = None,
    note: str = "",
    override_reason: str = "",
) -> CapacityRequest:
    """Approve all of a submitted request (or part of it: a smaller ``approved_amount``).

    Refused when it would take the team over its quarter's budget for the kind, unless
    ``override_reason`` says why; the reason is recorded with the decision.
    """
    refusal = decision_refusal(user, request)
    if refusal:
        raise DomainError(refusal)
    locked = _lock(request, version)
    amount = locked.amount if approved_amount is None else Decimal(approved_amount)
    if amount <= 0:
        raise DomainError({"approved_amount": "Approve more than zero, or deny the request."})
    if amount > locked.amount:
        raise DomainError(
            {
                "approved_amount": f"At most the amount asked ({_fmt(locked.amount, locked.resource_kind)})."
            }
        )
    action = "approve" if amount == locked.amount else "partially_approve"
    check_transition(CAPACITY_REQUEST_TRANSITIONS, action, locked.state)
    _, headroom = budget_headroom(
        team_id=locked.team_id,
        quarter=locked.quarter,
        resource_kind=locked.resource_kind,
        excluding=locked.pk,
    )
    override_reason = (override_reason or "").strip()
    if amount > headroom and not override_reason:
        left = max(headroom, Decimal(0))
        raise DomainError(
            {
                "override_reason": (
                    f"This takes {locked.team.name} over its {locked.quarter} "
                    f"{ResourceKind(locked.resource_kind).label} budget: "
                    f"{_fmt(left, locked.resource_kind)} left. Approve at most that, or give "
                    "a reason to override the budget."
                )
            }
        )
    decided = _move(
        locked,
        action=action,
        user=user,
        approved_amount=amount,
        decision_note=(note or "").strip(),
        override_reason=override_reason if amount > headroom else "",
        decided_by=user,
        decided_at=timezone.now(),
    )
    emails.capacity_decided(decided)
    _announce_decision(decided, user)
    notify_program_changed(decided.program_id)
    return decided


@transaction.atomic
def capacity_request_deny(
    *, request: CapacityRequest, user: User, version: int | None, note: str
) -> CapacityRequest:
    """Deny a submitted request; the note says why."""
    refusal = decision_refusal(user, request)
    if refusal:
        raise DomainError(refusal)
    note = (note or "").strip()
    if not note:
        raise DomainError({"note": "Say why the request is denied."})
    locked = _lock(request, version)
    decided = _move(
        locked,
        action="deny",
        user=user,
        approved_amount=None,
        decision_note=note,
        decided_by=user,
        decided_at=timezone.now(),
    )
    emails.capacity_decided(decided)
    _announce_decision(decided, user)
    notify_program_changed(decided.program_id)
    return decided


@transaction.atomic
def capacity_request_fulfill(
    *, request: CapacityRequest, user: User, version: int | None
) -> CapacityRequest:
    """Record that approved capacity was provisioned (the council or an admin)."""
    if not is_capacity_approver(user):
        raise DomainError("Only the capacity council and admins mark requests fulfilled.")
    locked = _lock(request, version)
    done = _move(locked, action="fulfill", user=user, fulfilled_at=timezone.now())
    notify_program_changed(done.program_id)
    return done
