"""Calendar feeds: a secret, revocable URL per person and per portfolio, valid iCalendar
(parsed back with the ``icalendar`` library as a calendar app would), never showing a
confidential program to someone who may not see it, in a fixed number of queries."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from core.calendar_tokens import calendar_token_renew
from reviews.calendar.feeds import uid_domain
from reviews.launch.models import LaunchReviewState
from tests.conftest import client_for
from tests.factories import (
    CalendarTokenFactory,
    LaunchReviewFactory,
    MilestoneFactory,
    OperationalReviewFactory,
    PortfolioFactory,
    ProgramFactory,
)

pytestmark = pytest.mark.django_db

SOON = timezone.localdate() + datetime.timedelta(days=10)


def feed_url(token, portfolio=None) -> str:
    if portfolio is None:
        return reverse("calendar:user-feed", args=[token.key])
    return reverse("calendar:portfolio-feed", args=[token.key, portfolio.slug])


def fetch(path: str) -> Calendar:
    """What a calendar app does: GET without a session, parse the document."""
    response = Client().get(path)
    assert response.status_code == 200, response.content[:200]
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return Calendar.from_ical(response.content)


def events(calendar: Calendar) -> dict[str, object]:
    return {str(event["SUMMARY"]): event for event in calendar.walk("VEVENT")}


@pytest.fixture
def world(program, confidential_program):
    """A launch and a critical milestone in a public and a confidential program, a milestone
    that is not critical, a withdrawn launch and an operational review."""
    LaunchReviewFactory(program=program, title="Kernel 6.9 GA", launch_date=SOON)
    LaunchReviewFactory(
        program=program, title="Withdrawn one", launch_date=SOON, state=LaunchReviewState.WITHDRAWN
    )
    MilestoneFactory(program=program, name="Canary fleet", critical=True, target_date=SOON)
    MilestoneFactory(program=program, name="Docs", critical=False, target_date=SOON)
    LaunchReviewFactory(program=confidential_program, title="Nightjar launch", launch_date=SOON)
    MilestoneFactory(
        program=confidential_program, name="Nightjar cutover", critical=True, target_date=SOON
    )
    OperationalReviewFactory(date=SOON, title="Weekly operational review")


def test_the_feed_is_valid_icalendar_with_all_day_events_and_stable_uids(world, outsider):
    token = CalendarTokenFactory(user=outsider)
    calendar = fetch(feed_url(token))
    assert calendar["VERSION"] == "2.0"
    assert calendar["PRODID"]
    assert calendar["X-WR-CALNAME"] == "Pulse: launches and reviews"
    found = events(calendar)
    assert set(found) == {
        "Launch: Kernel 6.9 GA (Fleet kernel upgrade)",
        "Canary fleet (Fleet kernel upgrade)",
        "Ops review: Weekly operational review",
    }
    for event in found.values():
        # All-day: a date (VALUE=DATE), the next day as the end, no time zone needed.
        start, end = event.decoded("DTSTART"), event.decoded("DTEND")
        assert type(start) is datetime.date and start == SOON
        assert end == SOON + datetime.timedelta(days=1)
        assert event["DTSTART"].params.get("VALUE") == "DATE"
        assert event.decoded("DTSTAMP").tzinfo is not None
        assert str(event["UID"]).endswith(f"@{uid_domain()}")
        assert str(event["URL"]).startswith("http")
    # The same objects have the same UIDs at the next fetch: calendar apps update, not duplicate.
    again = events(fetch(feed_url(token)))
    assert {str(e["UID"]) for e in again.values()} == {str(e["UID"]) for e in found.values()}
    assert not calendar.walk("VTIMEZONE")


def test_a_confidential_program_reaches_only_the_feeds_of_who_may_see_it(
    world, outsider, engineer, leader
):
    """The engineer is a member of Nightjar and leadership reads everything; the outsider's
    feed (and its portfolio feed) never names it."""
    nightjar = {"Launch: Nightjar launch (Project Nightjar)", "Nightjar cutover (Project Nightjar)"}
    for user, sees in ((outsider, False), (engineer, True), (leader, True)):
        token = CalendarTokenFactory(user=user)
        document = Client().get(feed_url(token)).content.decode()
        assert (nightjar <= set(events(Calendar.from_ical(document)))) is sees, user
        assert ("Nightjar" in document) is sees
    portfolio = ProgramFactory._meta.model.objects.get(slug="project-nightjar").portfolio
    outsider_token = outsider.calendar_token
    assert "Nightjar" not in Client().get(feed_url(outsider_token, portfolio)).content.decode()


def test_a_portfolio_feed_holds_that_portfolios_programs_and_the_reviews_of_all(world, leader):
    other = PortfolioFactory(name="Storage")
    elsewhere = ProgramFactory(name="Object store", portfolio=other)
    MilestoneFactory(program=elsewhere, name="Erasure coding", critical=True, target_date=SOON)
    OperationalReviewFactory(date=SOON, title="Storage review", portfolio=other)
    token = CalendarTokenFactory(user=leader)
    found = events(fetch(feed_url(token, other)))
    assert set(found) == {
        "Erasure coding (Object store)",
        "Ops review: Storage review",
        "Ops review: Weekly operational review",
    }
    assert fetch(feed_url(token, other))["X-WR-CALNAME"] == "Pulse: Storage"


def test_a_revoked_url_answers_404_and_the_new_one_works(world, tpm):
    client = client_for(Client(), tpm)
    client.post(reverse("calendar-token-new"))
    old = tpm.calendar_token
    profile = client.get(reverse("profile")).content.decode()
    assert feed_url(old) in profile and "Revoke and make a new one" in profile
    assert Client().get(feed_url(old)).status_code == 200

    client.post(reverse("calendar-token-new"))
    tpm.refresh_from_db()
    new = tpm.calendar_token
    assert new.key != old.key
    assert Client().get(feed_url(old)).status_code == 404
    assert Client().get(feed_url(old, PortfolioFactory())).status_code == 404
    assert Client().get(feed_url(new)).status_code == 200
    assert feed_url(new) in client.get(reverse("profile")).content.decode()


def test_unknown_secrets_inactive_owners_and_unknown_portfolios_answer_404(world, tpm):
    token = calendar_token_renew(user=tpm)
    assert Client().get("/calendar/feed/not-a-secret.ics").status_code == 404
    assert Client().get(f"/calendar/feed/{token.key}/portfolios/nope.ics").status_code == 404
    tpm.is_active = False
    tpm.save()
    assert Client().get(feed_url(token)).status_code == 404


def test_the_feeds_page_lists_one_url_per_portfolio(world, tpm):
    client = client_for(Client(), tpm)
    assert "Make one on your profile" in client.get(reverse("calendar:feeds")).content.decode()
    token = calendar_token_renew(user=tpm)
    page = client.get(reverse("calendar:feeds")).content.decode()
    program_portfolio = ProgramFactory._meta.model.objects.get(
        slug="fleet-kernel-upgrade"
    ).portfolio
    assert feed_url(token) in page
    assert feed_url(token, program_portfolio) in page


def test_feeds_run_a_fixed_number_of_queries(world, outsider, same_queries_at_two_sizes):
    token = CalendarTokenFactory(user=outsider)
    portfolio = PortfolioFactory(name="Network")

    def grow():
        for n in range(6):
            program = ProgramFactory(portfolio=portfolio)
            LaunchReviewFactory(program=program, launch_date=SOON)
            MilestoneFactory(program=program, critical=True, target_date=SOON)
            OperationalReviewFactory(portfolio=portfolio, date=SOON + datetime.timedelta(days=n))

    counts = same_queries_at_two_sizes(
        Client(),
        {"feed": feed_url(token), "portfolio": feed_url(token, portfolio)},
        grow=grow,
    )
    assert counts == {"feed": 5, "portfolio": 6}
