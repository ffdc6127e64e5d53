"""Insights measures against hand-computed values on small data (a past quarter, 2025-Q2),
including an empty quarter and a confidential program only some readers may count."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from metrics.insights.capacity import capacity_insights
from metrics.insights.launch_reviews import launch_review_insights
from metrics.insights.selectors import InsightsFilters, Quarter, percentile
from reviews.models import CapacityRequest, LaunchReview, SignOff
from tests.factories import (
    CapacityBudgetFactory,
    CapacityRequestFactory,
    LaunchReviewFactory,
    LaunchReviewItemFactory,
    ProgramFactory,
    ReviewerAreaFactory,
    ReviewerFactory,
    SignOffFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
Q2 = InsightsFilters(quarter=Quarter(2025, 2))


def at(month: int, day: int, year: int = 2025) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(year, month, day))


def test_percentile_interpolates_like_percentile_cont():
    assert percentile([], 0.5) is None
    assert percentile([4.0], 0.9) == 4.0
    assert percentile([4.0, 10.0, 100.0], 0.5) == 10.0
    assert percentile([4.0, 10.0, 100.0], 0.9) == pytest.approx(82.0)


def test_quarters_and_their_trend():
    q = Quarter.parse("2025-Q1")
    assert q == Quarter(2025, 1) and Quarter.parse("2025-Q5") is None
    assert [str(x) for x in q.trend()] == ["2024-Q2", "2024-Q3", "2024-Q4", "2025-Q1"]
    assert q.end == Quarter(2025, 2).start


@pytest.fixture
def launch_world(tpm):
    open_program = ProgramFactory(tpm=tpm)
    secret = ProgramFactory(confidential=True)  # tpm is no member: not theirs to count
    a = LaunchReviewFactory(
        program=open_program, state="approved", submitted_at=at(4, 1), decided_at=at(4, 5)
    )
    b = LaunchReviewFactory(
        program=open_program, state="launched", submitted_at=at(4, 10), decided_at=at(4, 20),
        launched_at=at(5, 1, 2025), launch_date=datetime.date(2025, 4, 25),
    )  # fmt: skip
    b.launch_date = datetime.date(2025, 4, 30)  # moved once: late against the first date
    b.save()
    LaunchReview.objects.filter(pk=b.pk).update(created_at=at(4, 1))
    # 69 days from submission to approval, seen only by those who may read the program.
    LaunchReviewFactory(
        program=secret, state="approved", submitted_at=at(4, 1), decided_at=at(6, 9)
    )
    for review, area, decision, when in (
        (a, "security", "approved", at(4, 3)),
        (b, "reliability", "changes_requested", at(4, 12)),
        (b, "reliability", "approved", at(4, 20)),
    ):
        sign_off = SignOffFactory(
            review=review, area=area, decision=decision,
            comment="Add the runbook." if decision == "changes_requested" else "",
        )  # fmt: skip
        SignOff.objects.filter(pk=sign_off.pk).update(created_at=when)
    item = LaunchReviewItemFactory(review=b, area="reliability", question="Rollback tested?")
    item.status = "done"
    item._history_date = at(4, 15)
    item.save()
    return {"a": a, "b": b}


def test_launch_review_measures_by_hand(launch_world, tpm, leader):
    data = launch_review_insights(user=tpm, filters=Q2, now=timezone.now())
    # First submission → approval: A 4 days, B 10 days (the confidential C is not theirs).
    assert (data.decision.count, data.decision.median_days, data.decision.p90_days) == (2, 7.0, 9.4)
    assert (data.draft_to_launch.count, data.draft_to_launch.median_days) == (1, 30.0)
    assert (data.sign_offs, data.changes_requested, data.changes_requested_share) == (3, 1, 0.333)
    by_area = {w.key: w for w in data.wait_by_area}
    assert by_area["security"].wait.median_days == 2.0
    # B waited 2 days for the changes request and 10 for the approval (from its submission).
    assert (by_area["reliability"].wait.median_days, by_area["reliability"].wait.p90_days) == (
        6.0,
        9.2,
    )
    assert by_area["reliability"].changes_requested == 1
    assert [(r.question, r.reviews) for r in data.reworked_items] == [("Rollback tested?", 1)]
    assert [(late.review_id, late.days_late) for late in data.late_launches] == [
        (launch_world["b"].pk, 6)
    ]
    assert [t.quarter for t in data.trend] == ["2024-Q3", "2024-Q4", "2025-Q1", "2025-Q2"]
    assert data.trend[-1].late_launches == 1 and data.trend[0].decision.count == 0

    seen_all = launch_review_insights(user=leader, filters=Q2, now=timezone.now())
    # Leadership counts the confidential review too: 4, 10 and 69 days.
    assert (seen_all.decision.count, seen_all.decision.median_days) == (3, 10.0)
    assert seen_all.decision.p90_days == pytest.approx(57.2)


def test_an_empty_quarter_has_no_numbers(launch_world, leader):
    empty = InsightsFilters(quarter=Quarter(2024, 1))
    data = launch_review_insights(user=leader, filters=empty, now=timezone.now())
    assert data.decision.count == 0 and data.decision.median_days is None
    assert data.changes_requested_share is None and not data.wait_by_area
    assert not data.late_launches and not data.reworked_items
    cap = capacity_insights(user=leader, filters=empty, now=timezone.now())
    assert cap.outcomes.decided == 0 and cap.outcomes.approved_share is None


def test_overdue_sign_offs_name_who_holds_them(tpm):
    now = timezone.now()
    review = LaunchReviewFactory(
        program=ProgramFactory(tpm=tpm),
        state="submitted",
        submitted_at=now - datetime.timedelta(days=8),
    )
    LaunchReviewItemFactory(review=review, area="security")
    LaunchReviewItemFactory(review=review, area="reliability")
    SignOffFactory(review=review, area="reliability", decision="approved")
    holder = ReviewerFactory(user=UserFactory(first_name="Sam", last_name="Secure"))
    ReviewerAreaFactory(reviewer=holder, area="security")
    recent = LaunchReviewFactory(
        program=review.program, state="submitted", submitted_at=now - datetime.timedelta(days=2)
    )
    LaunchReviewItemFactory(review=recent, area="security")
    data = launch_review_insights(
        user=tpm, filters=InsightsFilters(quarter=Quarter.of(now.date())), now=now
    )
    assert [(o.review_id, o.area, o.waiting_days, o.holders) for o in data.overdue_sign_offs] == [
        (review.pk, "security", 8, ["Sam Secure"])
    ]


def test_capacity_measures_by_hand(tpm, leader):
    now = timezone.now()
    team = TeamFactory(slug="storage")
    program = ProgramFactory(tpm=tpm)
    kw = {"team": team, "program": program, "quarter": "2025-Q2", "amount": 10}
    r1 = CapacityRequestFactory(**kw, state="fulfilled", approved_amount=10)
    r2 = CapacityRequestFactory(
        **kw, state="partially_approved", approved_amount=5, override_reason="Launch critical",
        decided_by=leader,
    )  # fmt: skip
    r3 = CapacityRequestFactory(**kw, state="denied", approved_amount=None)
    for request, submitted, decided, fulfilled in (
        (r1, at(4, 1), at(4, 3), at(4, 13)),
        (r2, at(4, 1), at(4, 9), None),
        (r3, at(4, 1), at(4, 21), None),
    ):
        CapacityRequest.objects.filter(pk=request.pk).update(
            submitted_at=submitted, decided_at=decided, fulfilled_at=fulfilled
        )
    CapacityBudgetFactory(team=team, quarter="2025-Q2", amount=4)
    waiting = CapacityRequestFactory(
        **kw, state="submitted", submitted_at=now - datetime.timedelta(days=20)
    )
    CapacityRequestFactory(**kw, state="submitted", submitted_at=now - datetime.timedelta(days=3))
    # A confidential program's grant counts only for those who may see it.
    CapacityRequestFactory(
        team=team, program=ProgramFactory(confidential=True), quarter="2025-Q2", amount=10,
        state="approved", approved_amount=10,
    )  # fmt: skip

    data = capacity_insights(user=tpm, filters=Q2, now=now)
    lead = data.submitted_to_decided
    assert (lead.count, lead.median_days, lead.p90_days) == (3, 8.0, 17.6)
    assert (data.decided_to_fulfilled.median_days, data.submitted_to_fulfilled.median_days) == (
        10.0,
        12.0,
    )
    assert (data.outcomes.approved, data.outcomes.cut, data.outcomes.denied) == (1, 1, 1)
    assert data.outcomes.approved_share == 0.333
    [override] = data.overrides
    assert (override.request_id, override.approved_amount, override.budget) == (r2.pk, 5, 4)
    assert (override.granted, override.over_by, override.reason) == (15, 11, "Launch critical")
    [use] = data.budget_use
    assert (use.budget, use.granted, use.used_share) == (Decimal(4), Decimal(15), 3.75)
    assert [(w.request_id, w.days_waiting) for w in data.waiting] == [(waiting.pk, 20)]

    leader_view = capacity_insights(user=leader, filters=Q2, now=now)
    assert leader_view.budget_use[0].granted == 25  # the confidential grant included
    other_team = capacity_insights(
        user=leader, filters=InsightsFilters(quarter=Quarter(2025, 2), team="nobody"), now=now
    )
    assert other_team.outcomes.decided == 0 and not other_team.budget_use
