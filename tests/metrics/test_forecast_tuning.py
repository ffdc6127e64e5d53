"""Tuning the forecast from its history (issue 15): the engine's slip factor, the tuner, the
weekly task that records a run, the engine using the tuned factor, and the page showing it."""

import csv
import datetime
import io

import pytest
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from config.celery import app as celery_app
from metrics import health
from metrics.health import ForecastSample, Policy, compute, forecast_next_critical, tune_slip_factor
from metrics.models import ForecastTuning, HealthSnapshot
from metrics.selectors import PolicyBook
from metrics.services import health_recompute
from metrics.tasks import forecast_tune_weekly
from metrics.tuning import current_slip_factor, forecast_tune
from programs.models import Milestone
from tests.conftest import client_for
from tests.factories import (
    ForecastTuningFactory,
    HealthPolicyFactory,
    HealthSnapshotFactory,
    MilestoneFactory,
    PortfolioFactory,
    ProgramFactory,
)
from tests.metrics.test_health import TODAY, milestone, program

D = datetime.timedelta


# --- The engine: a slip factor, and the rate stored with the forecast -----------------------


def test_the_slip_factor_scales_how_much_slip_the_forecast_carries_forward():
    # Planned 100 days ago, slipped 20 days since: rate 0.2; 50 days to go -> 10 more days.
    m = milestone(due_in=50, baseline_in=30, critical=True, planned_on=TODAY - D(days=100))
    plan = program(milestones=(m,))
    assert forecast_next_critical(plan, TODAY).slip_rate == pytest.approx(0.2)
    halved = forecast_next_critical(plan, TODAY, slip_factor=0.5)
    assert (halved.days_late, halved.slip_rate) == (5, pytest.approx(0.2))  # the rate as measured
    assert forecast_next_critical(plan, TODAY, slip_factor=0.0).days_late == 0
    tuned = compute(plan, today=TODAY, policy=Policy(forecast_slip_factor=2.0))
    assert tuned.forecast.days_late == 20


def test_extrapolate_an_overdue_milestone_lands_no_earlier_than_today():
    assert health.extrapolate(TODAY + D(days=10), TODAY, 0.5) == TODAY + D(days=15)
    assert health.extrapolate(TODAY - D(days=10), TODAY, 0.0) == TODAY
    assert health.extrapolate(TODAY - D(days=10), TODAY, 0.5) == TODAY + D(days=5)


# --- The tuner --------------------------------------------------------------------------------


def sample(horizon: int, *, rate: float, target_in: int, finished_in: int) -> ForecastSample:
    """A forecast made ``horizon`` days before the milestone finished (on ``TODAY + finished_in``),
    the target then ``target_in`` days after the forecast's day."""
    finished = TODAY + D(days=finished_in)
    day = finished - D(days=horizon)
    return ForecastSample(horizon, day, day + D(days=target_in), rate, finished)


def half_slip_history(count: int = 12) -> list[ForecastSample]:
    """Milestones that went on slipping at half the rate measured: each finished ``ceil(r/2)``
    days after a target ``r`` days ahead (30 = 20 + 10 and 14 = 9 + 5 days before)."""
    return [
        s
        for k in range(count)
        for s in (
            sample(30, rate=1.0, target_in=20, finished_in=-k),
            sample(14, rate=1.0, target_in=9, finished_in=-k),
        )
    ]


def test_a_forecast_that_overshoots_is_tuned_down_to_the_rate_that_came_true():
    found = tune_slip_factor(half_slip_history(), current=1.0)
    # Factor 1: 10 and 4 days late; the targets: 10 and 5 days early.
    assert (found.error_before, found.plan_error, found.beat_plan) == (7.0, 7.5, False)
    assert (found.slip_factor, found.error_after, found.changed) == (0.5, 0.0, True)
    assert found.samples == 24


def test_a_forecast_that_beats_the_plan_but_could_do_better_is_tuned_too():
    history = [
        s
        for k in range(12)
        for s in (
            sample(30, rate=0.5, target_in=15, finished_in=-k),  # 15 + 15: twice the rate
            sample(14, rate=0.5, target_in=7, finished_in=-k),  # 7 + 7
        )
    ]
    found = tune_slip_factor(history, current=1.0)
    # Factor 1: 7 and 3 days early; the targets 15 and 7 days early.
    assert (found.error_before, found.plan_error, found.beat_plan) == (5.0, 11.0, True)
    # Twice the rate is exact; 1.9 is too, the days rounded up: the smaller change wins.
    assert (found.slip_factor, found.error_after) == (1.9, 0.0)


def test_a_forecast_as_good_as_it_gets_is_kept():
    found = tune_slip_factor(half_slip_history(), current=0.5)
    assert (found.beat_plan, found.slip_factor, found.changed) == (True, 0.5, False)
    assert found.error_before == found.error_after == 0.0


def test_too_few_forecasts_or_too_small_a_gain_keep_the_factor():
    few = tune_slip_factor(half_slip_history(count=9), current=1.0)  # 18 samples
    assert (few.slip_factor, few.samples, few.error_before, few.beat_plan) == (1.0, 18, None, None)
    # Half finished on their targets (factor 0 is right), half 3 days after them (factor 1 is):
    # no factor does better than another, nor than the plan. Kept.
    mixed = [
        s
        for k in range(10)
        for s in (
            sample(30, rate=0.1, target_in=30, finished_in=-k),
            sample(30, rate=0.1, target_in=27, finished_in=-k),
        )
    ]
    found = tune_slip_factor(mixed, current=1.0)
    assert (found.error_before, found.plan_error, found.beat_plan) == (1.5, 1.5, False)
    assert (found.slip_factor, found.changed) == (1.0, False)


forecasts = st.builds(
    ForecastSample,
    horizon_days=st.sampled_from([30, 14, 7]),
    day=st.just(TODAY),
    target_date=st.integers(-20, 60).map(lambda d: TODAY + D(days=d)),
    slip_rate=st.floats(0, 3, allow_nan=False),
    finished_on=st.integers(7, 120).map(lambda d: TODAY + D(days=d)),
)


@given(st.lists(forecasts, min_size=20, max_size=60), st.sampled_from(health.SLIP_FACTORS))
@settings(max_examples=60, deadline=None)
def test_tuning_never_makes_the_forecast_worse_nor_worse_than_the_plan(samples, current):
    found = tune_slip_factor(samples, current)
    assert found.error_after <= found.error_before
    if found.changed:
        assert found.error_after <= found.plan_error
        assert found.error_after <= found.error_before * (1 - health.TUNING_MIN_GAIN)


# --- The weekly run, on the stored history ---------------------------------------------------


def finished_with_forecasts(finished_on: datetime.date, *, rate: float = 1.0) -> Milestone:
    """A critical milestone that finished on ``finished_on``, forecast 30 and 14 days before
    (as ``half_slip_history``: it slipped at half the rate its forecasts carried forward)."""
    owner = ProgramFactory()
    m = MilestoneFactory(
        program=owner, critical=True, state="done", completed_date=finished_on,
        baseline_date=finished_on - D(days=40), target_date=finished_on,
    )  # fmt: skip
    for horizon, ahead in ((30, 20), (14, 9)):
        day = finished_on - D(days=horizon)
        target = day + D(days=ahead)
        HealthSnapshotFactory(
            program=owner,
            day=day,
            forecast={
                "milestone_id": m.pk,
                "milestone": m.name,
                "target_date": target.isoformat(),
                "forecast_date": (target + D(days=round(rate * ahead))).isoformat(),
                "days_late": round(rate * ahead),
                "slip_rate": rate,
            },
        )
    return m


@pytest.fixture
def history(db):
    today = timezone.localdate()
    return [finished_with_forecasts(today - D(days=10 + 7 * k)) for k in range(12)]


def test_the_weekly_run_tunes_from_the_stored_forecasts_and_records_itself(history):
    # A year back and no further: a milestone finished 400 days ago is not learned from.
    finished_with_forecasts(timezone.localdate() - D(days=400), rate=3.0)
    assert current_slip_factor() == 1.0
    run = forecast_tune(now=timezone.now())
    assert (run.samples, run.previous_factor, run.slip_factor) == (24, 1.0, 0.5)
    assert (run.error_before, run.error_after, run.plan_error, run.beat_plan) == (
        7.0,
        0.0,
        7.5,
        False,
    )
    assert run.since == timezone.localdate() - D(days=365)
    assert current_slip_factor() == 0.5
    # Again: nothing does better than 0.5 now, so it is kept (and the run logged).
    again = forecast_tune(now=timezone.now())
    assert (again.previous_factor, again.slip_factor, again.beat_plan) == (0.5, 0.5, True)
    assert ForecastTuning.objects.count() == 2


def test_forecasts_stored_before_the_rate_was_kept_are_not_learned_from(db):
    m = finished_with_forecasts(timezone.localdate() - D(days=20))
    for snapshot in HealthSnapshot.objects.filter(program=m.program):
        snapshot.forecast.pop("slip_rate")
        snapshot.save()
    assert forecast_tune(now=timezone.now()).samples == 0


def test_the_task_runs_the_tuning_and_beat_schedules_it_weekly(history):
    assert forecast_tune_weekly.apply().get() == 0.5
    schedule = {
        entry["task"]: entry["schedule"] for entry in celery_app.conf.beat_schedule.values()
    }
    weekly = schedule["metrics.tasks.forecast_tune_weekly"]
    assert weekly.day_of_week == {0}  # Sunday


# --- The engine uses the tuned factor --------------------------------------------------------


def test_every_policy_takes_the_latest_tuning_and_the_recompute_uses_it(db):
    today = timezone.localdate()
    portfolio = PortfolioFactory()
    HealthPolicyFactory(portfolio=None)
    HealthPolicyFactory(portfolio=portfolio)
    open_program = ProgramFactory(portfolio=portfolio, created_at=timezone.now() - D(days=200))
    slipping = MilestoneFactory(
        program=open_program, critical=True, state="in_progress",
        baseline_date=today + D(days=30), target_date=today + D(days=50),
    )  # fmt: skip
    Milestone.objects.filter(pk=slipping.pk).update(created_at=timezone.now() - D(days=100))

    health_recompute(program_ids=[open_program.pk], today=today)
    before = HealthSnapshot.objects.get(program=open_program, day=today).forecast
    assert (before["days_late"], before["slip_rate"]) == (10, pytest.approx(0.2))

    ForecastTuningFactory(ran_at=timezone.now() - D(days=7), slip_factor=2.0)
    ForecastTuningFactory(slip_factor=0.5, previous_factor=2.0)  # the latest
    book = PolicyBook()
    assert book.default.forecast_slip_factor == 0.5
    assert {p.forecast_slip_factor for p in book.by_portfolio.values()} == {0.5}
    # The factor is part of the policy every inputs digest covers: the same day's recompute
    # scores the program again.
    health_recompute(program_ids=[open_program.pk], today=today)
    after = HealthSnapshot.objects.get(program=open_program, day=today).forecast
    assert after["days_late"] == 5


# --- The page and the API --------------------------------------------------------------------


def test_the_page_says_the_forecast_was_never_tuned(client, leader):
    client_for(client, leader)
    html = client.get("/insights/forecast-accuracy/").content.decode()
    assert "Slip factor" in html and "not tuned yet" in html
    assert "The forecast has not been tuned yet." in html


def test_the_page_csv_and_api_show_the_tunings(client, leader):
    now = timezone.now()
    ForecastTuningFactory(ran_at=now - D(days=7), samples=30)
    ForecastTuningFactory(
        ran_at=now, slip_factor=0.6, samples=48, error_before=9.25, error_after=5.5,
        plan_error=7.0, beat_plan=False,
    )  # fmt: skip
    client_for(client, leader)
    html = client.get("/insights/forecast-accuracy/").content.decode()
    assert "Tuning the forecast" in html and 'data-chart="chart-tuning"' in html
    assert f"tuned {timezone.localdate(now):%-d %b} from 48 forecasts: changed" in html
    response = client.get("/insights/forecast-accuracy/tuning.csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [row[1:] for row in rows[1:]] == [
        ["30", "1.0", "1.0", "6.0", "6.0", "8.0", "Yes"],
        ["48", "1.0", "0.6", "9.25", "5.5", "7.0", "No"],
    ]
    api = client.get("/api/v1/insights/forecast-accuracy/").json()
    assert api["slip_factor"] == 0.6
    assert [t["slip_factor"] for t in api["tunings"]] == [0.6, 1.0]  # newest first
