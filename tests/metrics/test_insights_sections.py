"""Operational-review, delivery and forecast-accuracy insights against hand-computed values on
small data (a past quarter, 2025-Q2), including an empty quarter and a confidential program
only some readers may count."""

import csv
import datetime
import io

import pytest
from django.utils import timezone

from metrics.insights.delivery import Slips, delivery_insights
from metrics.insights.forecast_accuracy import forecast_accuracy_insights
from metrics.insights.ops_reviews import ops_review_insights
from metrics.insights.selectors import InsightsFilters, Quarter
from programs.models import MilestoneDateChange
from reviews.models import ActionItem
from tests.conftest import client_for
from tests.factories import (
    ActionItemFactory,
    DecisionFactory,
    HealthSnapshotFactory,
    MilestoneDateChangeFactory,
    MilestoneFactory,
    OperationalReviewFactory,
    PortfolioFactory,
    ProgramFactory,
    TeamFactory,
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


# --- Forecast accuracy ----------------------------------------------------------------------


def forecast_on(program, day, milestone, *, target, forecast):
    HealthSnapshotFactory(
        program=program,
        day=day,
        forecast={
            "milestone_id": milestone.pk,
            "milestone": milestone.name,
            "target_date": target.isoformat(),
            "forecast_date": forecast.isoformat(),
            "days_late": (forecast - target).days,
        },
    )


@pytest.fixture
def forecast_world(tpm):
    program = ProgramFactory(tpm=tpm)
    done = {"state": "done", "critical": True, "baseline_date": on(5, 1)}
    m0 = MilestoneFactory(program=program, critical=True, baseline_date=on(5, 12))
    m1 = MilestoneFactory(program=program, **done, completed_date=on(5, 25))
    m2 = MilestoneFactory(program=program, **done, completed_date=on(6, 10))
    MilestoneFactory(program=program, **done, completed_date=on(6, 15))  # never forecast
    MilestoneFactory(program=program, state="done", completed_date=on(6, 16))  # not critical
    # m1 finished 25 May: 30 days before (25 Apr), 14 (latest of 8-11 May naming it: 9 May;
    # on 10 May the engine forecast m0 instead) and 7 (18 May).
    forecast_on(program, on(4, 25), m1, target=on(5, 10), forecast=on(5, 22))  # -15 / -3
    forecast_on(program, on(5, 7), m1, target=on(5, 10), forecast=on(5, 10))  # out of reach
    forecast_on(program, on(5, 9), m1, target=on(5, 20), forecast=on(5, 24))  # -5 / -1
    forecast_on(program, on(5, 10), m0, target=on(5, 12), forecast=on(5, 30))
    forecast_on(program, on(5, 18), m1, target=on(5, 20), forecast=on(5, 30))  # -5 / +5
    # m2 finished 10 June, forecast only 7 days before.
    forecast_on(program, on(6, 3), m2, target=on(6, 1), forecast=on(6, 12))  # -9 / +2
    secret = ProgramFactory(confidential=True)
    m5 = MilestoneFactory(program=secret, **done, completed_date=on(6, 20))
    forecast_on(secret, on(6, 13), m5, target=on(6, 20), forecast=on(7, 10))  # 0 / +20
    return {"m1": m1, "m2": m2}


def test_forecast_accuracy_on_a_constructed_history(forecast_world, tpm, leader):
    data = forecast_accuracy_insights(user=tpm, filters=Q2, now=NOW)
    assert (data.finished, data.covered) == (3, 2)  # m1, m2 and the one never forecast
    by = {h.horizon_days: h for h in data.horizons}
    assert (by[30].milestones, by[30].forecast_mae, by[30].plan_mae, by[30].beats_plan) == (
        1,
        3.0,
        15.0,
        True,
    )
    assert (by[14].forecast_mae, by[14].plan_mae, by[14].forecast_bias) == (1.0, 5.0, -1.0)
    seven = by[7]
    assert (seven.milestones, seven.forecast_mae, seven.plan_mae) == (2, 3.5, 7.0)
    assert (seven.forecast_bias, seven.plan_bias) == (3.5, -7.0)
    # m1 is a tie at 7 days (5 either way); m2's forecast was the closer.
    assert (seven.forecast_closer, seven.plan_closer, seven.beats_plan) == (1, 0, True)
    [m1, m2] = data.milestones
    assert m1.milestone_id == forecast_world["m1"].pk
    assert [(e.horizon_days, e.snapshot_day, e.plan_error_days, e.forecast_error_days)
            for e in m1.errors] == [(30, on(4, 25), -15, -3), (14, on(5, 9), -5, -1),
                                    (7, on(5, 18), -5, 5)]  # fmt: skip
    assert [e.horizon_days for e in m2.errors] == [7]
    assert data.trend[-1].covered == 2 and data.trend[0].finished == 0

    seen_all = forecast_accuracy_insights(user=leader, filters=Q2, now=NOW)
    seven = {h.horizon_days: h for h in seen_all.horizons}[7]
    # The confidential milestone: on its target, forecast 20 days late.
    assert (seen_all.finished, seen_all.covered) == (4, 3)
    assert (seven.forecast_mae, seven.plan_mae, seven.beats_plan) == (9.0, 4.67, False)
    assert (seven.forecast_closer, seven.plan_closer) == (1, 1)


def test_forecast_accuracy_of_an_empty_quarter(forecast_world, leader):
    data = forecast_accuracy_insights(user=leader, filters=EMPTY, now=NOW)
    assert (data.finished, data.covered, data.milestones) == (0, 0, [])
    assert all(h.milestones == 0 and h.beats_plan is None for h in data.horizons)


def test_forecast_page_says_what_it_covers_and_its_csv(forecast_world, client, tpm):
    client_for(client, tpm)
    html = client.get("/insights/forecast-accuracy/", {"quarter": "2025-Q2"}).content.decode()
    assert "2 of 3 critical milestones finished this quarter" in html
    assert "next critical milestone" in html and 'data-chart="chart-horizons"' in html
    response = client.get("/insights/forecast-accuracy/horizons.csv", {"quarter": "2025-Q2"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[1:] == [
        ["30 days before", "1", "3.0", "15.0", "-3.0", "-15.0", "1", "0", "Yes"],
        ["14 days before", "1", "1.0", "5.0", "-1.0", "-5.0", "1", "0", "Yes"],
        ["7 days before", "2", "3.5", "7.0", "3.5", "-7.0", "1", "0", "Yes"],
    ]
    api = client.get("/api/v1/insights/forecast-accuracy/", {"quarter": "2025-Q2"}).json()
    assert api["covered"] == 2 and api["horizons"][2]["beats_plan"] is True


# --- Delivery -------------------------------------------------------------------------------


@pytest.fixture
def delivery_world(tpm):
    storage, network, payments = (
        TeamFactory(name=name, slug=name.lower()) for name in ("Storage", "Network", "Payments")
    )
    program = ProgramFactory(tpm=tpm)
    secret = ProgramFactory(confidential=True)

    def milestone(team, baseline, *, program=program, **kw):
        return MilestoneFactory(program=program, owner_team=team, baseline_date=baseline, **kw)

    a = milestone(storage, on(5, 1), state="done", target_date=on(5, 25), completed_date=on(5, 25))
    b = milestone(network, on(6, 1), target_date=on(6, 10))
    c = milestone(None, on(6, 1))
    s = milestone(storage, on(4, 1), program=secret)

    def move(m, old, new, category, when):
        change = MilestoneDateChangeFactory(
            milestone=m, from_date=old, to_date=new, category=category
        )
        MilestoneDateChange.objects.filter(pk=change.pk).update(changed_at=when)

    move(a, on(5, 1), on(5, 15), "vendor", at(4, 10))  # +14
    move(a, on(5, 15), on(5, 25), "dependency", at(5, 2))  # +10
    move(b, on(6, 1), on(5, 20), "scope", at(4, 20))  # pulled in 12 days: a move, not a slip
    move(b, on(5, 20), on(6, 10), "staffing", at(5, 5))  # +21
    move(c, on(6, 1), on(6, 6), "estimate", at(6, 1))  # +5
    move(b, on(5, 25), on(6, 1), "vendor", at(2, 10))  # +7 in 2025-Q1
    move(s, on(4, 1), on(5, 1), "incident", at(5, 10))  # +30, confidential

    def waits_on(team, upstream, **kw):
        milestone(team, on(7, 1), **kw).depends_on.add(upstream)

    waits_on(payments, a)  # a finished 24 days after its baseline (1 May → 25 May)
    waits_on(payments, b, state="done", completed_date=on(5, 10))  # done before b was late
    waits_on(payments, b)  # b is open and late since 1 June: 19 days by 20 June
    waits_on(storage, b)  # 19 days
    waits_on(storage, a)  # the same team: not waiting on another
    waits_on(payments, s)  # confidential upstream, open and late since 1 April: 80 days
    return {"a": a, "b": b}


def test_delivery_measures_by_hand(delivery_world, tpm, leader):
    data = delivery_insights(user=tpm, filters=Q2, now=NOW)
    assert (data.slips.moves, data.slips.slips, data.slips.days) == (5, 4, 50)
    assert [(t.team, t.slips.slips, t.slips.days, t.by_quarter) for t in data.teams] == [
        ("Storage", 2, 24, [0, 0, 0, 2]),
        ("Network", 1, 21, [0, 0, 1, 1]),
        ("No owning team", 1, 5, [0, 0, 0, 1]),
    ]
    assert data.teams[0].slips.days_per_slip == 12.0
    assert [(r.category, r.slips.moves, r.slips.days, r.moves_share) for r in data.reasons] == [
        ("staffing", 1, 21, 0.2),
        ("vendor", 1, 14, 0.2),
        ("dependency", 1, 10, 0.2),
        ("estimate", 1, 5, 0.2),
        ("scope", 1, 0, 0.2),
    ]
    assert [(t.quarter, t.slips.slips, t.slips.days) for t in data.trend] == [
        ("2024-Q3", 0, 0),
        ("2024-Q4", 0, 0),
        ("2025-Q1", 1, 7),
        ("2025-Q2", 4, 50),
    ]
    assert [(w.waiting_team, w.upstream_team, w.dependencies, w.days) for w in data.waits] == [
        ("Payments", "Storage", 1, 24),
        ("Payments", "Network", 1, 19),
        ("Storage", "Network", 1, 19),
    ]

    seen_all = delivery_insights(user=leader, filters=Q2, now=NOW)
    assert (seen_all.slips.slips, seen_all.slips.days) == (5, 80)
    assert (seen_all.teams[0].team, seen_all.teams[0].slips.days) == ("Storage", 54)
    assert seen_all.reasons[0].category == "incident"
    assert (seen_all.waits[0].upstream_team, seen_all.waits[0].days) == ("Storage", 104)


def test_delivery_in_an_empty_quarter_and_for_one_team(delivery_world, leader):
    empty = delivery_insights(user=leader, filters=EMPTY, now=NOW)
    assert (empty.slips, empty.teams, empty.reasons, empty.waits) == (Slips(), [], [], [])
    storage = delivery_insights(
        user=leader, filters=InsightsFilters(quarter=Quarter(2025, 2), team="storage"), now=NOW
    )
    assert (storage.slips.slips, storage.slips.days) == (3, 54)
    assert [(w.waiting_team, w.upstream_team, w.days) for w in storage.waits] == [
        ("Payments", "Storage", 104),
        ("Storage", "Network", 19),
    ]


def test_delivery_page_csv_and_api(delivery_world, client, tpm):
    client_for(client, tpm)
    html = client.get("/insights/delivery/", {"quarter": "2025-Q2"}).content.decode()
    # Read now, long after 2025-Q2: the open upstream milestone kept the others waiting all June.
    assert "Teams waiting on each other" in html and "Payments on Network" in html
    response = client.get("/insights/delivery/reasons.csv", {"quarter": "2025-Q2"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[:2] == [
        ["Reason", "Date moves", "Share of moves", "Slips", "Days slipped"],
        ["Staffing", "1", "0.2", "1", "21"],
    ]
    api = client.get("/api/v1/insights/delivery/", {"quarter": "2025-Q2"}).json()
    assert api["slips"] == {"moves": 5, "slips": 4, "days": 50, "days_per_slip": 12.5}
    assert [(w["waiting_team"], w["upstream_team"], w["days"]) for w in api["waits"]] == [
        ("Payments", "Network", 30), ("Storage", "Network", 30), ("Payments", "Storage", 24)
    ]  # fmt: skip
    assert "Delivery" in client.get("/insights/").content.decode()


def test_a_slip_counts_for_the_team_that_owned_the_milestone_when_it_moved(tpm, leader):
    from programs.services import milestone_move

    storage, network = TeamFactory(name="Storage", slug="storage"), TeamFactory(name="Network")
    program = ProgramFactory(tpm=tpm)
    milestone = MilestoneFactory(program=program, owner_team=storage, baseline_date=on(9, 1, 2026))
    milestone_move(
        milestone=milestone, user=tpm, version=milestone.version,
        target_date=on(9, 15, 2026), category="vendor", reason="Late racks",
    )  # fmt: skip
    move = MilestoneDateChange.objects.get(milestone=milestone)
    assert (move.program_id, move.owner_team_id) == (program.pk, storage.pk)
    milestone.refresh_from_db()
    milestone.owner_team = network  # handed over afterwards
    milestone.save()
    data = delivery_insights(
        user=leader, filters=InsightsFilters(quarter=Quarter.of(timezone.localdate())),
        now=timezone.now(),
    )  # fmt: skip
    assert [(t.team, t.slips.slips) for t in data.teams] == [("Storage", 1)]
