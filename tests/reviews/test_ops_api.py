"""The operational-reviews API: permissions, preconditions (412/409/428), every transition,
the agenda endpoint, action-item filters, confidentiality, fixed query counts."""

import datetime
from functools import partial

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from reviews.models import ActionItem, OperationalReview
from tests.factories import (
    ActionItemFactory,
    HealthSnapshotFactory,
    MembershipFactory,
    OperationalReviewFactory,
    ProgramFactory,
    UserFactory,
)
from tests.reviews.test_ops_services import REVIEW_LEGAL, REVIEW_STATES, in_state

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
REVIEWS = "/api/v1/operational-reviews/"
ITEMS = "/api/v1/action-items/"
RUNNERS = ["tpm", "leader", "admin_user"]
READERS = ["engineer", "reviewer", "outsider"]


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.parametrize("who", RUNNERS + READERS)
def test_permission_matrix(request, who):
    user = request.getfixturevalue(who)
    runner = who in RUNNERS
    review = OperationalReviewFactory(date=TODAY)
    client = api(user)
    assert client.get(REVIEWS).status_code == 200
    assert client.get(f"{REVIEWS}{review.pk}/").status_code == 200
    assert client.get(f"{REVIEWS}{review.pk}/agenda/").status_code == 200
    assert client.get(ITEMS).status_code == 200
    created = client.post(REVIEWS, {"date": "2026-12-14", "title": "Ops"}, format="json")
    assert created.status_code == (201 if runner else 403)
    changed = client.patch(f"{REVIEWS}{review.pk}/", {"notes": "x", "version": 1}, format="json")
    assert changed.status_code == (200 if runner else 403)
    item = client.post(
        ITEMS,
        {"review": review.pk, "title": "Do it", "owner": user.username, "due_date": "2026-12-01"},
        format="json",
    )
    assert item.status_code == (201 if runner else 403)


def test_anonymous_callers_are_refused():
    assert APIClient().get(REVIEWS).status_code in (401, 403)


def test_updates_need_a_current_version(tpm):
    review = OperationalReviewFactory()
    client = api(tpm)
    url = f"{REVIEWS}{review.pk}/"
    etag = client.get(url)["ETag"]
    assert client.patch(url, {"notes": "a"}, format="json").status_code == 428
    ok = client.patch(url, {"notes": "a"}, format="json", HTTP_IF_MATCH=etag)
    assert ok.status_code == 200
    assert ok["ETag"] == '"2"'
    assert client.patch(url, {"notes": "b"}, format="json", HTTP_IF_MATCH=etag).status_code == 412
    stale = client.patch(url, {"notes": "b", "version": 1}, format="json")
    assert stale.status_code == 409
    assert stale.json()["current_version"] == 2
    review.refresh_from_db()
    assert review.notes == "a"


@pytest.mark.parametrize("state", REVIEW_STATES)
@pytest.mark.parametrize("action", ["start", "close"])
def test_every_review_transition_from_the_api(tpm, state, action):
    review = in_state(OperationalReviewFactory(), state)
    response = api(tpm).post(
        f"{REVIEWS}{review.pk}/{action}/", {"version": review.version}, format="json"
    )
    if (action, state) in REVIEW_LEGAL:
        assert response.status_code == 200
        assert response.json()["state"] == {"start": "in_progress", "close": "closed"}[action]
    else:
        assert response.status_code == 400
        assert "Cannot" in str(response.json())


@pytest.mark.parametrize(("action", "state", "legal"), [
    ("close", "open", True), ("close", "done", False),
    ("reopen", "done", True), ("reopen", "open", False),
])  # fmt: skip
def test_every_action_item_transition_from_the_api(engineer, action, state, legal):
    item = ActionItemFactory(owner=engineer)
    client = api(engineer)  # the owner
    if state == "done":
        assert client.post(f"{ITEMS}{item.pk}/close/", {"version": 1}).status_code == 200
        item.refresh_from_db()
    response = client.post(f"{ITEMS}{item.pk}/{action}/", {"version": item.version})
    assert response.status_code == (200 if legal else 400)


def test_only_runners_and_the_owner_close_an_item(engineer, reviewer, tpm):
    item = ActionItemFactory(owner=engineer)
    assert api(reviewer).post(f"{ITEMS}{item.pk}/close/", {"version": 1}).status_code == 403
    review = OperationalReviewFactory(date=TODAY)
    closed = api(tpm).post(f"{ITEMS}{item.pk}/close/", {"version": 1, "review": review.pk})
    assert closed.status_code == 200
    assert closed.json()["closed_in"] == review.pk


def test_filters(tpm, engineer):
    earlier = OperationalReviewFactory(date=TODAY - datetime.timedelta(days=7))
    review = OperationalReviewFactory(date=TODAY)
    in_state(earlier, "closed")
    mine = ActionItemFactory(
        owner=engineer, created_in=earlier, due_date=datetime.date(2026, 12, 1)
    )
    ActionItemFactory(owner=tpm, created_in=earlier, due_date=datetime.date(2027, 1, 1))
    client = api(tpm)

    def ids(url):
        return [row["id"] for row in client.get(url).json()["results"]]

    assert ids(f"{ITEMS}?owner=eli.engineer") == [mine.pk]
    assert ids(f"{ITEMS}?due_date_before=2026-12-15") == [mine.pk]
    assert len(ids(f"{ITEMS}?review={review.pk}")) == 2  # carried over
    assert ids(f"{ITEMS}?state=done") == []
    assert ids(f"{REVIEWS}?state=closed") == [earlier.pk]
    assert ids(f"{REVIEWS}?date_after={TODAY.isoformat()}") == [review.pk]


def test_confidential_items_and_agenda_entries_are_hidden(outsider, tpm, confidential_program):
    review = OperationalReviewFactory(date=TODAY)
    secret = ActionItemFactory(program=confidential_program, created_in=review)
    HealthSnapshotFactory(program=confidential_program, day=TODAY, score=10, grade="red")
    assert api(outsider).get(f"{ITEMS}{secret.pk}/").status_code == 404
    assert api(outsider).get(ITEMS).json()["count"] == 0
    hidden = api(outsider).get(f"{REVIEWS}{review.pk}/agenda/").json()
    assert "Project Nightjar" not in str(hidden)
    shown = api(tpm).get(f"{REVIEWS}{review.pk}/agenda/").json()
    assert shown["sections"][0]["items"][0]["program"]["slug"] == "project-nightjar"
    refused = api(outsider).post(
        ITEMS,
        {"review": review.pk, "title": "x", "owner": "otto.outsider", "due_date": "2026-12-01",
         "program": "project-nightjar"},
        format="json",
    )  # fmt: skip
    assert refused.status_code == 403
    as_runner = api(UserFactory(username="t2", roles=["TPM"])).post(
        ITEMS,
        {"review": review.pk, "title": "x", "owner": "t2", "due_date": "2026-12-01",
         "program": "project-nightjar"},
        format="json",
    )  # fmt: skip
    assert as_runner.status_code == 400  # a program it cannot see "does not exist"


def test_closing_through_the_api_freezes_the_agenda(tpm):
    review = OperationalReviewFactory(date=TODAY)
    api(tpm).post(f"{REVIEWS}{review.pk}/close/", {"version": 1})
    agenda = api(tpm).get(f"{REVIEWS}{review.pk}/agenda/").json()
    assert agenda["frozen"] is True
    assert OperationalReview.objects.get().agenda is not None


def populate(n, tpm):
    for i in range(n):
        review = OperationalReviewFactory()
        program = ProgramFactory(tpm=tpm, confidential=i % 2 == 0)
        MembershipFactory(program=program, user=tpm, role="tpm")
        ActionItemFactory(program=program, created_in=review, owner=UserFactory())
        ActionItemFactory(created_in=review, owner=UserFactory())


def test_list_endpoints_take_the_same_queries_at_two_sizes(tpm, same_queries_at_two_sizes):
    client = api(tpm)

    def get(url):
        tpm._pulse_roles = None  # read once per request, as with a session
        return client.get(url)

    urls = [REVIEWS, ITEMS, f"{REVIEWS}?state=scheduled", f"{ITEMS}?state=open"]
    populate(2, tpm)
    counts = same_queries_at_two_sizes(
        client, {url: partial(get, url) for url in urls}, grow=lambda: populate(12, tpm)
    )
    assert ActionItem.objects.count() == 28
    print("ops API query counts:", counts)
