"""Capacity governance on PostgreSQL: the budget guard (also under a race), overrides,
auto-approval, who decides, the transition table and e-mails."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection

from core.errors import DomainError, StaleWriteError
from reviews.capacity import services
from reviews.capacity.charts import capacity_vs_budget
from reviews.capacity.selectors import team_capacity
from reviews.models import CapacityRequest, CapacityRequestState
from reviews.states import CAPACITY_REQUEST_TRANSITIONS, IllegalTransition
from tests.factories import (
    AutoApprovalThresholdFactory,
    CapacityBudgetFactory,
    ReviewerFactory,
    UserFactory,
)
from tests.reviews.conftest import file_request

pytestmark = pytest.mark.django_db

STATES = list(CapacityRequestState.values)


def test_a_request_draws_on_the_quarter_of_its_needed_by_date(requester, team, program):
    request = file_request(requester, team, program, submit=False)
    assert (request.state, request.quarter) == ("draft", "2026-Q4")
    moved = services.capacity_request_update(
        request=request, user=requester, version=1, needed_by=datetime.date(2027, 1, 5)
    )
    assert moved.quarter == "2027-Q1"


def test_approval_within_budget(requester, team, program, budget, council):
    request = file_request(requester, team, program, amount=60)
    approved = services.capacity_request_approve(
        request=request, user=council, version=request.version, note="Fits."
    )
    assert approved.state == "approved" and approved.approved_amount == 60
    assert approved.decided_by == council and approved.override_reason == ""


def test_over_budget_is_refused_without_an_override(requester, team, program, budget, council):
    first = file_request(requester, team, program, amount=60)
    services.capacity_request_approve(request=first, user=council, version=first.version)
    second = file_request(requester, team, program, amount=50)
    with pytest.raises(DomainError) as refused:
        services.capacity_request_approve(request=second, user=council, version=second.version)
    assert "40 vCPU left" in refused.value.message_dict["override_reason"][0]
    second.refresh_from_db()
    assert second.state == "submitted"


def test_over_budget_with_an_override_is_allowed_and_recorded(
    requester, team, program, budget, council
):
    first = file_request(requester, team, program, amount=60)
    services.capacity_request_approve(request=first, user=council, version=first.version)
    second = file_request(requester, team, program, amount=50)
    approved = services.capacity_request_approve(
        request=second, user=council, version=second.version,
        override_reason="Sev-1 follow-up: VP approved", note="Over by 10",
    )  # fmt: skip
    assert approved.state == "approved"
    assert approved.override_reason == "Sev-1 follow-up: VP approved"
    assert approved.history.first().history_change_reason == "Approve"


def test_a_partial_approval_fits_the_budget(requester, team, program, budget, council):
    first = file_request(requester, team, program, amount=60)
    services.capacity_request_approve(request=first, user=council, version=first.version)
    second = file_request(requester, team, program, amount=50)
    cut = services.capacity_request_approve(
        request=second, user=council, version=second.version, approved_amount=Decimal(40)
    )
    assert cut.state == "partially_approved" and cut.approved_amount == 40
    with pytest.raises(DomainError, match="At most the amount asked"):
        third = file_request(requester, team, program, amount=5)
        services.capacity_request_approve(
            request=third, user=council, version=third.version, approved_amount=Decimal(6)
        )


def test_without_a_budget_every_approval_is_an_override(requester, team, program, council):
    request = file_request(requester, team, program, amount=1, kind="storage_tib")
    with pytest.raises(DomainError, match="0 TiB left"):
        services.capacity_request_approve(request=request, user=council, version=request.version)


def test_auto_approval_under_the_threshold_and_within_budget(
    requester, team, program, budget, django_capture_on_commit_callbacks
):
    AutoApprovalThresholdFactory(resource_kind="vcpu", max_amount=8)
    with django_capture_on_commit_callbacks(execute=True):
        small = file_request(requester, team, program, amount=8)
    assert small.state == "approved" and small.auto_approved
    assert "Approved automatically" in small.decision_note and "8 vCPU" in small.decision_note
    assert mail.outbox[0].to == ["rob.requester@example.com"]
    big = file_request(requester, team, program, amount=9)
    assert big.state == "submitted" and not big.auto_approved


def test_auto_approval_never_exceeds_the_budget(requester, team, program, council):
    CapacityBudgetFactory(team=team, quarter="2026-Q4", resource_kind="vcpu", amount=10)
    AutoApprovalThresholdFactory(resource_kind="vcpu", max_amount=8)
    assert file_request(requester, team, program, amount=8).state == "approved"
    assert file_request(requester, team, program, amount=8).state == "submitted"


def test_who_decides(requester, team, program, budget, council, admin_user, engineer):
    """The council and admins decide; not other reviewers, not the requester."""
    plain_reviewer = ReviewerFactory(user=UserFactory(roles=["Reviewer"])).user
    request = file_request(requester, team, program, amount=10)
    for user in (plain_reviewer, engineer, requester):
        with pytest.raises(DomainError):
            services.capacity_request_approve(request=request, user=user, version=request.version)
    council_requester = file_request(council, team, program, amount=5)
    with pytest.raises(DomainError, match="your own"):
        services.capacity_request_approve(
            request=council_requester, user=council, version=council_requester.version
        )
    assert (
        services.capacity_request_approve(
            request=request, user=admin_user, version=request.version
        ).state
        == "approved"
    )


def test_deny_needs_a_reason_and_mails_the_requester(
    requester, team, program, council, django_capture_on_commit_callbacks
):
    request = file_request(requester, team, program, amount=10)
    with pytest.raises(DomainError, match="why"):
        services.capacity_request_deny(request=request, user=council, version=2, note="")
    with django_capture_on_commit_callbacks(execute=True):
        denied = services.capacity_request_deny(
            request=request, user=council, version=2, note="Use the shared pool."
        )
    assert denied.state == "denied"
    assert "denied" in mail.outbox[0].subject and "shared pool" in mail.outbox[0].body


ACTIONS = {
    "submit": lambda r, requester, council: services.capacity_request_submit(
        request=r, user=requester, version=r.version
    ),
    "approve": lambda r, requester, council: services.capacity_request_approve(
        request=r, user=council, version=r.version, override_reason="test"
    ),
    "partially_approve": lambda r, requester, council: services.capacity_request_approve(
        request=r,
        user=council,
        version=r.version,
        approved_amount=Decimal(1),
        override_reason="test",
    ),  # fmt: skip
    "deny": lambda r, requester, council: services.capacity_request_deny(
        request=r, user=council, version=r.version, note="No"
    ),
    "fulfill": lambda r, requester, council: services.capacity_request_fulfill(
        request=r, user=council, version=r.version
    ),
}


@pytest.mark.parametrize("action", list(ACTIONS))
@pytest.mark.parametrize("state", STATES)
def test_every_transition_follows_the_table(requester, team, program, council, action, state):
    request = file_request(requester, team, program, amount=10, submit=False)
    CapacityRequest.objects.filter(pk=request.pk).update(
        state=state, approved_amount=10 if state in ("approved", "fulfilled") else None
    )
    request.refresh_from_db()
    transition = CAPACITY_REQUEST_TRANSITIONS[action]
    if state in transition.sources:
        assert ACTIONS[action](request, requester, council).state == transition.target
    else:
        with pytest.raises(IllegalTransition, match="Cannot"):
            ACTIONS[action](request, requester, council)


def test_only_drafts_change_or_go(requester, team, program):
    request = file_request(requester, team, program, amount=10)
    with pytest.raises(DomainError, match="Only a draft"):
        services.capacity_request_update(request=request, user=requester, version=2, amount=5)
    with pytest.raises(DomainError, match="Only a draft"):
        services.capacity_request_delete(request=request, user=requester)
    with pytest.raises(StaleWriteError):
        services.capacity_request_submit(request=request, user=requester, version=1)


def test_team_capacity_and_its_chart(requester, team, program, budget, council):
    approved = file_request(requester, team, program, amount=60)
    services.capacity_request_approve(request=approved, user=council, version=approved.version)
    file_request(requester, team, program, amount=30)
    file_request(requester, team, program, amount=2, kind="storage_tib")
    rows = {row.resource_kind: row for row in team_capacity(team=team, quarter="2026-Q4")}
    vcpu = rows["vcpu"]
    assert (vcpu.budget, vcpu.requested, vcpu.pending, vcpu.approved, vcpu.left) == (
        100, 90, 30, 60, 40,
    )  # fmt: skip
    assert rows["storage_tib"].budget is None
    fig = capacity_vs_budget(list(rows.values()))
    assert [trace.name for trace in fig.data] == ["Requested", "Approved"]
    assert list(fig.data[0].x) == ["vCPU"] and list(fig.data[1].y) == [60.0]


@pytest.mark.django_db(transaction=True)
def test_two_approvals_racing_for_the_last_of_a_budget_never_both_succeed():
    """Two 60-vCPU requests against a 100-vCPU budget, approved at once by two council members:
    the budget row lock lets exactly one through; the other needs an override."""
    from tests.factories import ProgramFactory, TeamFactory

    team = TeamFactory()
    requester = UserFactory(roles=["Engineer"])
    team.members.add(requester)
    program = ProgramFactory()
    CapacityBudgetFactory(team=team, quarter="2026-Q4", resource_kind="vcpu", amount=100)
    approvers = [
        ReviewerFactory(user=UserFactory(roles=["Reviewer"]), capacity_council=True).user
        for _ in range(2)
    ]
    requests = [file_request(requester, team, program, amount=60) for _ in range(2)]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def approve(request, approver) -> None:
        try:
            barrier.wait()
            services.capacity_request_approve(
                request=CapacityRequest.objects.get(pk=request.pk), user=approver,
                version=request.version,
            )  # fmt: skip
            outcomes.append("approved")
        except DomainError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [
        threading.Thread(target=approve, args=(request, approver))
        for request, approver in zip(requests, approvers, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["approved", "refused"]
    granted = CapacityRequest.objects.filter(state="approved")
    assert sum(r.approved_amount for r in granted) == 60


def test_submitting_lets_the_council_read_a_confidential_program(
    requester, team, confidential_program, council
):
    from programs.selectors import visible_programs

    assert not visible_programs(council).filter(pk=confidential_program.pk).exists()
    file_request(requester, team, confidential_program, amount=5)
    assert visible_programs(council).filter(pk=confidential_program.pk).exists()
