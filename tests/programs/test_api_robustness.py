"""No input makes the API answer 500: arbitrary JSON bodies and query strings get 4xx or 2xx.

Hypothesis throws JSON values of every shape (and strings that look like dates, slugs and
numbers) at every write endpoint and filters at every list, as the program's TPM.
"""

import datetime
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from tests.factories import MilestoneFactory, RiskFactory, StatusUpdateFactory

pytestmark = pytest.mark.django_db

FIELDS = [
    "name", "program", "portfolio", "tpm", "sponsor", "teams", "phase", "priority",
    "start_date", "target_date", "baseline_date", "completed_date", "state", "critical",
    "depends_on", "reason", "version", "likelihood", "impact", "owner", "due_date",
    "reported_health", "summary", "title", "outcome", "decided_on", "decided_by", "user",
    "role", "members", "confidential", "update_cadence_days",
]  # fmt: skip

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["2026-02-30", "9999-12-31", "0001-01-01", "fleet-kernel-upgrade", "1", "-1"]),
    st.dates(min_value=datetime.date(1, 1, 1)).map(datetime.date.isoformat),
)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3), max_leaves=4)
bodies = st.dictionaries(st.sampled_from(FIELDS), values, max_size=6)

QUERY_KEYS = [
    "program", "phase", "state", "critical", "overdue", "target_date_after", "created_before",
    "min_exposure", "ordering", "page", "page_size", "search", "health_grade", "confidential",
    "watermelon", "cause", "stale",
]  # fmt: skip


@pytest.fixture
def world(tpm, program):
    client = APIClient()
    client.force_authenticate(tpm)
    milestone = MilestoneFactory(program=program)
    risk = RiskFactory(program=program)
    update = StatusUpdateFactory(program=program)
    return client, {
        "post": [
            "/api/v1/programs/",
            "/api/v1/milestones/",
            "/api/v1/risks/",
            "/api/v1/status-updates/",
            "/api/v1/decisions/",
            "/api/v1/memberships/",
            f"/api/v1/milestones/{milestone.pk}/move/",
            f"/api/v1/milestones/{milestone.pk}/complete/",
            f"/api/v1/risks/{risk.pk}/close/",
        ],
        "patch": [
            f"/api/v1/programs/{program.slug}/",
            f"/api/v1/milestones/{milestone.pk}/",
            f"/api/v1/risks/{risk.pk}/",
            f"/api/v1/status-updates/{update.pk}/",
        ],
    }


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_arbitrary_bodies_never_cause_a_server_error(world, data):
    client, urls = world
    method = data.draw(st.sampled_from(["post", "patch"]))
    url = data.draw(st.sampled_from(urls[method]))
    body = data.draw(bodies)
    headers = data.draw(
        st.sampled_from([{}, {"HTTP_IF_MATCH": '"1"'}, {"HTTP_IF_MATCH": "garbage"}])
    )
    # Encoded here: the test client's renderer would refuse NaN, which clients can still send.
    payload = json.dumps(body)
    response = getattr(client, method)(url, payload, content_type="application/json", **headers)
    assert response.status_code < 500, (method, url, body, response.content)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    resource=st.sampled_from(["programs", "milestones", "risks", "status-updates", "decisions"]),
    query=st.dictionaries(st.sampled_from(QUERY_KEYS), st.text(max_size=10), max_size=4),
)
def test_arbitrary_filters_never_cause_a_server_error(world, resource, query):
    client, _ = world
    response = client.get(f"/api/v1/{resource}/", query)
    assert response.status_code < 500, (resource, query, response.content)


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/milestones/99999999999999999999999/",
        "/api/v1/milestones/-1/",
        "/api/v1/risks/1e3/close/",
        "/api/v1/programs/%00/",
    ],
)
def test_odd_ids_in_urls_are_404(world, path):
    client, _ = world
    assert client.get(path).status_code in (404, 405)
