"""The capacity pages: filing, deciding (with and without an override), the team's quarter
with its chart, budgets, the program panel and who may do what."""

import datetime
import json

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from reviews.models import CapacityRequest, quarter_of
from tests.factories import CapacityRequestFactory, ProgramFactory, TeamFactory
from tests.reviews.conftest import file_request
from tests.reviews.test_launch_views import api_rows, flashed, page_rows, text

pytestmark = pytest.mark.django_db


def test_file_and_submit_a_request(client, requester, team, program):
    client.force_login(requester)
    url = reverse("reviews:capacity-create")
    page = text(client.get(url, {"program": program.slug}))
    assert "New capacity request" in page
    response = client.post(
        url,
        {
            "team": team.pk, "program": program.pk, "resource_kind": "vcpu", "amount": "12",
            "environment": "production", "region": "eu-west-1", "needed_by": "2026-11-15",
            "justification": "Launch.",
        },
    )  # fmt: skip
    request = CapacityRequest.objects.get()
    assert response["Location"] == request.get_absolute_url()
    response = client.post(
        reverse("reviews:capacity-transition", args=[request.pk, "submit"]), {"version": 1}
    )
    request.refresh_from_db()
    assert request.state == "submitted"
    assert flashed(response)[-1] == "Request is now submitted."


def test_capacity_forms_lead_back_to_capacity_not_programs(client, requester, team, program):
    """The breadcrumbs of the new and edit pages name capacity requests, never "Programs"."""
    client.force_login(requester)
    crumbs = text(client.get(reverse("reviews:capacity-create"))).split('class="breadcrumbs"')[1]
    crumbs = crumbs.split("</nav>", 1)[0]
    assert f'href="{reverse("reviews:capacity-list")}">Capacity requests</a>' in crumbs
    assert "Programs" not in crumbs
    request = file_request(requester, team, program, amount=1500, submit=False)
    page = text(client.get(reverse("reviews:capacity-edit", args=[request.pk])))
    crumbs = page.split('class="breadcrumbs"', 1)[1].split("</nav>", 1)[0]
    assert f">1,500 vCPU for {program.name}</a>" in crumbs and "Programs" not in crumbs


def test_people_without_a_team_cannot_file(client, outsider):
    client.force_login(outsider)
    assert client.get(reverse("reviews:capacity-create")).status_code == 403


def test_council_decides_over_budget_only_with_an_override(
    client, requester, team, program, budget, council
):
    request = file_request(requester, team, program, amount=120)
    client.force_login(council)
    page = text(client.get(request.get_absolute_url()))
    assert "Record decision" in page and "needs an override reason" in page
    url = reverse("reviews:capacity-decide", args=[request.pk])
    refused = client.post(url, {"version": request.version, "decision": "approve"})
    assert refused.status_code == 200 and "100 vCPU left" in text(refused)
    response = client.post(
        url,
        {"version": request.version, "decision": "approve", "override_reason": "VP approved"},
    )
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.state == "approved" and request.override_reason == "VP approved"
    assert "Budget override" in text(client.get(request.get_absolute_url()))


def test_requesters_and_plain_reviewers_do_not_decide(client, requester, team, program, sre):
    request = file_request(requester, team, program, amount=5)
    url = reverse("reviews:capacity-decide", args=[request.pk])
    for user in (requester, sre):
        client.force_login(user)
        assert "Record decision" not in text(client.get(request.get_absolute_url()))
        assert client.post(url, {"version": 2, "decision": "approve"}).status_code == 403


def test_team_quarter_page_draws_the_chart_without_inline_script(
    client, requester, team, program, budget, council
):
    from reviews.capacity import services as capacity_services

    request = file_request(requester, team, program, amount=60)
    capacity_services.capacity_request_approve(request=request, user=council, version=2)
    client.force_login(requester)
    response = client.get(reverse("reviews:team-capacity", args=[team.slug, "2026-Q4"]))
    page = text(response)
    assert 'data-chart="capacity-chart"' in page and "plotly-basic.min.js" in page
    figure = json.loads(page.split('id="capacity-chart" type="application/json">')[1].split("<")[0])
    assert figure["data"][1]["y"] == [60.0]
    assert "<script>" not in page
    assert (
        client.get(reverse("reviews:team-capacity", args=[team.slug, "2026-Q9"])).status_code == 404
    )


def test_budgets_page_and_program_panel(client, requester, team, program, budget):
    file_request(requester, team, program, amount=5)
    TeamFactory(name="Idle")
    client.force_login(requester)
    page = text(client.get(reverse("reviews:budgets"), {"quarter": "2026-Q4"}))
    assert "Storage" in page and "Idle" not in page
    assert "5 vCPU" in page and "over what is left" not in page  # units on every amount
    file_request(requester, team, program, amount=150)  # the budget is 100 vCPU
    page = text(client.get(reverse("reviews:budgets"), {"quarter": "2026-Q4"}))
    assert "55 vCPU over what is left" in page
    panel = text(client.get(program.get_absolute_url()))
    assert "Capacity requests" in panel and "5 vCPU" in panel


def test_list_filters_and_hides_confidential(client, requester, team, program, outsider, budget):
    file_request(requester, team, program, amount=5)
    client.force_login(requester)
    url = reverse("reviews:capacity-list")
    assert "1 request" in text(client.get(url))
    assert "No requests match" in text(client.get(url, {"state": "denied"}))
    program.confidential = True
    program.save()
    client.force_login(outsider)
    assert "No capacity requests yet" in text(client.get(url))


def test_fulfill_from_the_browser(client, requester, team, program, budget, council):
    from reviews.capacity import services as capacity_services

    request = file_request(requester, team, program, amount=5)
    capacity_services.capacity_request_approve(request=request, user=council, version=2)
    client.force_login(council)
    client.post(
        reverse("reviews:capacity-transition", args=[request.pk, "fulfill"]), {"version": 3}
    )
    request.refresh_from_db()
    assert request.state == "fulfilled"


@pytest.mark.parametrize(
    "query",
    [
        {"state": "submitted"},
        {"state": ["draft", "denied"]},  # a link may repeat what the page offers once
        {"team": "storage-team"},
        {"resource_kind": "storage_tib", "quarter": "2026-Q4"},
        {"team": "storage-team", "quarter": "2027-Q1"},
    ],
)
def test_the_requests_page_and_the_api_filter_the_same_rows(client, admin_user, query):
    """One FilterSet: the page's filters pick exactly the requests the API's pick."""
    other = TeamFactory(slug="storage-team", name="Storage")
    for team, state, kind, needed_by in [
        (None, "draft", "vcpu", "2026-11-15"), (other, "submitted", "storage_tib", "2026-12-01"),
        (other, "draft", "vcpu", "2027-02-01"), (None, "submitted", "storage_tib", "2026-10-10"),
        (None, "denied", "vcpu", "2027-01-05"),
    ]:  # fmt: skip
        needed = datetime.date.fromisoformat(needed_by)
        CapacityRequestFactory(
            **({"team": team} if team else {}),
            state=state, resource_kind=kind, needed_by=needed, quarter=quarter_of(needed),
        )  # fmt: skip
    client.force_login(admin_user)
    api = APIClient()
    api.force_authenticate(admin_user)
    shown = page_rows(client.get(reverse("reviews:capacity-list"), query))
    assert shown and shown == api_rows(api, "capacity-requests", query)


def test_the_requests_page_ignores_stale_values_and_answers_htmx_with_results(
    client, requester, team, program
):
    request = file_request(requester, team, program, amount=5)
    client.force_login(requester)
    url = reverse("reviews:capacity-list")
    response = client.get(url, {"quarter": "2026-Q9", "team": "gone", "state": "nope"})
    assert page_rows(response) == [request.pk] and "match your filters" not in text(response)
    fragment = text(
        client.get(
            url, {"quarter": "2026-Q4"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="capacity-results"
        )
    )
    assert "1 request match your filters" in fragment
    assert 'role="search"' not in fragment and "<h1>" not in fragment


def test_a_stale_edit_is_shown_on_the_form_not_saved(client, requester, team, program):
    from reviews.capacity import services as capacity_services

    request = file_request(requester, team, program, amount=5, submit=False)
    old = request.version
    capacity_services.capacity_request_update(
        request=request, user=requester, version=old, amount=7
    )
    client.force_login(requester)
    response = client.post(
        reverse("reviews:capacity-edit", args=[request.pk]),
        {**edit_data(team, program), "amount": "9", "version": old},
    )
    assert response.status_code == 200
    page = text(response)
    assert "changed by someone else" in page and 'value="9"' in page
    request.refresh_from_db()
    assert request.amount == 7


def test_moving_a_request_to_another_program_rescores_both(
    client, requester, team, program, django_capture_on_commit_callbacks
):
    from programs.signals import program_changed

    request = file_request(requester, team, program, amount=5, submit=False)
    other = ProgramFactory()
    seen: list[frozenset[int]] = []

    def listener(sender, program_ids, **kwargs):
        seen.append(frozenset(program_ids))

    program_changed.connect(listener)
    try:
        client.force_login(requester)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("reviews:capacity-edit", args=[request.pk]),
                {**edit_data(team, other), "version": request.version},
            )
    finally:
        program_changed.disconnect(listener)
    assert response["Location"] == request.get_absolute_url()
    assert flashed(response) == ["Capacity request saved."]
    assert {program.pk, other.pk} <= set().union(*seen)


def edit_data(team, program) -> dict:
    return {
        "team": team.pk, "program": program.pk, "resource_kind": "vcpu", "amount": "5",
        "environment": "production", "region": "eu-west-1", "needed_by": "2026-11-15",
        "justification": "Launch.",
    }  # fmt: skip
