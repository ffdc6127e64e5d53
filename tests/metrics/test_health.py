"""The health engine, without a database: each rule, the grade, the score band, and properties.

The rubric's every row, through the services and with a database, is calibrated in
``test_rubric_calibration.py``; these tests pin the engine's own behaviour.
"""

import dataclasses
import datetime
import hashlib
import random

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from metrics.health import (
    COMPONENTS,
    ENGINE_VERSION,
    Family,
    Grade,
    LaunchInput,
    MetricInput,
    MilestoneInput,
    Policy,
    ProgramInput,
    Reason,
    RiskInput,
    Severity,
    UpstreamInput,
    band,
    compute,
    expected_on_path,
    forecast_next_critical,
    grade_of,
    is_watermelon,
    reason_remedy,
    reason_text,
    reason_view,
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
        milestones=(milestone("Later", id=900, due_in=90),),  # a plan: one open milestone
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


def upstream(name="Power", *, due_in=-3, critical=False, state="in_progress", id=50):
    return UpstreamInput(id, name, "Datacenter power", TODAY + D(days=due_in), state, critical)


def signals(result) -> list[tuple[str, str]]:
    return [(r.severity, r.code) for r in result.reasons]


# --- The grade follows the worst signal ----------------------------------------------------


def test_a_healthy_program_is_green_with_no_reasons():
    result = compute(program(), today=TODAY)
    assert (result.grade, result.reasons, result.watermelon, result.stale) == (
        Grade.GREEN, (), False, False,
    )  # fmt: skip
    assert result.score == 100


def test_one_severe_problem_is_not_averaged_away():
    """Five healthy families never hide a launch in five days with nothing reviewed."""
    p = program(launches=(LaunchInput(7, "EU launch", TODAY + D(days=5), False, 8),))
    result = compute(p, today=TODAY)
    assert result.grade == Grade.RED
    assert result.reasons[0].code == "launch_unready"
    assert result.reasons[0].text == (
        "Launch 'EU launch' in 5 days is not approved, with 8 required checklist items open"
    )
    assert result.score < Policy().yellow_at


def test_yellow_in_two_families_is_red_and_in_one_family_is_yellow():
    late = milestone("Cutover", due_in=-5, critical=True)  # schedule: yellow
    silent = TODAY - D(days=15)  # freshness: yellow (more than two weekly cadences)
    assert compute(program(milestones=(late,)), today=TODAY).grade == Grade.YELLOW
    assert compute(program(last_update_on=silent), today=TODAY).grade == Grade.YELLOW
    both = compute(program(milestones=(late,), last_update_on=silent), today=TODAY)
    assert both.grade == Grade.RED
    # The first reason names the cause a TPM says first: dates before silence.
    assert both.reasons[0].family == Family.SCHEDULE
    assert both.cause == "schedule"


def test_two_yellows_in_one_family_stay_yellow():
    p = program(
        milestones=(
            milestone("Cutover", id=1, due_in=-5, critical=True),
            milestone("Drain", id=2, due_in=30, times_moved=3),
        )
    )
    result = compute(p, today=TODAY)
    assert [s for s, _ in signals(result)] == ["yellow", "yellow"]
    assert result.grade == Grade.YELLOW


def test_watch_signals_never_change_the_grade():
    p = program(
        milestones=(milestone("Drain", id=2, due_in=-3), milestone("Later", id=900, due_in=90)),
        last_update_on=TODAY - D(days=10),
    )
    result = compute(p, today=TODAY)
    assert {s for s, _ in signals(result)} == {"watch"}
    assert result.grade == Grade.GREEN
    assert result.score < 100  # but the score ranks it below a spotless program


@pytest.mark.parametrize(
    ("severities", "grade"),
    [
        ([], Grade.GREEN),
        ([("watch", "risk")], Grade.GREEN),
        ([("yellow", "risk")], Grade.YELLOW),
        ([("yellow", "risk"), ("yellow", "risk")], Grade.YELLOW),
        ([("yellow", "risk"), ("yellow", "outcomes")], Grade.RED),
        ([("red", "schedule"), ("watch", "risk")], Grade.RED),
    ],
)
def test_grade_of_signals(severities, grade):
    reasons = [Reason(family, severity, "x", None, "", {}, 1.0) for severity, family in severities]
    assert grade_of(reasons, Policy()) == grade


def test_policy_can_require_three_families_for_red():
    late = milestone("Cutover", due_in=-5, critical=True)
    p = program(milestones=(late,), last_update_on=TODAY - D(days=15))
    result = compute(p, today=TODAY, policy=Policy(yellow_families_for_red=3))
    assert result.grade == Grade.YELLOW


# --- Schedule -------------------------------------------------------------------------------


@pytest.mark.parametrize(("overdue", "severity"), [(1, "yellow"), (14, "yellow"), (15, "red")])
def test_critical_overdue(overdue, severity):
    m = milestone(due_in=-overdue, critical=True)
    result = compute(program(milestones=(m,)), today=TODAY)
    assert result.reasons[0].severity == severity
    assert (
        result.reasons[0].text
        == f"Critical milestone 'GA in eu-west' is {overdue} day{'s' if overdue > 1 else ''} overdue"
    )


@pytest.mark.parametrize(("overdue", "severity"), [(3, "watch"), (14, "watch"), (15, "yellow")])
def test_non_critical_overdue(overdue, severity):
    m = milestone(due_in=-overdue)
    assert signals(compute(program(milestones=(m,)), today=TODAY))[0] == (
        severity, "milestone_overdue",
    )  # fmt: skip


def test_three_overdue_milestones_are_yellow_two_are_watch():
    two = tuple(milestone(f"M{i}", id=i, due_in=-2) for i in (1, 2))
    three = tuple(milestone(f"M{i}", id=i, due_in=-2) for i in (1, 2, 3))
    assert compute(program(milestones=two), today=TODAY).grade == Grade.GREEN
    result = compute(program(milestones=three), today=TODAY)
    assert result.grade == Grade.YELLOW
    assert result.reasons[0].text == "3 open milestones are overdue"


@pytest.mark.parametrize(
    ("due_in", "state", "fires"),
    [(7, "planned", True), (0, "planned", True), (8, "planned", False), (3, "in_progress", False)],
)
def test_critical_milestone_due_soon_not_started(due_in, state, fires):
    m = milestone("Cutover", due_in=due_in, state=state, critical=True)
    result = compute(program(milestones=(m,)), today=TODAY)
    assert (("yellow", "critical_not_started") in signals(result)) is fires


@pytest.mark.parametrize(
    ("moved", "severity"), [(1, None), (2, "watch"), (3, "yellow"), (5, "yellow")]
)
def test_pushes(moved, severity):
    result = compute(program(milestones=(milestone(times_moved=moved),)), today=TODAY)
    found = [s for s, code in signals(result) if code == "pushed"]
    assert found == ([severity] if severity else [])


def test_a_done_milestone_pushed_often_no_longer_counts_but_its_slip_does():
    done = milestone("Done late", due_in=-10, baseline_in=-40, state="done", times_moved=4)
    result = compute(program(milestones=(done, milestone("Later", id=900))), today=TODAY)
    assert "pushed" not in [code for _, code in signals(result)]
    assert [code for _, code in signals(result)] == []  # 30 of 365 days: 8%, under 15%


@pytest.mark.parametrize(
    ("slip", "severity"), [(54, None), (55, "yellow"), (146, "yellow"), (147, "red")]
)
def test_total_slip_against_the_program_length(slip, severity):
    """365-day program: more than 15% is 55+ days, more than 40% is 147+ days."""
    m = milestone(due_in=60, baseline_in=60 - slip)
    result = compute(program(milestones=(m,)), today=TODAY)
    found = [s for s, code in signals(result) if code == "total_slip"]
    assert found == ([severity] if severity else [])


def test_no_plan_while_executing_or_launching_but_not_in_planning():
    done_only = (milestone(state="done", due_in=-3),)
    for phase, fires in [("executing", True), ("launching", True), ("planning", False)]:
        result = compute(program(phase=phase, milestones=done_only), today=TODAY)
        assert (("yellow", "no_plan") in signals(result)) is fires, phase
    assert compute(program(phase="planning", milestones=()), today=TODAY).grade == Grade.GREEN


def test_forecast_more_than_two_weeks_late_is_yellow():
    # Planned 100 days ago, slipped 40 since: rate 0.4; 50 days to go: forecast 20 days late.
    m = milestone(due_in=50, baseline_in=10, critical=True, planned_on=TODAY - D(days=100))
    result = compute(
        program(milestones=(m,), start_date=TODAY - D(days=600), target_date=TODAY + D(days=600)),
        today=TODAY,
    )
    assert ("yellow", "forecast_late") in signals(result)
    assert result.forecast.days_late == 20


# --- Freshness ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("age", "severity"),
    [(7, None), (8, "watch"), (14, "watch"), (15, "yellow"), (28, "yellow"), (29, "red")],
)
def test_silence_grows_from_watch_to_yellow_to_red(age, severity):
    result = compute(program(last_update_on=TODAY - D(days=age)), today=TODAY)
    assert [s for s, _ in signals(result)] == ([severity] if severity else [])
    assert result.stale is (age > 14)


def test_never_updated_is_yellow_after_two_cadences():
    young = program(last_update_on=None, reported_health=None, created_on=TODAY - D(days=14))
    old = dataclasses.replace(young, created_on=TODAY - D(days=15))
    assert compute(young, today=TODAY).reasons == ()
    result = compute(old, today=TODAY)
    assert signals(result) == [("yellow", "never_updated")]
    assert result.stale


# --- Risk -----------------------------------------------------------------------------------


def test_one_unmitigated_high_risk_is_yellow_two_are_red():
    vendor = RiskInput(1, "Vendor", 5, 5, "open")
    power = RiskInput(2, "Power", 5, 5, "open")
    assert compute(program(risks=(vendor,)), today=TODAY).grade == Grade.YELLOW
    result = compute(program(risks=(vendor, power)), today=TODAY)
    assert result.grade == Grade.RED
    assert result.reasons[0].text == (
        "2 high risks have no mitigation under way or are past due: 'Vendor', 'Power'"
    )


@pytest.mark.parametrize(
    ("risk", "severity"),
    [
        (RiskInput(1, "R", 3, 5, "open"), "yellow"),  # exposure 15: high, no mitigation under way
        (RiskInput(1, "R", 3, 4, "open"), None),  # 12: below the threshold
        (RiskInput(1, "R", 5, 5, "mitigating", TODAY + D(days=5)), None),  # under way, on time
        (RiskInput(1, "R", 4, 4, "mitigating", TODAY - D(days=1)), "yellow"),  # past due
        (RiskInput(1, "R", 4, 4, "mitigating", TODAY), None),  # due today: not past due yet
        (RiskInput(1, "R", 5, 5, "accepted"), None),
        (RiskInput(1, "R", 5, 5, "closed"), None),
        (RiskInput(1, "R", 2, 5, "mitigating", TODAY - D(days=3)), "watch"),  # lesser, past due
    ],
)
def test_risk_signals(risk, severity):
    result = compute(program(risks=(risk,)), today=TODAY)
    assert [s for s, _ in signals(result)] == ([severity] if severity else [])


# --- Launch readiness ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "approved", "open_items", "severity"),
    [
        (15, False, 3, None),
        (14, False, 0, "yellow"),
        (8, False, 3, "yellow"),
        (7, False, 3, "red"),
        (7, False, 0, "yellow"),
        (2, True, 3, None),
        (-3, False, 2, "red"),  # the date passed, still not approved
    ],
)
def test_launch_readiness(days, approved, open_items, severity):
    launch = LaunchInput(7, "EU launch", TODAY + D(days=days), approved, open_items)
    result = compute(program(launches=(launch,)), today=TODAY)
    assert [s for s, _ in signals(result)] == ([severity] if severity else [])


# --- Outcomes -------------------------------------------------------------------------------


def metric(**kw) -> MetricInput:
    base = MetricInput(
        id=3,
        name="Hosts migrated",
        baseline_value=0,
        target_value=1000,
        baseline_date=TODAY - D(days=100),
        target_date=TODAY + D(days=100),
        latest_value=500,
        latest_at=TODAY,
        unit="hosts",
    )
    return base._replace(**kw)


@pytest.mark.parametrize(
    ("latest", "severity"), [(500, None), (250, None), (249, "yellow"), (0, "yellow")]
)
def test_metric_behind_the_path(latest, severity):
    """Halfway in time the path expects 500 of 1,000: more than 250 behind is yellow."""
    result = compute(program(metrics=(metric(latest_value=latest),)), today=TODAY)
    assert [s for s, _ in signals(result)] == ([severity] if severity else [])


def test_outcomes_alone_never_make_a_program_red():
    result = compute(
        program(metrics=(metric(latest_value=0, id=1), metric(latest_value=0, id=2, name="B"))),
        today=TODAY,
    )
    assert result.grade == Grade.YELLOW


def test_a_metric_without_a_reading_for_its_interval_is_a_watch():
    stale = metric(latest_at=TODAY - D(days=31))
    assert ("watch", "metric_no_reading") in signals(
        compute(program(metrics=(stale,)), today=TODAY)
    )
    fresh = metric(latest_at=TODAY - D(days=30))
    assert ("watch", "metric_no_reading") not in signals(
        compute(program(metrics=(fresh,)), today=TODAY)
    )
    weekly = metric(latest_at=TODAY - D(days=8), reading_interval_days=7)
    assert ("watch", "metric_no_reading") in signals(
        compute(program(metrics=(weekly,)), today=TODAY)
    )


def test_expected_on_path_is_clamped_to_the_ends():
    m = metric()
    assert expected_on_path(m, TODAY - D(days=500)) == 0
    assert expected_on_path(m, TODAY + D(days=500)) == 1000
    assert expected_on_path(m, TODAY) == 500


# --- Dependencies ---------------------------------------------------------------------------


def test_waiting_on_an_overdue_or_later_upstream_is_yellow():
    waits = milestone("Rack", due_in=20, upstream=(upstream(due_in=-3),))
    result = compute(program(milestones=(waits,)), today=TODAY)
    assert signals(result) == [("yellow", "upstream_overdue")]
    assert (
        result.reasons[0].text
        == "Milestone 'Rack' waits on 'Power' (Datacenter power), 3 days overdue"
    )
    after = milestone("Rack", due_in=20, upstream=(upstream(due_in=30),))
    assert signals(compute(program(milestones=(after,)), today=TODAY)) == [
        ("yellow", "upstream_after")
    ]


@pytest.mark.parametrize(
    ("late", "up_critical", "waiting_critical", "severity"),
    [
        (15, True, True, "red"),
        (14, True, True, "yellow"),
        (30, False, True, "yellow"),
        (30, True, False, "yellow"),
    ],
)
def test_a_critical_upstream_long_overdue_holds_a_critical_milestone_red(
    late, up_critical, waiting_critical, severity
):
    waits = milestone(
        "Rack",
        due_in=20,
        critical=waiting_critical,
        upstream=(upstream(due_in=-late, critical=up_critical),),
    )
    result = compute(program(milestones=(waits,)), today=TODAY)
    assert (result.reasons[0].severity, result.reasons[0].code) == (severity, "upstream_overdue")


# --- Watermelons and staleness --------------------------------------------------------------


@pytest.mark.parametrize(
    ("reported", "grade", "stale", "watermelon"),
    [
        ("on_track", Grade.YELLOW, False, True),
        ("on_track", Grade.RED, False, True),
        ("on_track", Grade.GREEN, False, False),
        ("on_track", Grade.RED, True, False),  # stale: flagged stale instead
        ("at_risk", Grade.RED, False, False),  # candour is never a watermelon
        ("off_track", Grade.GREEN, False, False),  # a pessimist is not flagged
        (None, Grade.RED, False, False),
    ],
)
def test_watermelon(reported, grade, stale, watermelon):
    assert is_watermelon(reported, grade, stale=stale) is watermelon


def test_a_stale_program_is_stale_not_a_watermelon():
    p = program(
        milestones=(milestone(due_in=-20, critical=True),), last_update_on=TODAY - D(days=20)
    )
    result = compute(p, today=TODAY)
    assert (result.grade, result.stale, result.watermelon) == (Grade.RED, True, False)


# --- Score, reasons, done and cancelled ------------------------------------------------------


def test_done_and_cancelled_programs_are_not_graded():
    for phase in ("done", "cancelled"):
        result = compute(program(phase=phase, last_update_on=None), today=TODAY)
        assert (result.scored, result.score, result.grade, result.reasons) == (
            False,
            None,
            None,
            (),
        )


def test_families_without_data_are_left_out_of_the_score():
    result = compute(program(), today=TODAY)
    assert set(result.components) == {"schedule", "freshness"}
    with_risk = compute(program(risks=(RiskInput(1, "R", 1, 1, "open"),)), today=TODAY)
    assert "risk" in with_risk.components


def test_reasons_rank_by_severity_then_review_order_then_cost():
    p = program(
        milestones=(
            milestone("Watch me", id=1, due_in=-2),
            milestone("Pushed", id=2, due_in=40, times_moved=3),
            milestone("Later", id=900, due_in=90),
        ),
        risks=(RiskInput(1, "Vendor", 5, 5, "open"),),
        launches=(LaunchInput(7, "EU", TODAY + D(days=10), False, 0),),
        last_update_on=TODAY - D(days=40),
    )
    result = compute(p, today=TODAY)
    assert [(r.severity, r.family) for r in result.reasons] == [
        ("red", "freshness"),
        ("yellow", "schedule"),
        ("yellow", "launch_readiness"),
        ("yellow", "risk"),
        ("watch", "schedule"),
    ]
    assert [r.code for r in result.to_clear] == [
        "update_stale", "pushed", "launch_not_approved", "high_risk",
    ]  # fmt: skip


def test_every_reason_renders_a_sentence_and_a_remedy_naming_its_object():
    p = program(
        milestones=(
            milestone("Cutover", id=1, due_in=-20, critical=True, times_moved=3),
            milestone("Rack", id=2, due_in=5, critical=True, state="planned",
                      upstream=(upstream(due_in=-30, critical=True),)),
            milestone("Old", id=3, due_in=-40),
            milestone("Older", id=4, due_in=-50, baseline_in=-200),
        ),
        risks=(RiskInput(1, "Vendor", 5, 5, "open"), RiskInput(2, "Small", 2, 2, "mitigating", TODAY - D(days=4))),
        launches=(LaunchInput(7, "EU", TODAY + D(days=3), False, 2),),
        metrics=(metric(latest_value=10, latest_at=TODAY - D(days=40)),),
        last_update_on=TODAY - D(days=40),
    )  # fmt: skip
    result = compute(p, today=TODAY)
    assert len({r.code for r in result.reasons}) >= 10
    for reason in result.reasons:
        stored = reason._asdict()
        assert reason_text(stored) and reason_remedy(stored), reason.code
        if reason.subject:
            assert reason.subject in reason_text(stored)


def test_old_snapshot_reasons_keep_their_words():
    old = {"component": "schedule", "text": "Milestone 'A' is 3 days overdue", "points": 2.1}
    view = reason_view(old)
    assert (view["family"], view["text"], view["severity"], view["remedy"]) == (
        "schedule", "Milestone 'A' is 3 days overdue", "", "",
    )  # fmt: skip


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
    lambda i, due, state, critical: UpstreamInput(i, f"U{i}", "Upstream", TODAY + D(days=due), state, critical),
    st.integers(1, 99), days, states, st.booleans(),
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
    RiskInput, st.integers(1, 10_000), st.text(min_size=1, max_size=10), st.integers(1, 5),
    st.integers(1, 5), st.sampled_from(["open", "mitigating", "accepted", "closed"]),
    st.one_of(st.none(), st.dates(TODAY - D(days=60), TODAY + D(days=60))),
)  # fmt: skip
launches = st.builds(
    lambda i, due, approved, items: LaunchInput(i, f"L{i}", TODAY + D(days=due), approved, items),
    st.integers(1, 99), st.integers(-10, 30), st.booleans(), st.integers(0, 5),
)  # fmt: skip
metrics = st.builds(
    lambda i, latest, age: metric(id=i, name=f"K{i}", latest_value=latest,
                                  latest_at=None if latest is None else TODAY - D(days=age)),
    st.integers(1, 99), st.one_of(st.none(), st.floats(-500, 1500)), st.integers(0, 90),
)  # fmt: skip
programs = st.builds(
    lambda ms, rs, ls, ks, age, phase, reported: program(
        milestones=tuple(ms), risks=tuple(rs), launches=tuple(ls), metrics=tuple(ks),
        last_update_on=None if age is None else TODAY - D(days=age), phase=phase,
        reported_health=reported,
    ),
    st.lists(milestones, max_size=8), st.lists(risks, max_size=5), st.lists(launches, max_size=2),
    st.lists(metrics, max_size=2), st.one_of(st.none(), st.integers(0, 60)),
    st.sampled_from(["planning", "executing", "launching"]),
    st.sampled_from([None, "on_track", "at_risk", "off_track"]),
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(programs)
def test_the_score_always_lies_in_its_grades_band(p):
    result = compute(p, today=TODAY)
    low, high = band(result.grade, Policy())
    assert low <= result.score <= high
    assert all(0 <= v <= 100 for v in result.components.values())
    assert set(result.components) <= set(COMPONENTS)
    if result.grade != Grade.GREEN:  # a grade that is not green has a reason of its severity
        assert result.reasons[0].severity in (Severity.YELLOW, Severity.RED)
        if result.grade == Grade.YELLOW:
            assert result.reasons[0].severity == Severity.YELLOW


@settings(max_examples=300, deadline=None)
@given(programs, st.integers(1, 120), st.booleans())
def test_an_extra_overdue_milestone_never_improves_the_grade(p, overdue, critical):
    """With a plan already in place: to a program executing with no open milestone at all, an
    overdue one is a plan (the 'no plan' signal goes), which may rightly improve its grade."""
    assume(p.open_milestones > 0 or p.phase == "planning")
    extra = milestone("Extra", id=99_999, due_in=-overdue, critical=critical)
    before = compute(p, today=TODAY)
    after = compute(dataclasses.replace(p, milestones=(*p.milestones, extra)), today=TODAY)
    assert after.grade.rank >= before.grade.rank


@settings(max_examples=300, deadline=None)
@given(programs, st.integers(3, 5), st.integers(3, 5))
def test_an_extra_open_high_risk_never_improves_the_grade(p, likelihood, impact):
    extra = RiskInput(99_999, "Extra", likelihood, impact, "open")
    before = compute(p, today=TODAY)
    after = compute(dataclasses.replace(p, risks=(*p.risks, extra)), today=TODAY)
    assert after.grade.rank >= before.grade.rank


@settings(max_examples=300, deadline=None)
@given(programs, launches)
def test_an_extra_launch_never_improves_the_grade(p, launch):
    before = compute(p, today=TODAY)
    after = compute(
        dataclasses.replace(p, launches=(*p.launches, launch._replace(id=999))), today=TODAY
    )
    assert after.grade.rank >= before.grade.rank


@settings(max_examples=300, deadline=None)
@given(programs, st.sampled_from(["risks", "launches", "metrics"]))
def test_removing_a_familys_data_never_turns_a_program_red(p, part):
    before = compute(p, today=TODAY)
    after = compute(dataclasses.replace(p, **{part: ()}), today=TODAY)
    if before.grade != Grade.RED:
        assert after.grade != Grade.RED
    assert after.grade.rank <= before.grade.rank


@settings(max_examples=500, deadline=None)
@given(programs)
def test_the_summarised_form_grades_exactly_like_the_full_one(p):
    """What the selector loads (notable milestones, the rest as counts) changes nothing."""
    short = summarise(p, TODAY)
    assert compute(short, today=TODAY) == compute(p, today=TODAY)
    assert len(short.milestones) <= len(p.milestones)
    assert summarise(short, TODAY) == short  # summarising twice is summarising once


def test_summarise_keeps_only_milestones_that_can_fire_a_signal_of_their_own():
    p = program(
        milestones=(
            milestone("On time", id=1, due_in=30, baseline_in=20),
            milestone("Done late", id=2, due_in=-30, baseline_in=-40, state="done", times_moved=3),
            milestone("Overdue", id=3, due_in=-3),
            milestone("Moved twice", id=4, due_in=40, baseline_in=20, times_moved=2),
            milestone("Next critical", id=5, due_in=60, critical=True),
            milestone("Later critical", id=6, due_in=90, baseline_in=85, critical=True),
            milestone(
                "Cancelled", id=7, due_in=10, baseline_in=0, state="cancelled", times_moved=3
            ),
            milestone("Waits on a late one", id=8, due_in=50, upstream=(upstream(due_in=-2),)),
            milestone("Waits on a fine one", id=9, due_in=50, upstream=(upstream(due_in=20),)),
            milestone("Critical soon", id=10, due_in=6, critical=True, state="planned"),
        )  # fmt: skip
    )
    short = summarise(p, TODAY)
    assert [m.name for m in short.milestones] == [
        "Overdue", "Moved twice", "Waits on a late one", "Critical soon",
    ]  # fmt: skip
    # 10 (on time) + 10 (done late) + 5 (later critical); cancelled slips do not count.
    assert short.unlisted_slip_days == 25
    assert (short.unlisted_open, short.unlisted_count) == (4, 5)
    assert compute(short, today=TODAY) == compute(p, today=TODAY)


@settings(max_examples=300, deadline=None)
@given(programs)
def test_a_fresh_update_never_worsens_the_grade(p):
    before = compute(p, today=TODAY)
    after = compute(dataclasses.replace(p, last_update_on=TODAY), today=TODAY)
    assert after.grade.rank <= before.grade.rank
    assert not after.stale


def test_grades_have_one_order_and_one_set_of_choices():
    """core.grades is the one definition: best first, ranked, labelled, and the models' and
    forms' choices are its choices."""
    from core.grades import GRADE_RANK, is_worse
    from metrics.models import HealthSnapshot
    from programs.models import Program

    assert list(Grade) == [Grade.GREEN, Grade.YELLOW, Grade.RED]
    assert [GRADE_RANK[g] for g in ("green", "yellow", "red")] == [0, 1, 2]
    assert Grade.RED.rank > Grade.YELLOW.rank > Grade.GREEN.rank
    assert is_worse("red", "yellow") and not is_worse("green", "yellow")
    assert Grade.choices == [("green", "Green"), ("yellow", "Yellow"), ("red", "Red")]
    assert Program._meta.get_field("health_grade").choices == Grade.choices
    assert HealthSnapshot._meta.get_field("grade").choices == Grade.choices


# The results of ``_version_corpus`` under ENGINE_VERSION, hashed. A change to the rules that
# changes them must bump health.ENGINE_VERSION (so that the deploy scores every program again)
# and set both numbers here.
ENGINE_RESULTS = (2, "0952e7a4a24a2419")


def _version_corpus() -> list[ProgramInput]:
    """A fixed, varied set of programs: every family fires somewhere, at every severity."""
    rng = random.Random(13)
    programs = []
    for i in range(150):
        days = rng.randint(40, 400)
        start = TODAY - D(days=rng.randint(0, days))
        milestones = tuple(
            MilestoneInput(
                id=i * 100 + k,
                name=f"M{k}",
                baseline_date=(base := start + D(days=rng.randint(0, days))),
                target_date=base + D(days=rng.choice([0, 0, 5, 20, 60])),
                state=rng.choice(["planned", "in_progress", "blocked", "done", "cancelled"]),
                critical=rng.random() < 0.4,
                times_moved=rng.randint(0, 4),
                upstream=tuple(
                    UpstreamInput(
                        i * 100 + 50 + u,
                        f"U{u}",
                        "Other",
                        TODAY - D(days=rng.randint(-20, 30)),
                        "in_progress",
                        rng.random() < 0.5,
                    )  # fmt: skip
                    for u in range(rng.choice([0, 0, 1]))
                ),
            )
            for k in range(rng.randint(0, 6))
        )
        programs.append(
            ProgramInput(
                id=i,
                name=f"P{i}",
                phase=rng.choice(["planning", "executing", "launching", "done"]),
                start_date=start,
                target_date=start + D(days=days),
                created_on=start,
                update_cadence_days=rng.choice([7, 14]),
                last_update_on=rng.choice([None, TODAY - D(days=rng.randint(0, 60))]),
                reported_health=rng.choice([None, "on_track", "at_risk", "off_track"]),
                milestones=milestones,
                risks=tuple(
                    RiskInput(
                        i * 10 + r,
                        f"R{r}",
                        rng.randint(1, 5),
                        rng.randint(1, 5),
                        rng.choice(["open", "mitigating", "accepted"]),
                        rng.choice([None, TODAY - D(days=rng.randint(-10, 30))]),
                    )  # fmt: skip
                    for r in range(rng.randint(0, 3))
                ),
                metrics=tuple(
                    MetricInput(
                        i * 10 + m,
                        f"X{m}",
                        0.0,
                        100.0,
                        start,
                        start + D(days=days),
                        latest_value=rng.choice([None, float(rng.randint(0, 100))]),
                        latest_at=TODAY - D(days=rng.randint(0, 90)),
                    )  # fmt: skip
                    for m in range(rng.randint(0, 2))
                ),
                launches=tuple(
                    LaunchInput(
                        i * 10 + n,
                        f"L{n}",
                        TODAY + D(days=rng.randint(-3, 30)),
                        rng.random() < 0.5,
                        rng.randint(0, 3),
                    )  # fmt: skip
                    for n in range(rng.randint(0, 2))
                ),
                has_dependencies=any(m.upstream for m in milestones),
            )
        )
    return programs


def test_engine_version_is_bumped_when_results_change():
    results = [compute(p, today=TODAY) for p in _version_corpus()]
    assert {r.grade for r in results} == {Grade.GREEN, Grade.YELLOW, Grade.RED, None}
    digest = hashlib.blake2b(repr(results).encode(), digest_size=8).hexdigest()
    assert (ENGINE_VERSION, digest) == ENGINE_RESULTS, (
        "The engine's results changed: bump health.ENGINE_VERSION and set ENGINE_RESULTS to "
        f"({ENGINE_VERSION + 1}, {digest!r}) (or, if the version was bumped already, to "
        f"({ENGINE_VERSION}, {digest!r}))."
    )
