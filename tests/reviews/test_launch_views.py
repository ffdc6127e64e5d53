"""The launch-review pages through Django's test client: who sees what, every action end to end."""

import datetime
import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from rest_framework.test import APIClient

from metrics.views import _launches_url
from reviews.launch import services
from reviews.models import LaunchReview, LaunchReviewItem, SignOff
from reviews.states import LAUNCH_REVIEW_TRANSITIONS
from tests.factories import LaunchReviewFactory, ProgramFactory
from tests.reviews.conftest import ALL_STATES, LAUNCH_DATE, answer_all, put_in_state

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return response.content.decode()


def flashed(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def transition_url(review, action) -> str:
    return reverse("reviews:launch-transition", args=[review.pk, action])


def test_program_page_lists_its_reviews_and_offers_a_new_one(client, program, review, author):
    client.force_login(author)
    page = text(client.get(program.get_absolute_url()))
    assert "Launch reviews" in page and "GA in eu-west" in page
    assert reverse("reviews:launch-create", args=[program.slug]) in page


def test_program_page_offers_no_new_review_to_outsiders(client, program, review, outsider):
    client.force_login(outsider)
    page = text(client.get(program.get_absolute_url()))
    assert "GA in eu-west" in page
    assert reverse("reviews:launch-create", args=[program.slug]) not in page


def test_create_a_review_from_the_program(client, program, author, checklist):
    client.force_login(author)
    url = reverse("reviews:launch-create", args=[program.slug])
    assert client.get(url).status_code == 200
    response = client.post(
        url, {"title": "GA", "launch_date": "2026-11-02", "tier": 3, "milestone": ""}
    )
    review = LaunchReview.objects.get()
    assert response.status_code == 302 and response["Location"] == review.get_absolute_url()
    assert review.items.count() == 4


def test_create_is_refused_to_outsiders_and_hidden_for_confidential(
    client, program, outsider, confidential_program, checklist
):
    client.force_login(outsider)
    assert client.get(reverse("reviews:launch-create", args=[program.slug])).status_code == 403
    hidden = reverse("reviews:launch-create", args=[confidential_program.slug])
    assert client.get(hidden).status_code == 404


def test_the_review_page_shows_the_checklist_by_area(client, review, author):
    client.force_login(author)
    page = text(client.get(review.get_absolute_url()))
    for heading in ("Reliability", "Security", "Documentation", "SLOs defined?", "Readiness"):
        assert heading in page
    assert "Still open before you can submit" in page
    assert "Submit for review" in page


def test_answering_an_item_with_htmx_swaps_it_in_place(client, review, author):
    client.force_login(author)
    item = review.items.get(question="Threat model?")
    url = reverse("reviews:item-answer", args=[review.pk, item.pk])
    response = client.post(
        url,
        {"version": 1, "status": "done", "evidence": "https://wiki.example.com/tm\n", "notes": ""},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    fragment = text(response)
    assert f'id="item-{item.pk}"' in fragment and "Saved" in fragment
    assert 'id="readiness"' in fragment and 'hx-swap-oob="true"' in fragment
    item.refresh_from_db()
    assert item.status == "done" and item.evidence == ["https://wiki.example.com/tm"]


def test_a_refused_answer_keeps_what_was_typed(client, review, author):
    client.force_login(author)
    item = review.items.get(question="Threat model?")
    url = reverse("reviews:item-answer", args=[review.pk, item.pk])
    response = client.post(
        url,
        {"version": 1, "status": "not_applicable", "evidence": "not a link", "notes": "mine"},
        HTTP_HX_REQUEST="true",
    )
    fragment = text(response)
    assert "Say why this does not apply." in fragment
    assert "mine" in fragment
    stale = client.post(url, {"version": 9, "status": "done"}, HTTP_HX_REQUEST="true")
    assert "changed by someone else" in text(stale)
    assert LaunchReviewItem.objects.get(pk=item.pk).version == 1


def test_answering_without_javascript_returns_to_the_item(client, review, author):
    client.force_login(author)
    item = review.items.first()
    response = client.post(
        reverse("reviews:item-answer", args=[review.pk, item.pk]), {"version": 1, "status": "done"}
    )
    assert response["Location"].endswith(f"#item-{item.pk}")
    assert flashed(response) == ["Answer saved."]


def test_others_cannot_answer(client, review, outsider, sre):
    item = review.items.first()
    for user in (outsider, sre):
        client.force_login(user)
        response = client.post(
            reverse("reviews:item-answer", args=[review.pk, item.pk]),
            {"version": 1, "status": "done"},
        )
        assert response.status_code == 403


def element(fragment: str, element_id: str) -> str:
    """The opening tag and text of the element with ``element_id`` up to its closing tag."""
    match = re.search(rf'<(\w+)[^>]*\bid="{element_id}"[^>]*>.*?</\1>', fragment, re.S)
    assert match, f"no #{element_id}"
    return match.group(0)


def test_an_autosaved_answer_returns_its_row_and_the_progress_out_of_band(client, review, author):
    client.force_login(author)
    item = review.items.get(question="Threat model?")
    response = client.post(
        reverse("reviews:item-answer", args=[review.pk, item.pk]),
        {"version": 1, "status": "done", "evidence": "https://wiki.example.com/tm"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    fragment = text(response)
    # What the page takes from the item: its status line, its summary row and its version.
    assert "Saved" in element(fragment, f"item-{item.pk}-state")
    row = element(fragment, f"item-{item.pk}-summary")
    assert "check-done" in row and "1 link" in row
    assert f'id="item-{item.pk}-version" value="2"' in fragment
    # The sticky bar, out of band: one of the two required items answered, by area.
    bar = element(fragment, "checklist-progress")
    assert 'hx-swap-oob="true"' in bar and "1/2</strong> required answered" in bar
    assert 'aria-valuenow="1"' in bar and "50%" in bar
    assert re.search(r"Security\s*<span[^>]*>1/1</span>", bar)
    assert re.search(r"Reliability\s*<span[^>]*>0/1</span>", bar)
    assert re.search(r"Documentation\s*<span class=\"muted\">optional</span>", bar)


def test_a_stale_answer_is_a_conflict_that_keeps_the_users_version(client, review, author):
    client.force_login(author)
    item = review.items.get(question="Threat model?")
    services.launch_review_item_answer(
        item=item, user=author, version=1, status="not_applicable",
        not_applicable_reason="Reuses the CDN's threat model",
    )  # fmt: skip
    response = client.post(
        reverse("reviews:item-answer", args=[review.pk, item.pk]),
        {"version": 1, "status": "done", "notes": "my note"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 409
    fragment = text(response)
    state = element(fragment, f"item-{item.pk}-state")
    assert "changed by someone else" in state and "It now reads “Not applicable”" in state
    assert f'href="{review.get_absolute_url()}#item-{item.pk}"' in state
    # The row shows what is stored; the version stays the user's, so no later save from this
    # page overwrites the other answer; the inputs keep what the user typed.
    assert "check-not_applicable" in element(fragment, f"item-{item.pk}-summary")
    assert f'id="item-{item.pk}-version" value="1"' in fragment
    assert "my note" in fragment
    item.refresh_from_db()
    assert (item.status, item.version, item.notes) == ("not_applicable", 2, "")


def test_a_refused_answer_is_unprocessable_with_the_reason_on_its_status_line(
    client, review, author
):
    client.force_login(author)
    item = review.items.get(question="Threat model?")
    response = client.post(
        reverse("reviews:item-answer", args=[review.pk, item.pk]),
        {"version": 1, "status": "not_applicable", "not_applicable_reason": " "},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422
    fragment = text(response)
    assert "Say why this does not apply." in element(fragment, f"item-{item.pk}-state")
    assert "check-not_done" in element(fragment, f"item-{item.pk}-summary")
    assert "0/2</strong> required answered" in element(fragment, "checklist-progress")


def test_a_submitted_review_takes_no_answers_and_shows_no_answer_forms(
    client, submitted, author, sre
):
    item = submitted.items.get(question="Threat model?")
    url = reverse("reviews:item-answer", args=[submitted.pk, item.pk])
    client.force_login(author)
    response = client.post(
        url, {"version": item.version, "status": "not_done"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 422
    assert "while the review is a draft or changes were requested" in text(response)
    assert "data-autosave" not in text(client.get(submitted.get_absolute_url()))
    client.force_login(sre)
    response = client.post(
        url, {"version": item.version, "status": "not_done"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 403
    item.refresh_from_db()
    assert item.status == "done"


def test_the_checklist_folds_answered_items_under_a_sticky_progress_bar(client, review, author):
    item = review.items.get(question="Threat model?")
    services.launch_review_item_answer(item=item, user=author, version=1, status="done")
    client.force_login(author)
    page = text(client.get(review.get_absolute_url()))
    assert "js/checklist.js" in page
    assert "1/2</strong> required answered" in element(page, "checklist-progress")
    unfolded = re.findall(r'<details class="check-fold" open>\s*<summary[^>]*id="item-(\d+)', page)
    # Only the required item still open unfolds; answered and optional items are one row.
    assert [int(pk) for pk in unfolded] == [review.items.get(question="SLOs defined?").pk]
    assert page.count("data-autosave-submit>Save answer</button>") == 4


@pytest.mark.parametrize("action", ["submit", "resubmit", "launch", "withdraw"])
@pytest.mark.parametrize("state", ALL_STATES)
def test_every_author_transition_from_the_browser(client, review, author, action, state):
    answer_all(review, author)
    review = put_in_state(review, state)
    client.force_login(author)
    response = client.post(transition_url(review, action), {"version": review.version})
    assert response.status_code == 302
    changed = LaunchReview.objects.get(pk=review.pk)
    transition = LAUNCH_REVIEW_TRANSITIONS[action]
    if state in transition.sources:
        assert changed.state == transition.target
        assert flashed(response)[0].startswith("Launch review is now")
    else:
        assert changed.state == state
        assert flashed(response)[0].startswith("Cannot")


@pytest.mark.parametrize("decision", ["approved", "changes_requested"])
@pytest.mark.parametrize("state", ALL_STATES)
def test_every_sign_off_from_the_browser(client, review, author, sre, decision, state):
    answer_all(review, author)
    review = put_in_state(review, state)
    client.force_login(sre)
    response = client.post(
        reverse("reviews:sign-off", args=[review.pk]),
        {"area": "reliability", "decision": decision, "comment": "Looked at it"},
    )
    assert response.status_code == 302
    action = "approve" if decision == "approved" else "request_changes"
    if state in LAUNCH_REVIEW_TRANSITIONS[action].sources:
        assert SignOff.objects.filter(review=review, reviewer=sre).exists()
    else:
        assert not SignOff.objects.exists()
        assert flashed(response)[0].startswith("Cannot")


def test_submission_refused_lists_the_missing_items(client, review, author):
    client.force_login(author)
    response = client.post(transition_url(review, "submit"), {"version": review.version})
    message = flashed(response)[0]
    assert "2 required items" in message
    assert "Reliability: SLOs defined?" in message and "Security: Threat model?" in message


def test_the_browser_refuses_signing_other_areas_and_your_own_review(
    client, submitted, sre, program, checklist
):
    client.force_login(sre)
    response = client.post(
        reverse("reviews:sign-off", args=[submitted.pk]),
        {"area": "security", "decision": "approved"},
    )
    assert flashed(response) == ["Only reviewers of this area sign it off."]
    from programs.models import ProgramMembership

    ProgramMembership.objects.filter(program=program, user=sre).update(role="eng_lead")
    own = services.launch_review_create(
        program=program, user=sre, title="Mine", launch_date=LAUNCH_DATE, tier=3
    )
    answer_all(own, sre)
    own.refresh_from_db()
    services.launch_review_transition(review=own, user=sre, action="submit", version=own.version)
    page = text(client.get(own.get_absolute_url()))
    assert "Record reliability decision" not in page
    response = client.post(
        reverse("reviews:sign-off", args=[own.pk]), {"area": "reliability", "decision": "approved"}
    )
    assert flashed(response) == ["You cannot sign off your own launch review."]
    assert not SignOff.objects.exists()


def test_reviewers_see_their_sign_off_forms_and_approve(client, submitted, sre, secops):
    """Each sign-off says what it did and what the launch still waits for, in plain words."""
    client.force_login(sre)
    page = text(client.get(submitted.get_absolute_url()))
    assert "Record reliability decision" in page and "Record security decision" not in page
    said = []
    for user, area in ((sre, "reliability"), (secops, "security")):
        client.force_login(user)
        response = client.post(
            reverse("reviews:sign-off", args=[submitted.pk]), {"area": area, "decision": "approved"}
        )
        said.append(flashed(response)[-1])
    submitted.refresh_from_db()
    assert submitted.state == "approved"
    assert said == [
        "You approved Reliability. Still waiting for sign-off: Security.",
        "You approved Security. Every area is signed off: the launch is approved.",
    ]


def test_requesting_changes_says_where_the_review_goes(client, submitted, sre):
    client.force_login(sre)
    response = client.post(
        reverse("reviews:sign-off", args=[submitted.pk]),
        {"area": "reliability", "decision": "changes_requested", "comment": "Add the SLO"},
    )
    assert flashed(response) == [
        "You requested changes in Reliability: the review goes back to its author."
    ]


def test_the_queue_titles_are_links_and_areas_are_labels(client, submitted, sre):
    """The launch's title links to it (link-styled); the areas are neutral labels."""
    client.force_login(sre)
    page = text(client.get(reverse("reviews:queue")))
    assert f'<a class="strong-link" href="{submitted.get_absolute_url()}">' in page
    assert '<li class="tag">Reliability</li>' in page


def test_editing_a_review_leads_back_to_launches(client, review, author):
    client.force_login(author)
    page = text(client.get(reverse("reviews:launch-edit", args=[review.pk])))
    crumbs = page.split('class="breadcrumbs"', 1)[1].split("</nav>", 1)[0]
    assert ">Launches</a>" in crumbs and f">{review.title}</a>" in crumbs
    assert ">Programs</a>" not in crumbs


def test_confidential_reviews_404_for_outsiders_and_open_for_their_reviewers(
    client, confidential_program, engineer, checklist, sre, outsider
):
    review = services.launch_review_create(
        program=confidential_program, user=engineer, title="Nightjar GA",
        launch_date=LAUNCH_DATE, tier=3,
    )  # fmt: skip
    client.force_login(sre)
    assert client.get(review.get_absolute_url()).status_code == 404
    answer_all(review, engineer)
    review.refresh_from_db()
    services.launch_review_transition(
        review=review, user=engineer, action="submit", version=review.version
    )
    assert client.get(review.get_absolute_url()).status_code == 200
    assert "Nightjar GA" in text(client.get(reverse("reviews:queue")))
    client.force_login(outsider)
    assert client.get(review.get_absolute_url()).status_code == 404
    assert "Nightjar GA" not in text(client.get(reverse("reviews:launch-list")))


def test_the_queue_shows_what_waits_for_my_areas(client, submitted, sre, secops, author):
    client.force_login(sre)
    page = text(client.get(reverse("reviews:queue")))
    assert "GA in eu-west" in page and "Waiting for you" in page
    services.launch_review_sign_off(
        review=submitted, user=sre, area="reliability", decision="approved"
    )
    assert "GA in eu-west" not in text(client.get(reverse("reviews:queue")))
    client.force_login(secops)
    assert "GA in eu-west" in text(client.get(reverse("reviews:queue")))
    client.force_login(author)
    page = text(client.get(reverse("reviews:queue")))
    assert "Your launch reviews" in page and "GA in eu-west" in page


def test_the_launches_page_filters_and_pages(client, review, author, checklist):
    for n in range(26):
        services.launch_review_create(
            program=ProgramFactory(), user=author, title=f"Launch {n:02}",
            launch_date=LAUNCH_DATE, tier=3,
        )  # fmt: skip
    client.force_login(author)
    url = reverse("reviews:launch-list")
    page = text(client.get(url))
    assert "27 launches" in page and "Page 1 of 2" in page
    assert "1 launch " in text(client.get(url, {"q": "eu-west"}))
    assert "No launches match" in text(client.get(url, {"state": "approved"}))
    fragment = client.get(
        url, {"q": "Launch 2"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="launch-results"
    )
    assert "<html" not in text(fragment) and "Launch 20" in text(fragment)


def test_the_author_comments_and_edits(client, submitted, author):
    client.force_login(author)
    client.post(reverse("reviews:comment-add", args=[submitted.pk]), {"body": "Linked prod."})
    assert "Linked prod." in text(client.get(submitted.get_absolute_url()))
    url = reverse("reviews:launch-edit", args=[submitted.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "title": "GA everywhere",
            "launch_date": "2026-11-09",
            "milestone": "",
            "version": submitted.version,
        },
    )
    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.title == "GA everywhere"


def page_rows(response) -> list[int]:
    """The ids of the rows a list page shows."""
    assert response.status_code == 200
    return sorted(row.pk for row in response.context["page"].object_list)


def api_rows(client, path: str, query: dict) -> list[int]:
    response = client.get(f"/api/v1/{path}/", query)
    assert response.status_code == 200, response.content
    return sorted(row["id"] for row in response.json()["results"])


@pytest.mark.parametrize(
    "query",
    [
        {"state": "in_review"},
        {"state": ["draft", "approved"]},  # a link may repeat what the page offers once
        {"tier": "2", "state": ["draft", "withdrawn"]},
        {"launch_date_after": "2026-10-01", "launch_date_before": "2026-10-31", "state": "draft"},
        {"launch_date_before": "2026-09-30", "state": ["draft", "withdrawn"]},
    ],
)
def test_the_launches_page_and_the_api_filter_the_same_rows(client, engineer, query):
    """One FilterSet: the page's filters pick exactly the reviews the API's pick (given a
    state: without one, the page leaves withdrawn reviews out)."""
    for day, state, tier in [
        (9, "draft", 3), (10, "in_review", 2), (15, "approved", 1), (20, "withdrawn", 2),
        (31, "draft", 2), (40, "in_review", 3), (60, "draft", 1),
    ]:  # fmt: skip
        LaunchReviewFactory(
            launch_date=datetime.date(2026, 9, 1) + datetime.timedelta(days=day),
            state=state,
            tier=tier,
        )
    client.force_login(engineer)
    api = APIClient()
    api.force_authenticate(engineer)
    shown = page_rows(client.get(reverse("reviews:launch-list"), query))
    assert shown and shown == api_rows(api, "launch-reviews", query)


def test_the_launches_page_leaves_withdrawn_out_and_stale_values_aside(client, engineer):
    kept = LaunchReviewFactory(state="draft", tier=2)
    withdrawn = LaunchReviewFactory(state="withdrawn", tier=2)
    client.force_login(engineer)
    url = reverse("reviews:launch-list")
    assert page_rows(client.get(url)) == [kept.pk]
    assert page_rows(client.get(url, {"state": "withdrawn"})) == [withdrawn.pk]
    # An unknown tier or date (an old bookmark) is left out, not an error.
    response = client.get(url, {"tier": "9", "launch_date_after": "soon", "state": "nope"})
    assert page_rows(response) == [kept.pk] and "match your filters" not in text(response)


def test_the_dashboards_launch_window_link_narrows_the_launches_page(client, engineer):
    soon = LaunchReviewFactory(launch_date=datetime.date(2026, 11, 5))
    LaunchReviewFactory(launch_date=datetime.date(2027, 6, 1))
    client.force_login(engineer)
    assert page_rows(client.get(_launches_url(datetime.date(2026, 11, 1)))) == [soon.pk]


def test_the_launches_page_answers_htmx_with_its_results_only(client, review, author):
    client.force_login(author)
    url = reverse("reviews:launch-list")
    full = text(client.get(url, {"q": "eu-west"}))
    assert 'role="search"' in full and 'id="launch-results"' in full
    fragment = text(
        client.get(url, {"q": "eu-west"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="launch-results")
    )
    assert "GA in eu-west" in fragment
    assert 'role="search"' not in fragment and "<h1>" not in fragment
    # htmx aimed elsewhere (a boosted link) gets the whole page.
    assert "<h1>" in text(client.get(url, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="main"))


def test_a_stale_edit_is_shown_on_the_form_not_saved(client, review, author):
    url = reverse("reviews:launch-edit", args=[review.pk])
    client.force_login(author)
    old = review.version
    services.launch_review_update(review=review, user=author, version=old, title="Renamed")
    response = client.post(
        url, {"title": "Mine", "launch_date": "2026-11-09", "milestone": "", "version": old}
    )
    assert response.status_code == 200
    page = text(response)
    assert "changed by someone else" in page and 'value="Mine"' in page
    assert "Edit “Renamed”" in page
    review.refresh_from_db()
    assert review.title == "Renamed"


def test_a_launched_review_refuses_an_edit_on_the_form(client, review, author):
    review = put_in_state(review, "launched")
    client.force_login(author)
    response = client.post(
        reverse("reviews:launch-edit", args=[review.pk]),
        {"title": "Later", "launch_date": "2026-11-09", "milestone": "", "version": review.version},
    )
    assert response.status_code == 200 and "no longer changes" in text(response)
    review.refresh_from_db()
    assert review.title != "Later"


def test_creating_a_review_says_so_and_opens_it(client, program, author, checklist):
    client.force_login(author)
    response = client.post(
        reverse("reviews:launch-create", args=[program.slug]),
        {"title": "Beta", "launch_date": "2026-12-01", "tier": 3, "milestone": ""},
    )
    created = LaunchReview.objects.get(title="Beta")
    assert response["Location"] == created.get_absolute_url()
    assert flashed(response) == ["Launch review “Beta” created. Answer its checklist next."]
