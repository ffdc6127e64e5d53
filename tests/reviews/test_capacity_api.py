"""The capacity API: budgets (read; admins write), requests (CRUD in draft, actions), the
budget guard and its override, auto-approval, permissions and concurrency."""

import pytest

from reviews.models import CapacityBudget, CapacityRequest
from reviews.states import CAPACITY_REQUEST_TRANSITIONS
from tests.factories import AutoApprovalThresholdFactory
from tests.reviews.conftest import file_request
from tests.reviews.test_launch_api import API, as_user

pytestmark = pytest.mark.django_db

STATES = ["draft", "submitted", "approved", "partially_approved", "denied", "fulfilled"]


def request_payload(program, **overrides):
    return {
        "team": "storage", "program": program.slug, "resource_kind": "vcpu", "amount": "60",
        "environment": "production", "region": "eu-west-1", "needed_by": "2026-11-15",
        "justification": "Launch traffic.", **overrides,
    }  # fmt: skip


def test_budgets_are_read_by_all_and_written_by_admins(budget, requester, admin_user, team):
    assert as_user(requester).get(f"{API}/capacity-budgets/").json()["results"][0]["amount"] == (
        "100.00"
    )
    body = {"team": "storage", "quarter": "2027-Q1", "resource_kind": "vcpu", "amount": "80"}
    assert as_user(requester).post(f"{API}/capacity-budgets/", body).status_code == 403
    assert as_user(admin_user).post(f"{API}/capacity-budgets/", body).status_code == 201
    bad = {**body, "quarter": "2027-Q5"}
    assert "quarter" in as_user(admin_user).post(f"{API}/capacity-budgets/", bad).json()
    url = f"{API}/capacity-budgets/{budget.pk}/"
    assert as_user(admin_user).patch(url, {"amount": "150"}).status_code == 428
    response = as_user(admin_user).patch(url, {"amount": "150"}, HTTP_IF_MATCH='"1"')
    assert response.status_code == 200 and response.json()["version"] == 2
    assert as_user(admin_user).patch(url, {"amount": "1"}, HTTP_IF_MATCH='"1"').status_code == 412


def test_a_partial_budget_update_without_an_amount_changes_nothing(budget, admin_user):
    """It used to be a 500 (the service required the amount)."""
    url = f"{API}/capacity-budgets/{budget.pk}/"
    response = as_user(admin_user).patch(url, {}, HTTP_IF_MATCH='"1"', format="json")
    assert response.status_code == 200, response.content
    assert (response.json()["amount"], response.json()["version"]) == ("100.00", 1)
    assert as_user(admin_user).patch(url, {}, HTTP_IF_MATCH='"7"', format="json").status_code == 412


def test_file_edit_and_delete_a_draft(requester, team, program, outsider):
    client = as_user(requester)
    created = client.post(f"{API}/capacity-requests/", request_payload(program))
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["state"], body["quarter"], body["requester"]) == (
        "draft",
        "2026-Q4",
        "rob.requester",
    )
    url = f"{API}/capacity-requests/{body['id']}/"
    assert client.patch(url, {"amount": "40", "version": 1}).json()["amount"] == "40.00"
    assert as_user(outsider).patch(url, {"amount": "1", "version": 2}).status_code == 403
    assert client.delete(url).status_code == 204
    assert not CapacityRequest.objects.exists()


def test_only_team_members_file_for_a_team(outsider, team, program):
    response = as_user(outsider).post(f"{API}/capacity-requests/", request_payload(program))
    assert response.status_code == 403


def test_submit_auto_approves_under_the_threshold(requester, team, program, budget):
    AutoApprovalThresholdFactory(resource_kind="vcpu", max_amount=10)
    request = file_request(requester, team, program, amount=10, submit=False)
    response = as_user(requester).post(
        f"{API}/capacity-requests/{request.pk}/submit/", {"version": 1}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["state"] == "approved" and body["auto_approved"] is True
    assert body["decision_note"].startswith("Approved automatically")


def test_approve_over_budget_needs_an_override(requester, team, program, budget, council):
    request = file_request(requester, team, program, amount=120)
    url = f"{API}/capacity-requests/{request.pk}/approve/"
    refused = as_user(council).post(url, {"version": request.version})
    assert refused.status_code == 400
    assert "100 vCPU left" in refused.json()["override_reason"][0]
    partial = as_user(council).post(url, {"version": request.version, "approved_amount": "100"})
    assert partial.json()["state"] == "partially_approved"
    other = file_request(requester, team, program, amount=5)
    overridden = as_user(council).post(
        f"{API}/capacity-requests/{other.pk}/approve/",
        {"version": other.version, "override_reason": "Incident follow-up"},
    )
    assert overridden.status_code == 200
    assert overridden.json()["override_reason"] == "Incident follow-up"


def test_who_decides_through_the_api(requester, team, program, council, sre):
    request = file_request(requester, team, program, amount=5)
    url = f"{API}/capacity-requests/{request.pk}/deny/"
    for user in (requester, sre):
        assert as_user(user).post(url, {"version": 2, "note": "no"}).status_code == 403
    assert as_user(council).post(url, {"version": 2, "note": "Use the pool"}).status_code == 200


ACTION_BODIES = {
    "submit": {},
    "approve": {"override_reason": "test"},
    "deny": {"note": "No"},
    "fulfill": {},
}


@pytest.mark.parametrize("action", list(ACTION_BODIES))
@pytest.mark.parametrize("state", STATES)
def test_every_capacity_transition_through_the_api(
    requester, team, program, council, admin_user, action, state
):
    request = file_request(requester, team, program, amount=10, submit=False)
    CapacityRequest.objects.filter(pk=request.pk).update(
        state=state, approved_amount=10 if state in ("approved", "fulfilled") else None
    )
    user = requester if action == "submit" else council
    response = as_user(user).post(
        f"{API}/capacity-requests/{request.pk}/{action}/", {"version": 1, **ACTION_BODIES[action]}
    )
    transition = CAPACITY_REQUEST_TRANSITIONS[action]
    if state in transition.sources:
        assert response.status_code == 200, response.json()
        assert response.json()["state"] == transition.target
    else:
        assert response.status_code == 400
        assert "Cannot" in str(response.json())


def test_requests_of_confidential_programs_are_hidden(
    requester, team, confidential_program, outsider, engineer
):
    team.members.add(engineer)
    request = file_request(engineer, team, confidential_program, amount=5)
    assert as_user(outsider).get(f"{API}/capacity-requests/{request.pk}/").status_code == 404
    assert as_user(engineer).get(f"{API}/capacity-requests/{request.pk}/").status_code == 200
    assert as_user(outsider).get(f"{API}/capacity-requests/").json()["count"] == 0


def test_list_filters(requester, team, program, budget):
    file_request(requester, team, program, amount=5)
    file_request(requester, team, program, amount=7, kind="memory_gib", submit=False)
    client = as_user(requester)
    assert client.get(f"{API}/capacity-requests/", {"state": "draft"}).json()["count"] == 1
    assert client.get(f"{API}/capacity-requests/", {"quarter": "2026-Q4"}).json()["count"] == 2
    assert client.get(f"{API}/capacity-requests/", {"team": "other"}).json()["count"] == 0
    assert CapacityBudget.objects.count() == 1
