"""The operational-review pages: permissions, transitions from the browser, htmx action items,
stale versions refused, confidential programs hidden, fixed query counts at two sizes."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from metrics.models import HealthSnapshot
from reviews.models import ActionItem, OperationalReview
from reviews.ops import services
from tests.conftest import queries_of
from tests.factories import (
    ActionItemFactory,
    MembershipFactory,
    OperationalReviewFactory,
    PortfolioFactory,
    ProgramFactory,
    UserFactory,
)
from tests.reviews.test_launch_views import api_rows, page_rows, text
from tests.reviews.test_ops_services import REVIEW_LEGAL, REVIEW_STATES, in_state

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
RUNNERS = ["tpm", "leader", "admin_user"]
READERS = ["engineer", "reviewer", "outsider"]


@pytest.fixture
def review(db):
    return OperationalReviewFactory(date=TODAY, title="This week")


def signed_in(client, user):
    client.force_login(user)
    return client


@pytest.mark.parametrize("who", RUNNERS + READERS)
def test_permission_matrix_of_the_pages(client, request, review, who):
    """Everyone reads; only TPMs, leadership and admins create, edit and run reviews."""
    user = request.getfixturevalue(who)
    signed_in(client, user)
    runner = who in RUNNERS
    for name, args in [("ops:list", []), ("ops:detail", [review.pk]), ("ops:print", [review.pk])]:
        assert client.get(reverse(name, args=args)).status_code == 200
    assert client.get(reverse("ops:create")).status_code == (200 if runner else 403)
    assert client.get(reverse("ops:edit", args=[review.pk])).status_code == (200 if runner else 403)
    start = client.post(reverse("ops:transition", args=[review.pk, "start"]), {"version": 1})
    assert start.status_code == (302 if runner else 403)
    add = client.post(
        reverse("ops:item-add", args=[review.pk]),
        {"title": "Fix alerts", "owner": user.pk, "due_date": "2026-12-01"},
    )
    assert add.status_code == (302 if runner else 403)
    assert ActionItem.objects.exists() == runner


def test_anonymous_people_are_sent_to_sign_in(client, review):
    response = client.get(reverse("ops:detail", args=[review.pk]))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_a_runner_schedules_a_review_and_the_duplicate_day_is_refused(client, tpm):
    signed_in(client, tpm)
    data = {"date": "2026-12-07", "title": "Weekly ops"}
    response = client.post(reverse("ops:create"), data)
    created = OperationalReview.objects.get()
    assert response["Location"] == created.get_absolute_url()
    assert created.created_by == tpm
    again = client.post(reverse("ops:create"), data)
    assert again.status_code == 200
    assert "already a review of every program that day" in again.content.decode()


@pytest.mark.parametrize("state", REVIEW_STATES)
@pytest.mark.parametrize("action", ["start", "close"])
def test_every_transition_from_the_browser(client, tpm, state, action):
    review = in_state(OperationalReviewFactory(), state)
    signed_in(client, tpm)
    response = client.post(
        reverse("ops:transition", args=[review.pk, action]),
        {"version": review.version},
        follow=True,
    )
    review.refresh_from_db()
    text = response.content.decode()
    if (action, state) in REVIEW_LEGAL:
        assert review.state == {"start": "in_progress", "close": "closed"}[action]
    else:
        assert review.state == state
        assert "Cannot" in text


def test_a_stale_edit_is_refused_with_a_form_error(client, tpm, review):
    signed_in(client, tpm)
    services.operational_review_update(review=review, user=tpm, version=1, notes="Theirs")
    response = client.post(
        reverse("ops:edit", args=[review.pk]),
        {"date": TODAY.isoformat(), "title": "This week", "notes": "Mine", "version": 1},
    )
    assert response.status_code == 200
    assert "changed by someone else" in response.content.decode()
    review.refresh_from_db()
    assert review.notes == "Theirs"


def test_notes_are_rendered_as_sanitised_markdown(client, tpm, review):
    services.operational_review_update(
        review=review, user=tpm, version=1, notes="**Bold** <script>alert(1)</script>"
    )
    text = signed_in(client, tpm).get(reverse("ops:detail", args=[review.pk])).content.decode()
    assert "<strong>Bold</strong>" in text
    assert "<script>alert(1)" not in text


def test_htmx_adds_an_action_item_and_shows_field_errors(client, tpm, review):
    signed_in(client, tpm)
    url = reverse("ops:item-add", args=[review.pk])
    missing = client.post(url, {"title": "", "owner": tpm.pk}, HTTP_HX_REQUEST="true")
    assert missing.status_code == 200
    assert "This field is required." in missing.content.decode()
    assert "<html" not in missing.content.decode()  # the section only
    added = client.post(
        url,
        {"title": "Page the DB team", "owner": tpm.pk, "due_date": "2026-12-01"},
        HTTP_HX_REQUEST="true",
    )
    assert "Page the DB team" in added.content.decode()
    assert ActionItem.objects.get().created_in == review


def test_the_owner_closes_their_item_others_may_not(client, engineer, reviewer, review):
    item = ActionItemFactory(owner=engineer, created_in=review)
    url = reverse("ops:item-transition", args=[review.pk, item.pk, "close"])
    assert signed_in(client, reviewer).post(url, {"version": 1}).status_code == 403
    response = signed_in(client, engineer).post(url, {"version": 1}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    item.refresh_from_db()
    assert item.state == "done"
    assert item.closed_in == review


def test_closing_an_item_with_a_stale_version_is_refused(client, tpm, review):
    item = ActionItemFactory(created_in=review)
    services.action_item_update(item=item, user=tpm, version=1, title="Renamed")
    url = reverse("ops:item-transition", args=[review.pk, item.pk, "close"])
    response = signed_in(client, tpm).post(url, {"version": 1}, HTTP_HX_REQUEST="true")
    assert "changed by someone else" in response.content.decode()
    item.refresh_from_db()
    assert item.state == "open"


def test_recording_a_decision_puts_it_in_the_program_log(client, tpm, review, program):
    signed_in(client, tpm)
    response = client.post(
        reverse("ops:decision-add", args=[review.pk]),
        {"program": program.pk, "title": "Pause rollout", "outcome": "Until the fix ships"},
    )
    assert response.status_code == 302
    assert program.decisions.get().title == "Pause rollout"
    page = client.get(reverse("ops:detail", args=[review.pk])).content.decode()
    assert "Pause rollout" in page


def test_confidential_programs_stay_hidden_on_the_page(
    client, tpm, outsider, confidential_program, review
):
    HealthSnapshot.objects.create(
        program=confidential_program, day=TODAY, score=20, grade="red", computed_at=timezone.now()
    )
    ActionItemFactory(title="Secret follow-up", program=confidential_program, created_in=review)
    url = reverse("ops:detail", args=[review.pk])
    assert "Project Nightjar" in signed_in(client, tpm).get(url).content.decode()
    text = signed_in(client, outsider).get(url).content.decode()
    assert "Project Nightjar" not in text
    assert "Secret follow-up" not in text


def populate(n: int, tpm) -> None:
    first = OperationalReview.objects.order_by("date").first()
    for i in range(n):
        program = ProgramFactory(tpm=tpm, confidential=i % 2 == 0)
        MembershipFactory(program=program, user=tpm, role="tpm")
        HealthSnapshot.objects.create(
            program=program, day=TODAY, score=30, grade="red", computed_at=timezone.now()
        )
        ActionItemFactory(
            program=program, created_in=first, due_date=TODAY - datetime.timedelta(days=2),
            owner=UserFactory(),
        )  # fmt: skip
        OperationalReviewFactory()


def test_query_counts_do_not_grow_with_the_data(client, tpm):
    """The review page, its printable view and the list page, at two data sizes."""
    OperationalReviewFactory(date=TODAY - datetime.timedelta(days=7))
    review = OperationalReviewFactory(date=TODAY)
    signed_in(client, tpm)
    urls = [
        reverse("ops:detail", args=[review.pk]),
        reverse("ops:print", args=[review.pk]),
        reverse("ops:list") + "?when=past",
        reverse("ops:list"),
    ]

    def counts():
        return [queries_of(lambda url=url: client.get(url)) for url in urls]

    populate(2, tpm)
    small = counts()
    populate(12, tpm)
    assert counts() == small
    print("ops page query counts (detail, print, past list, upcoming list):", small)


def test_admin_lists_reviews_and_action_items(client, admin_user, review):
    ActionItemFactory(created_in=review)
    signed_in(client, admin_user)
    for url in ("/admin/reviews/operationalreview/", "/admin/reviews/actionitem/",
                f"/admin/reviews/operationalreview/{review.pk}/change/"):  # fmt: skip
        assert client.get(url).status_code == 200


def test_my_action_items_lists_mine_overdue_first_and_closes_them(client, engineer, review):
    late = ActionItemFactory(
        owner=engineer, created_in=review, title="Rotate keys", due_date=TODAY - datetime.timedelta(days=3)
    )  # fmt: skip
    soon = ActionItemFactory(
        owner=engineer, created_in=review, title="Write runbook", due_date=TODAY + datetime.timedelta(days=5)
    )  # fmt: skip
    ActionItemFactory(created_in=review, title="Someone else's item")
    signed_in(client, engineer)
    page = client.get(reverse("ops:my-items")).content.decode()
    assert page.index("Rotate keys") < page.index("Write runbook")  # by due date
    assert "Someone else&#x27;s item" not in page and "Someone else's item" not in page
    assert f"Overdue since {late.due_date:%-d %b}" in page
    # The home page counts them.
    home = client.get(reverse("home")).content.decode()
    assert "2 action items from operational reviews are yours" in home and "1 overdue" in home
    url = reverse("ops:my-item-transition", args=[late.pk, "close"])
    response = client.post(url, {"version": 1})
    assert response.status_code == 302 and response["Location"] == reverse("ops:my-items")
    late.refresh_from_db()
    assert late.state == "done" and late.closed_by == engineer and late.closed_in is None
    after = client.get(reverse("ops:my-items")).content.decode()
    assert "closed." in after and "Rotate keys" not in after.split("<table")[1]
    done = client.get(reverse("ops:my-items") + "?show=done").content.decode()
    assert "Rotate keys" in done and "Write runbook" not in done
    # Reopened from the Done tab, back to it.
    reopen = client.post(
        reverse("ops:my-item-transition", args=[late.pk, "reopen"]), {"version": 2, "show": "done"}
    )
    assert reopen["Location"] == reverse("ops:my-items") + "?show=done"
    late.refresh_from_db()
    assert late.state == "open"
    # A stale version is refused with a message, and nothing changes.
    stale = client.post(reverse("ops:my-item-transition", args=[soon.pk, "close"]), {"version": 7})
    assert stale.status_code == 302
    soon.refresh_from_db()
    assert soon.state == "open"
    assert "changed by someone else" in client.get(reverse("ops:my-items")).content.decode()


def test_my_action_items_belong_to_me_alone(client, engineer, reviewer, review):
    item = ActionItemFactory(owner=engineer, created_in=review)
    signed_in(client, reviewer)
    url = reverse("ops:my-item-transition", args=[item.pk, "close"])
    assert client.post(url, {"version": 1}).status_code == 404
    assert (
        client.post(reverse("ops:my-item-transition", args=[item.pk, "explode"])).status_code == 404
    )
    assert client.get(url).status_code == 405
    item.refresh_from_db()
    assert item.state == "open"
    empty = client.get(reverse("ops:my-items")).content.decode()
    assert "Nothing on your list" in empty


def test_my_action_items_page_has_a_fixed_query_count(client, engineer, review):
    signed_in(client, engineer)

    def count(url):
        return queries_of(lambda: client.get(url))

    def add(n):
        for _ in range(n):
            ActionItemFactory(owner=engineer, created_in=review, program=ProgramFactory())

    urls = [reverse("ops:my-items"), reverse("ops:my-items") + "?show=done", reverse("home")]
    add(2)
    small = [count(url) for url in urls]
    add(15)
    assert [count(url) for url in urls] == small


@pytest.mark.parametrize(
    "query",
    [
        {"state": "closed"},
        {"state": ["scheduled", "closed"]},  # a link may repeat what the page offers once
        {"portfolio": "infra"},
        {"portfolio": "infra", "state": "closed"},
    ],
)
def test_the_reviews_page_and_the_api_filter_the_same_rows(client, tpm, query):
    """One FilterSet: the page's past reviews under a filter are the API's closed ones before
    today (one not closed stays among the open ones, however old)."""
    infra = PortfolioFactory(slug="infra", name="Infrastructure")
    for days_ago, state, portfolio in [
        (7, "closed", None), (14, "closed", infra), (21, "scheduled", infra), (3, "closed", infra),
        (-7, "scheduled", infra),
    ]:  # fmt: skip
        in_state(
            OperationalReviewFactory(
                date=TODAY - datetime.timedelta(days=days_ago), portfolio=portfolio
            ),
            state,
        )
    signed_in(client, tpm)
    api = APIClient()
    api.force_authenticate(tpm)
    shown = page_rows(client.get(reverse("ops:list"), {**query, "when": "past"}))
    before = (TODAY - datetime.timedelta(days=1)).isoformat()
    closed = set(OperationalReview.objects.filter(state="closed").values_list("pk", flat=True))
    api = [pk for pk in api_rows(api, "operational-reviews", {**query, "date_before": before})]
    assert shown and shown == [pk for pk in api if pk in closed]


def test_the_reviews_page_shows_upcoming_or_past_and_answers_htmx(client, tpm):
    past = in_state(
        OperationalReviewFactory(date=TODAY - datetime.timedelta(days=7), title="Last week"),
        "closed",
    )
    upcoming = OperationalReviewFactory(date=TODAY, title="This week")
    signed_in(client, tpm)
    url = reverse("ops:list")
    assert page_rows(client.get(url)) == [upcoming.pk]
    # Yesterday's review not yet closed is still open business, not the past.
    running = in_state(
        OperationalReviewFactory(date=TODAY - datetime.timedelta(days=1), title="Monday's"),
        "in_progress",
    )
    listed = client.get(url).context["page"].object_list
    assert [review.pk for review in listed] == [running.pk, upcoming.pk]  # soonest first
    running.delete()
    assert page_rows(client.get(url, {"when": "past"})) == [past.pk]
    # An unknown value (an old bookmark) is left out: upcoming, nothing narrowed.
    response = client.get(url, {"when": "someday", "portfolio": "gone"})
    assert page_rows(response) == [upcoming.pk] and "match your filters" not in text(response)
    fragment = text(
        client.get(url, {"when": "past"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="ops-results")
    )
    assert "Last week" in fragment and "This week" not in fragment
    assert 'role="search"' not in fragment and "<h1>" not in fragment
    assert "No reviews match" in text(client.get(url, {"when": "past", "state": "in_progress"}))
