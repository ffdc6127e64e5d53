"""The health engine, without a database: each component, the thresholds, and properties."""

import dataclasses
import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metrics.health import (
    Grade,
    LaunchInput,
    MetricInput,
    MilestoneInput,
    Policy,
    ProgramInput,
    RiskInput,
    UpstreamInput,
    compute,
    expected_on_path,
    forecast_next_critical,
    grade_for,
    is_watermelon,
    summarise,
)

TODAY = datetime.date(2026, 11, 25)
D = datetime.timedelta


def program(**changes) -> ProgramInput:
    base = ProgramInput(
        id=1,
        name="Region build eu-west-3",
        phase="executing",
        start_date=TODAY - D(days=200),
        target_date=TODAY + D(days=165),  # a 365-day program
        created_on=TODAY - D(days=200),
        update_cadence_days=7,
        last_update_on=TODAY - D(days=2),
        reported_health="on_track",
    )
    return dataclasses.replace(base, **changes)


def milestone(
    name="GA in eu-west", *, due_in=30, baseline_in=None, state="in_progress", **kw
) -> MilestoneInput:
    target = TODAY + D(days=due_in)
    baseline = TODAY + D(days=baseline_in if baseline_in is not None else due_in)
    return MilestoneInput(
        id=kw.pop("id", 1), name=name, baseline_date=baseline, target_date=target, state=state, **kw
    )


def test_a_healthy_program_scores_100_green_with_no_reasons():
    result = compute(program(milestones=(milestone(),)), today=TODAY)
    assert (result.score, result.grade, result.reasons) == (100, Grade.GREEN, ())
    assert not result.watermelon


def test_launch_readiness_is_neutral_without_launch_data():
    result = compute(program(), today=TODAY)
    assert "launch_readiness" not in result.components


def test_overdue_milestone_costs_points_and_names_itself():
    late = milestone(due_in=-12, baseline_in=-12)
    result = compute(program(milestones=(late,)), today=TODAY)
    top = result.reasons[0]
    assert top.text == "Milestone 'GA in eu-west' is 12 days overdue"
    assert top.component == "schedule"
    # 12 days x 1.5 points = 18 schedule points; schedule weighs 30 of the 85 in play
    # (launch readiness sits out without launch data).
    assert top.component_points == pytest.approx(18)
    assert top.points == pytest.approx(18 * 30 / 85)
    assert result.components["schedule"] == 82


def test_critical_overdue_milestones_cost_more():
    plain = compute(program(milestones=(milestone(due_in=-10, baseline_in=-10),)), today=TODAY)
    critical = compute(
        program(milestones=(milestone(due_in=-10, baseline_in=-10, critical=True),)), today=TODAY
    )
    assert critical.score < plain.score


def test_reasons_add_up_to_the_points_lost():
    p = program(
        milestones=(milestone(due_in=-20, baseline_in=-40, times_moved=3),),
        risks=(RiskInput("Vendor", 4, 5, "open", due_date=TODAY - D(days=5)),),
        last_update_on=TODAY - D(days=15),
    )
    result = compute(p, today=TODAY)
    assert sum(r.points for r in result.reasons) == pytest.approx(100 - result.score, abs=0.6)
    assert [r.points for r in result.reasons] == sorted(
        (r.points for r in result.reasons), reverse=True
    )


def test_slip_against_baseline_relative_to_program_length():
    slipped = milestone(due_in=60, baseline_in=0)  # 60 days slip in a 365-day program
    result = compute(program(milestones=(slipped,)), today=TODAY)
    reason = next(r for r in result.reasons if "slipped" in r.text)
    assert reason.component_points == pytest.approx(60 / 365 * 50)


def test_repeated_moves_are_a_reason():
    result = compute(program(milestones=(milestone(times_moved=3),)), today=TODAY)
    assert any("has moved 3 times" in r.text for r in result.reasons)


@pytest.mark.parametrize(("age", "points"), [(7, 0), (8, 50 / 7), (14, 50), (21, 100), (60, 100)])
def test_freshness_against_the_cadence(age, points):
    result = compute(program(last_update_on=TODAY - D(days=age)), today=TODAY)
    lost = 100 - result.components["freshness"]
    assert lost == pytest.approx(points, abs=0.5)


def test_a_program_that_never_posted_an_update():
    assert (
        compute(program(last_update_on=None, created_on=TODAY - D(days=3)), today=TODAY).components[
            "freshness"
        ]
        == 100
    )
    result = compute(program(last_update_on=None, created_on=TODAY - D(days=30)), today=TODAY)
    assert result.components["freshness"] == 0
    assert "No status update posted" in result.reasons[0].text


def test_high_risks_cost_more_than_low_ones_and_closed_cost_nothing():
    high = compute(program(risks=(RiskInput("Vendor", 4, 4, "open"),)), today=TODAY)
    low = compute(program(risks=(RiskInput("Paperwork", 2, 2, "open"),)), today=TODAY)
    closed = compute(program(risks=(RiskInput("Old", 5, 5, "closed"),)), today=TODAY)
    assert high.components["risk"] == 100 - 32
    assert low.components["risk"] == round(100 - 2.4)
    assert closed.components["risk"] == 100


def test_mitigation_past_due_is_a_reason():
    result = compute(
        program(risks=(RiskInput("Vendor", 1, 1, "mitigating", due_date=TODAY - D(days=4)),)),
        today=TODAY,
    )
    assert any("4 days past due" in r.text for r in result.reasons)


def test_metric_behind_its_straight_path():
    metric = MetricInput(
        "Hosts on kernel 6.12", 0, 1000, TODAY - D(days=50), TODAY + D(days=50),
        latest_value=300, latest_at=TODAY, unit="hosts",
    )  # fmt: skip
    assert expected_on_path(metric, TODAY) == 500
    result = compute(program(metrics=(metric,)), today=TODAY)
    reason = result.reasons[0]
    assert "behind the path to 1,000 hosts (expected 500 hosts)" in reason.text
    assert reason.component_points == pytest.approx(20)


def test_metric_where_lower_is_better_ahead_of_path_costs_nothing():
    metric = MetricInput(
        "p99 latency",
        400,
        200,
        TODAY - D(days=50),
        TODAY + D(days=50),
        latest_value=250,
        latest_at=TODAY,
    )
    assert compute(program(metrics=(metric,)), today=TODAY).components["outcomes"] == 100


def test_unapproved_launch_soon_costs_more_when_closer():
    soon = compute(
        program(launches=(LaunchInput("GA", TODAY + D(days=2), approved=False),)), today=TODAY
    )
    later = compute(
        program(launches=(LaunchInput("GA", TODAY + D(days=12), approved=False),)), today=TODAY
    )
    approved = compute(
        program(launches=(LaunchInput("GA", TODAY + D(days=2), approved=True),)), today=TODAY
    )
    assert soon.components["launch_readiness"] < later.components["launch_readiness"] < 100
    assert approved.components["launch_readiness"] == 100


def test_dependency_on_a_late_milestone_in_another_program():
    upstream = UpstreamInput(
        "Racks landed", "Datacenter expansion", TODAY - D(days=6), "in_progress", "red"
    )
    result = compute(program(milestones=(milestone(upstream=(upstream,)),)), today=TODAY)
    texts = [r.text for r in result.reasons]
    assert (
        "'GA in eu-west' depends on 'Racks landed' (Datacenter expansion), 6 days overdue" in texts
    )
    assert any("whose program is red" in t for t in texts)


@pytest.mark.parametrize(
    ("score", "grade"),
    [(100, "green"), (75, "green"), (74, "yellow"), (50, "yellow"), (49, "red"), (0, "red")],
)
def test_grade_thresholds(score, grade):
    assert grade_for(score, Policy()) == grade


def test_critical_milestone_overdue_more_than_two_weeks_cannot_be_green():
    # Lots of weight elsewhere keeps the score green without the ceiling.
    policy = Policy(weights={"schedule": 5, "freshness": 95})
    late = milestone(due_in=-15, baseline_in=-15, critical=True)
    result = compute(program(milestones=(late,)), today=TODAY, policy=policy)
    assert result.grade == Grade.YELLOW and result.score == 74
    assert "cannot be green" in result.ceiling
    just_inside = compute(
        program(milestones=(milestone(due_in=-14, baseline_in=-14, critical=True),)),
        today=TODAY,
        policy=policy,
    )
    assert just_inside.grade == Grade.GREEN and just_inside.ceiling is None


@pytest.mark.parametrize(
    ("reported", "grade", "watermelon"),
    [("on_track", "green", False), ("on_track", "yellow", True), ("at_risk", "red", True),
     ("at_risk", "yellow", False), ("off_track", "green", False), (None, "red", False)],
)  # fmt: skip
def test_watermelon_when_reported_better_than_computed(reported, grade, watermelon):
    assert is_watermelon(reported, Grade(grade)) is watermelon


def test_done_and_cancelled_programs_are_not_scored():
    for phase in ("done", "cancelled"):
        result = compute(
            program(phase=phase, last_update_on=None, milestones=(milestone(due_in=-90),)),
            today=TODAY,
        )
        assert (result.scored, result.score, result.grade, result.reasons) == (
            False,
            None,
            None,
            (),
        )


def test_forecast_extrapolates_the_slip_rate():
    # Planned 100 days ago, slipped 20 days since: rate 0.2; 50 days to go -> 10 more days.
    m = milestone(due_in=50, baseline_in=30, critical=True, planned_on=TODAY - D(days=100))
    forecast = forecast_next_critical(program(milestones=(m,)), TODAY)
    assert forecast.forecast_date == TODAY + D(days=60)
    assert forecast.days_late == 10


def test_forecast_of_a_stable_milestone_is_its_target_and_none_without_critical():
    m = milestone(due_in=50, critical=True, planned_on=TODAY - D(days=100))
    assert forecast_next_critical(program(milestones=(m,)), TODAY).days_late == 0
    assert forecast_next_critical(program(milestones=(milestone(),)), TODAY) is None


# --- Properties ------------------------------------------------------------------------------

days = st.integers(min_value=-120, max_value=120)
states = st.sampled_from(["planned", "in_progress", "blocked", "done", "cancelled"])
upstreams = st.builds(
    lambda i, due, state, grade: UpstreamInput(f"U{i}", "Upstream", TODAY + D(days=due), state, grade),
    st.integers(1, 99), days, states, st.sampled_from(["", "green", "yellow", "red"]),
)  # fmt: skip
milestones = st.builds(
    lambda i, due, slip, state, critical, moved, planned, ups: milestone(
        f"M{i}", id=i, due_in=due, baseline_in=due - slip, state=state, critical=critical,
        times_moved=moved, planned_on=TODAY - D(days=planned), upstream=tuple(ups),
    ),
    st.integers(1, 10_000), days, st.integers(-10, 90), states, st.booleans(), st.integers(0, 5),
    st.integers(1, 300), st.lists(upstreams, max_size=2),
)  # fmt: skip
risks = st.builds(
    RiskInput, st.text(min_size=1, max_size=10), st.integers(1, 5), st.integers(1, 5),
    st.sampled_from(["open", "mitigating", "accepted", "closed"]),
    st.one_of(st.none(), st.dates(TODAY - D(days=60), TODAY + D(days=60))),
)  # fmt: skip
programs = st.builds(
    lambda ms, rs, age: program(milestones=tuple(ms), risks=tuple(rs), last_update_on=TODAY - D(days=age)),
    st.lists(milestones, max_size=8), st.lists(risks, max_size=6), st.integers(0, 60),
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(programs)
def test_score_stays_within_0_and_100(p):
    result = compute(p, today=TODAY)
    assert 0 <= result.score <= 100
    assert all(0 <= v <= 100 for v in result.components.values())


@settings(max_examples=300, deadline=None)
@given(programs, st.integers(1, 120), st.booleans())
def test_an_extra_overdue_milestone_never_raises_the_score(p, overdue, critical):
    extra = milestone("Extra", id=99_999, due_in=-overdue, baseline_in=-overdue, critical=critical)
    before = compute(p, today=TODAY).score
    after = compute(dataclasses.replace(p, milestones=(*p.milestones, extra)), today=TODAY).score
    assert after <= before


@settings(max_examples=300, deadline=None)
@given(programs, st.integers(3, 5), st.integers(3, 5))
def test_an_extra_open_high_risk_never_raises_the_score(p, likelihood, impact):
    extra = RiskInput("Extra", likelihood, impact, "open")
    before = compute(p, today=TODAY).score
    after = compute(dataclasses.replace(p, risks=(*p.risks, extra)), today=TODAY).score
    assert after <= before


@settings(max_examples=500, deadline=None)
@given(programs)
def test_the_summarised_form_scores_exactly_like_the_full_one(p):
    """What the selector loads (notable milestones, the rest as summed slip) changes nothing."""
    short = summarise(p, TODAY)
    assert compute(short, today=TODAY) == compute(p, today=TODAY)
    assert len(short.milestones) <= len(p.milestones)
    assert summarise(short, TODAY) == short  # summarising twice is summarising once


def test_summarise_keeps_only_milestones_that_can_cost_more_than_their_slip():
    p = program(
        milestones=(
            milestone("On time", id=1, due_in=30, baseline_in=20),
            milestone("Done late", id=2, due_in=-30, baseline_in=-40, state="done"),
            milestone("Overdue", id=3, due_in=-3),
            milestone("Moved twice", id=4, due_in=40, baseline_in=20, times_moved=2),
            milestone("Next critical", id=5, due_in=60, critical=True),
            milestone("Later critical", id=6, due_in=90, baseline_in=85, critical=True),
            milestone(
                "Cancelled", id=7, due_in=10, baseline_in=0, state="cancelled", times_moved=3
            ),
            milestone(
                "Waits on a late one",
                id=8,
                due_in=50,
                upstream=(UpstreamInput("Infra", "Other", TODAY - D(days=2), "in_progress"),),
            ),
            milestone(
                "Waits on a fine one",
                id=9,
                due_in=50,
                upstream=(UpstreamInput("Infra", "Other", TODAY + D(days=20), "in_progress"),),
            ),
        )  # fmt: skip
    )
    short = summarise(p, TODAY)
    assert [m.name for m in short.milestones] == [
        "Overdue", "Moved twice", "Next critical", "Waits on a late one",
    ]  # fmt: skip
    # 10 (on time) + 10 (done late) + 5 (later critical); cancelled slips do not count.
    assert short.unlisted_slip_days == 25
    assert compute(short, today=TODAY) == compute(p, today=TODAY)


@settings(max_examples=300, deadline=None)
@given(programs)
def test_a_fresh_update_never_lowers_freshness(p):
    before = compute(p, today=TODAY).components["freshness"]
    after = compute(dataclasses.replace(p, last_update_on=TODAY), today=TODAY).components[
        "freshness"
    ]
    assert after >= before
