"""Operational-review, delivery and forecast-accuracy insights against hand-computed values on
small data (a past quarter, 2025-Q2), including an empty quarter and a confidential program
only some readers may count."""

import datetime

import pytest
from django.utils import timezone

from metrics.insights.ops_reviews import ops_review_insights
from metrics.insights.selectors import InsightsFilters, Quarter
from reviews.models import ActionItem
from tests.factories import (
    ActionItemFactory,
    DecisionFactory,
    OperationalReviewFactory,
    PortfolioFactory,
    ProgramFactory,
)

pytestmark = pytest.mark.django_db
Q2 = InsightsFilters(quarter=Quarter(2025, 2))
EMPTY = InsightsFilters(quarter=Quarter(2024, 1))


def at(month: int, day: int, hour: int = 0, year: int = 2025) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(year, month, day, hour))


def on(month: int, day: int, year: int = 2025) -> datetime.date:
    return datetime.date(year, month, day)


# --- Operational reviews --------------------------------------------------------------------


@pytest.fixture
def ops_world(tpm):
    program = ProgramFactory(tpm=tpm, portfolio=PortfolioFactory(slug="infra"))
    secret = ProgramFactory(confidential=True)  # tpm is no member: not theirs to count
    r1, r2, r3, r4 = (
        OperationalReviewFactory(date=day) for day in (on(4, 7), on(4, 14), on(4, 21), on(6, 16))
    )
    OperationalReviewFactory(date=on(7, 7))  # after "now": not held yet, carries nothing

    def item(review, *, program=program, due=None, closed_at=None, closed_in=None):
        made = ActionItemFactory(created_in=review, program=program, due_date=due or on(9, 1))
        changes = {"created_at": timezone.make_aware(
            datetime.datetime.combine(review.date, datetime.time(9))
        )}  # fmt: skip
        if closed_at:
            changes.update(state="done", closed_at=closed_at, closed_in=closed_in)
        ActionItem.objects.filter(pk=made.pk).update(**changes)
        return made

    items = {
        # Closed between meetings, 3 days after it was agreed: never carried.
        "i1": item(r1, closed_at=at(4, 10, 9)),
        # Closed in the third review: on the second and third, 14 days.
        "i2": item(r1, closed_at=at(4, 21, 9), closed_in=r3),
        # Open and overdue since 1 June: on the third and fourth reviews so far.
        "i3": item(r2, due=on(6, 1)),
        "i4": item(r3),  # open, not due: on the fourth review
        "i5": item(r1, program=secret, closed_at=at(4, 28, 9)),  # 21 days, carried twice
        "i6": item(r4, program=None, due=on(6, 30)),  # about no program, open, not due
    }
    for review, decision_program in ((r1, program), (r1, secret), (r3, program)):
        review.decisions.add(DecisionFactory(program=decision_program))
    return {"reviews": (r1, r2, r3, r4), **items}


NOW = at(6, 20, 12)


def test_ops_review_measures_by_hand(ops_world, tpm, leader):
    data = ops_review_insights(user=tpm, filters=Q2, now=NOW)
    assert (data.opened, data.closed) == (5, 2)  # i1-i4, i6 agreed; i1, i2 closed
    # Time to close: 3 and 14 days.
    spread = data.time_to_close
    assert (spread.count, spread.median_days, spread.p90_days) == (2, 8.5, 12.9)
    assert data.carried_mean == 1.0  # i1 never, i2 twice
    assert (data.open_now, data.overdue_now, data.overdue_share) == (3, 1, 0.333)
    assert [(c.times, c.closed, c.open_now) for c in data.carried] == [
        (0, 1, 1),  # i1 closed; i6 open
        (1, 0, 1),  # i4
        (2, 1, 1),  # i2 closed; i3 open
        (3, 0, 0),
        (4, 0, 0),
    ]
    [overdue] = data.overdue
    assert (overdue.item_id, overdue.days_overdue, overdue.times_carried) == (
        ops_world["i3"].pk,
        19,
        2,
    )
    # Four reviews held by 20 June (7 July's is still ahead); two decisions tpm may count.
    assert (data.reviews, data.decisions, data.decisions_per_review) == (4, 2, 0.5)
    r1 = ops_world["reviews"][0]
    assert [(r.review_id, r.decisions, r.items_agreed, r.items_closed) for r in data.reviews_held][
        :3
    ] == [
        (r1.pk, 1, 2, 0),
        (ops_world["reviews"][1].pk, 0, 1, 0),
        (ops_world["reviews"][2].pk, 1, 1, 1),
    ]
    assert [t.quarter for t in data.trend] == ["2024-Q3", "2024-Q4", "2025-Q1", "2025-Q2"]
    assert data.trend[0].opened == 0 and data.trend[0].reviews == 0

    seen_all = ops_review_insights(user=leader, filters=Q2, now=NOW)
    # Leadership counts the confidential item (21 days, carried twice) and decision too.
    spread = seen_all.time_to_close
    assert (spread.count, spread.median_days, spread.p90_days) == (3, 14.0, 19.6)
    assert seen_all.carried_mean == 1.33
    assert (seen_all.decisions, seen_all.decisions_per_review) == (3, 0.75)
    assert seen_all.reviews_held[0].items_agreed == 3


def test_ops_reviews_in_an_empty_quarter_and_narrowed(ops_world, leader):
    data = ops_review_insights(user=leader, filters=EMPTY, now=NOW)
    assert (data.opened, data.closed, data.reviews) == (0, 0, 0)
    assert data.time_to_close.median_days is None and data.carried_mean is None
    assert data.decisions_per_review is None and not data.reviews_held
    assert data.open_now == 3  # "now" measures do not depend on the quarter

    infra = ops_review_insights(
        user=leader, filters=InsightsFilters(quarter=Quarter(2025, 2), portfolio="infra"), now=NOW
    )
    # The program-less item was agreed in a review of every program, not infra's.
    assert (infra.opened, infra.open_now, infra.decisions) == (4, 2, 2)
    nobody = ops_review_insights(
        user=leader, filters=InsightsFilters(quarter=Quarter(2025, 2), team="nobody"), now=NOW
    )
    assert (nobody.opened, nobody.open_now, nobody.decisions, nobody.carried) == (0, 0, 0, [])
