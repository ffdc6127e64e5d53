"""The launch-review API: the same rules as the browser, transitions as POST actions,
optimistic concurrency, and bulk answers that are safe to repeat with an Idempotency-Key."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone
from rest_framework.test import APIClient

from config.celery import app as celery_app
from reviews.models import (
    IdempotencyRecord,
    LaunchReview,
    LaunchReviewItem,
    LaunchReviewState,
    SignOff,
)
from reviews.states import LAUNCH_REVIEW_TRANSITIONS
from reviews.tasks import idempotency_records_prune
from tests.factories import MembershipFactory, ProgramFactory
from tests.reviews.conftest import ALL_STATES, LAUNCH_DATE, answer_all, put_in_state

pytestmark = pytest.mark.django_db

API = "/api/v1"


def as_user(user) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def post_action(user, review, action, **headers):
    path = action.replace("_", "-")
    return as_user(user).post(
        f"{API}/launch-reviews/{review.pk}/{path}/", {"version": review.version}, **headers
    )


def test_create_copies_the_checklist_and_answers_with_an_etag(program, author, checklist):
    response = as_user(author).post(
        f"{API}/launch-reviews/",
        {"program": program.slug, "title": "GA", "launch_date": "2026-11-02", "tier": 3},
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["state"] == "draft" and body["author"] == "eve.author"
    assert (body["item_count"], body["answered_count"], body["open_required_count"]) == (4, 0, 2)
    assert body["template"] == "Small checklist v1"
    assert response["ETag"] == '"1"'


def test_create_needs_a_working_member_of_the_program(program, outsider, checklist):
    """A signed-in engineer outside the program may read it but not start its reviews."""
    response = as_user(outsider).post(
        f"{API}/launch-reviews/",
        {"program": program.slug, "title": "GA", "launch_date": "2026-11-02", "tier": 3},
    )
    assert response.status_code == 403


def test_create_refuses_unknown_fields_and_a_foreign_milestone(program, author, checklist):
    from tests.factories import MilestoneFactory

    foreign = MilestoneFactory(program=ProgramFactory())
    response = as_user(author).post(
        f"{API}/launch-reviews/",
        {
            "program": program.slug, "title": "GA", "launch_date": "2026-11-02", "tier": 3,
            "milestone": foreign.pk, "state": "approved",
        },
    )  # fmt: skip
    assert response.status_code == 400
    assert "state" in response.json()
    response = as_user(author).post(
        f"{API}/launch-reviews/",
        {
            "program": program.slug, "title": "GA", "launch_date": "2026-11-02", "tier": 3,
            "milestone": foreign.pk,
        },
    )  # fmt: skip
    assert response.status_code == 400
    assert "milestone" in response.json()


def test_list_filters_by_program_state_and_date(review, author, program, checklist):
    from reviews.launch import services

    other = services.launch_review_create(
        program=ProgramFactory(), user=author, title="Elsewhere",
        launch_date=LAUNCH_DATE.replace(month=12), tier=3,
    )  # fmt: skip
    put_in_state(other, "approved")
    client = as_user(author)

    def titles(**query):
        response = client.get(f"{API}/launch-reviews/", query)
        return [row["title"] for row in response.json()["results"]]

    assert titles() == ["GA in eu-west", "Elsewhere"]
    assert titles(program=program.slug) == ["GA in eu-west"]
    assert titles(state="approved") == ["Elsewhere"]
    assert titles(launch_date_after="2026-11-30") == ["Elsewhere"]
    assert client.get(f"{API}/launch-reviews/", {"state": "nonsense"}).status_code == 400


@pytest.mark.parametrize("action", ["submit", "resubmit", "launch", "withdraw"])
@pytest.mark.parametrize("state", ALL_STATES)
def test_every_author_transition_through_the_api(review, author, action, state):
    """200 and the table's target when legal; 400 with the reason and no change otherwise."""
    answer_all(review, author)
    review = put_in_state(review, state)
    response = post_action(author, review, action)
    transition = LAUNCH_REVIEW_TRANSITIONS[action]
    if state in transition.sources:
        assert response.status_code == 200, response.json()
        assert response.json()["state"] == transition.target
        assert response["ETag"] == f'"{review.version + 1}"'
    else:
        assert response.status_code == 400
        assert "Cannot" in str(response.json())
        review.refresh_from_db()
        assert review.state == state


@pytest.mark.parametrize("decision", ["approved", "changes_requested"])
@pytest.mark.parametrize("state", ALL_STATES)
def test_every_sign_off_transition_through_the_api(review, author, sre, decision, state):
    answer_all(review, author)
    review = put_in_state(review, state)
    response = as_user(sre).post(
        f"{API}/sign-offs/",
        {"review": review.pk, "area": "reliability", "decision": decision, "comment": "Fix it"},
    )
    action = "approve" if decision == "approved" else "request_changes"
    if state in LAUNCH_REVIEW_TRANSITIONS[action].sources:
        assert response.status_code == 201, response.json()
        assert response.json()["reviewer"] == "sam.sre"
    else:
        assert response.status_code == 400
        assert not SignOff.objects.exists()


def test_start_review_through_the_api(submitted, author, sre):
    assert post_action(author, submitted, "start_review").status_code == 400
    response = post_action(sre, submitted, "start_review")
    assert response.status_code == 200 and response.json()["state"] == "in_review"


def test_a_review_is_approved_when_each_area_signs_off(submitted, sre, secops, author):
    for user, area in ((sre, "reliability"), (secops, "security")):
        response = as_user(user).post(
            f"{API}/sign-offs/", {"review": submitted.pk, "area": area, "decision": "approved"}
        )
        assert response.status_code == 201
    response = as_user(author).get(f"{API}/launch-reviews/{submitted.pk}/")
    assert response.json()["state"] == "approved"


def test_only_reviewers_of_an_area_sign_it_and_never_their_own(submitted, sre, tpm, author):
    refused = as_user(sre).post(
        f"{API}/sign-offs/", {"review": submitted.pk, "area": "security", "decision": "approved"}
    )
    assert refused.status_code == 403
    assert "Only reviewers of this area" in refused.json()["detail"]
    refused = as_user(tpm).post(
        f"{API}/sign-offs/",
        {"review": submitted.pk, "area": "reliability", "decision": "approved"},
    )
    assert refused.status_code == 403


def test_an_engineer_cannot_approve_their_own_review_through_the_api(program, checklist, sre):
    from reviews.launch import services

    MembershipFactory(program=program, user=sre, role="eng_lead")
    review = services.launch_review_create(
        program=program, user=sre, title="Mine", launch_date=LAUNCH_DATE, tier=3
    )
    answer_all(review, sre)
    review.refresh_from_db()
    assert post_action(sre, review, "submit").status_code == 200
    refused = as_user(sre).post(
        f"{API}/sign-offs/", {"review": review.pk, "area": "reliability", "decision": "approved"}
    )
    assert refused.status_code == 403
    assert "your own" in refused.json()["detail"]


def test_submission_refused_lists_what_is_missing(review, author):
    response = post_action(author, review, "submit")
    assert response.status_code == 400
    body = response.json()
    assert body["missing"] == ["Reliability: SLOs defined?", "Security: Threat model?"]
    assert "2 required items" in body["non_field_errors"][0]


def test_transitions_need_a_precondition(review, author):
    """No version: 428; stale If-Match: 412; stale body version: 409."""
    url = f"{API}/launch-reviews/{review.pk}/withdraw/"
    assert as_user(author).post(url, {}).status_code == 428
    assert as_user(author).post(url, {}, HTTP_IF_MATCH='"7"').status_code == 412
    stale = as_user(author).post(url, {"version": 7})
    assert stale.status_code == 409 and stale.json()["current_version"] == 1
    assert as_user(author).post(url, {}, HTTP_IF_MATCH='"1"').status_code == 200


def test_others_cannot_change_a_review(review, outsider, sre, leader):
    for user in (outsider, sre, leader):
        assert post_action(user, review, "withdraw").status_code == 403


def test_answering_an_item_with_if_match(review, author):
    item = review.items.get(question="Threat model?")
    url = f"{API}/launch-review-items/{item.pk}/"
    client = as_user(author)
    assert client.patch(url, {"status": "done"}).status_code == 428
    refused = client.patch(url, {"status": "not_applicable"}, HTTP_IF_MATCH='"1"')
    assert refused.status_code == 400
    assert "not_applicable_reason" in refused.json()
    bad_link = client.patch(
        url, {"status": "done", "evidence": ["ftp://x.example.com/f"]}, HTTP_IF_MATCH='"1"'
    )
    assert bad_link.status_code == 400 and "evidence" in bad_link.json()
    response = client.patch(
        url,
        {"status": "done", "evidence": ["https://wiki.example.com/tm"], "notes": "Reviewed"},
        HTTP_IF_MATCH='"1"',
    )
    assert response.status_code == 200, response.json()
    assert response.json()["evidence"] == ["https://wiki.example.com/tm"]
    assert response["ETag"] == '"2"'
    assert client.patch(url, {"notes": "again"}, HTTP_IF_MATCH='"1"').status_code == 412
    partial = client.patch(url, {"notes": "Still done", "version": 2})
    assert partial.json()["status"] == "done" and partial.json()["notes"] == "Still done"
    assert client.patch(url, {"question": "Easier?", "version": 3}).status_code == 400


def bulk_body(review, **overrides):
    items = list(review.items.filter(required=True))
    return {
        "answers": [
            {"item": items[0].pk, "status": "done", "evidence": ["https://ci.example.com/run/1"]},
            {"item": items[1].pk, "status": "not_applicable", "not_applicable_reason": "No API"},
        ],
        **overrides,
    }


def test_bulk_answers_replay_with_the_same_idempotency_key(review, author):
    """Same key and body: the stored answer, no second write. Another body: 422."""
    client = as_user(author)
    url = f"{API}/launch-reviews/{review.pk}/answers/"
    first = client.post(url, bulk_body(review), format="json", HTTP_IDEMPOTENCY_KEY="ci-run-41")
    assert first.status_code == 200, first.json()
    assert [a["version"] for a in first.json()] == [2, 2]
    again = client.post(url, bulk_body(review), format="json", HTTP_IDEMPOTENCY_KEY="ci-run-41")
    assert again.status_code == 200
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert sorted(
        LaunchReviewItem.objects.filter(review=review).values_list("version", flat=True)
    ) == [1, 1, 2, 2]
    other = bulk_body(review)
    other["answers"][0]["notes"] = "different"
    refused = client.post(url, other, format="json", HTTP_IDEMPOTENCY_KEY="ci-run-41")
    assert refused.status_code == 422
    # Without a key, a repeat writes again.
    assert client.post(url, bulk_body(review), format="json").json()[0]["version"] == 3


def test_an_expired_idempotency_key_starts_afresh(review, author, settings):
    """Past IDEMPOTENCY_KEY_TTL_HOURS a key is new again, whatever it was used for."""
    client = as_user(author)
    url = f"{API}/launch-reviews/{review.pk}/answers/"
    assert (
        client.post(url, bulk_body(review), format="json", HTTP_IDEMPOTENCY_KEY="k").status_code
        == 200
    )
    record = IdempotencyRecord.objects.get(key="k")
    record.created_at -= datetime.timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS, minutes=1)
    record.save()
    other = bulk_body(review)
    other["answers"][0]["notes"] = "a new run"
    fresh = client.post(url, other, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert fresh.status_code == 200, fresh.json()  # not 422: the old use has expired
    assert "Idempotent-Replayed" not in fresh
    assert fresh.json()[0]["version"] == 3 and fresh.json()[0]["notes"] == "a new run"
    again = client.post(url, other, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert again["Idempotent-Replayed"] == "true" and again.json() == fresh.json()
    assert IdempotencyRecord.objects.filter(key="k").count() == 1


def test_expired_idempotency_records_are_deleted_every_hour(review, author, settings):
    client = as_user(author)
    url = f"{API}/launch-reviews/{review.pk}/answers/"
    for key in ("old", "new"):
        assert (
            client.post(url, bulk_body(review), format="json", HTTP_IDEMPOTENCY_KEY=key).status_code
            == 200
        )
    IdempotencyRecord.objects.filter(key="old").update(
        created_at=timezone.now() - datetime.timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS + 1)
    )
    assert idempotency_records_prune.apply().get() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]
    assert idempotency_records_prune.apply().get() == 0  # safe to run again
    scheduled = {entry["task"] for entry in celery_app.conf.beat_schedule.values()}
    assert "reviews.tasks.idempotency_records_prune" in scheduled


def test_a_refused_bulk_answer_stores_nothing_and_writes_nothing(review, author):
    client = as_user(author)
    url = f"{API}/launch-reviews/{review.pk}/answers/"
    body = bulk_body(review)
    body["answers"][1]["not_applicable_reason"] = ""
    refused = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert refused.status_code == 400
    assert not LaunchReviewItem.objects.filter(review=review, version__gt=1).exists()
    fixed = client.post(url, bulk_body(review), format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert fixed.status_code == 200


def test_bulk_answers_refuse_items_of_other_reviews(review, author, program, checklist):
    from reviews.launch import services

    other = services.launch_review_create(
        program=program, user=author, title="Other", launch_date=LAUNCH_DATE, tier=3
    )
    body = {"answers": [{"item": other.items.first().pk, "status": "done"}]}
    response = as_user(author).post(
        f"{API}/launch-reviews/{review.pk}/answers/", body, format="json"
    )
    assert response.status_code == 400 and "answers" in response.json()


def test_confidential_reviews_are_hidden_until_one_reviews_them(
    confidential_program, engineer, checklist, sre, outsider
):
    from reviews.launch import services

    review = services.launch_review_create(
        program=confidential_program, user=engineer, title="Nightjar GA",
        launch_date=LAUNCH_DATE, tier=3,
    )  # fmt: skip
    url = f"{API}/launch-reviews/{review.pk}/"
    assert as_user(outsider).get(url).status_code == 404
    assert as_user(sre).get(url).status_code == 404
    assert as_user(outsider).get(f"{API}/launch-reviews/").json()["count"] == 0
    answer_all(review, engineer)
    review.refresh_from_db()
    assert post_action(engineer, review, "submit").status_code == 200
    assert as_user(sre).get(url).status_code == 200
    assert as_user(outsider).get(url).status_code == 404
    assert (
        as_user(outsider).get(f"{API}/launch-review-items/", {"review": review.pk}).json()["count"]
        == 0
    )


def test_submit_through_the_api_mails_the_reviewers(
    review, author, sre, secops, django_capture_on_commit_callbacks
):
    answer_all(review, author)
    review.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        assert post_action(author, review, "submit").status_code == 200
    assert sorted(mail.outbox[0].to) == ["sam.sre@example.com", "sue.security@example.com"]


def test_comments_from_the_author_and_reviewers_only(submitted, author, sre, outsider):
    url = f"{API}/review-comments/"
    assert as_user(author).post(url, {"review": submitted.pk, "body": "Done"}).status_code == 201
    assert as_user(sre).post(url, {"review": submitted.pk, "body": "Thanks"}).status_code == 201
    assert as_user(outsider).post(url, {"review": submitted.pk, "body": "Hi"}).status_code == 403
    assert as_user(author).get(url, {"review": submitted.pk}).json()["count"] == 2


def test_anonymous_is_refused():
    assert APIClient().get(f"{API}/launch-reviews/").status_code in (401, 403)
    assert LaunchReview.objects.count() == 0
    assert LaunchReviewState.DRAFT == "draft"
