"""The health engine: a program's data in, an explainable score out.

Pure Python — immutable records in (frozen dataclasses, and named tuples for the many small
ones: a full recompute builds hundreds of thousands of them), a ``HealthResult`` out; no ORM, no clock (``today`` is
an argument) — so every rule can be tested without a database and reasoned about on paper.

Each component starts at 100 points and loses points for what a TPM would worry about; every
loss is a ``Reason`` naming the object. The score is the weighted mean of the components, and
each reason's cost in *score* points is its component cost times the component's share of
the weights, so the ranked reasons add up to (100 - score) before the grade ceiling applies.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from functools import cached_property
from operator import itemgetter
from typing import NamedTuple

COMPONENTS = ("schedule", "freshness", "risk", "outcomes", "launch_readiness", "dependencies")
OPEN_STATES = frozenset(("planned", "in_progress", "blocked"))


class Grade(StrEnum):
    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"


# Reported health in a status update, in the same order of goodness as grades.
REPORTED_RANK = {"on_track": 0, "at_risk": 1, "off_track": 2}
GRADE_RANK = {Grade.GREEN: 0, Grade.YELLOW: 1, Grade.RED: 2}


@dataclass(frozen=True)
class Policy:
    """Weights and thresholds; one default, optionally one per portfolio (edited in admin)."""

    weights: Mapping[str, float] = field(
        default_factory=lambda: {
            "schedule": 30,
            "freshness": 15,
            "risk": 15,
            "outcomes": 15,
            "launch_readiness": 15,
            "dependencies": 10,
        }
    )
    green_at: int = 75
    yellow_at: int = 50
    # Points per day overdue, and the most one milestone can cost.
    overdue_points_per_day: float = 1.5
    overdue_points_per_day_critical: float = 3.0
    overdue_cap: float = 35.0
    overdue_cap_critical: float = 60.0
    # Ceiling: a critical milestone this many days overdue keeps the program out of green.
    critical_overdue_ceiling_days: int = 14
    # Freshness: one full missed cadence costs this many points.
    missed_cadence_points: float = 50.0
    # Launch readiness and outcomes look this far ahead / behind.
    launch_lookahead_days: int = 14
    # Risks with likelihood x impact at or above this are "high" and cost more.
    high_exposure: int = 12

    @cached_property
    def component_weights(self) -> dict[str, float]:
        """Every component's weight as a float (0 when absent), converted once per policy:
        ``compute`` reads them for every program."""
        return {c: float(self.weights.get(c, 0)) for c in COMPONENTS}

    @cached_property
    def plans(self) -> dict[bool, tuple[tuple[str, Rule, float], ...]]:
        """The components that count, each with its rule and its share of the weights, by
        whether launch data is known (launch readiness counts only then); worked out once per
        policy, as ``compute`` needs one for every program."""
        weights = self.component_weights

        def plan(launches_known: bool) -> tuple[tuple[str, Rule, float], ...]:
            active = [
                c
                for c in COMPONENTS
                if weights[c] > 0 and (launches_known or c != "launch_readiness")
            ]
            total = sum(weights[c] for c in active) or 1.0
            return tuple((c, COMPONENT_RULES[c], weights[c] / total) for c in active)

        return {True: plan(True), False: plan(False)}


class MilestoneInput(NamedTuple):
    id: int
    name: str
    baseline_date: datetime.date
    target_date: datetime.date
    state: str  # planned, in_progress, done, blocked, cancelled
    critical: bool = False
    completed_date: datetime.date | None = None
    planned_on: datetime.date | None = None  # when the baseline was agreed (creation day)
    times_moved: int = 0
    # Upstream milestones this one depends on (also in other programs).
    upstream: tuple[UpstreamInput, ...] = ()

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    def days_overdue(self, today: datetime.date) -> int:
        return max(0, (today - self.target_date).days) if self.is_open else 0


class UpstreamInput(NamedTuple):
    name: str
    program_name: str
    target_date: datetime.date
    state: str
    program_grade: str = ""  # the upstream program's current grade

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


class RiskInput(NamedTuple):
    title: str
    likelihood: int
    impact: int
    state: str  # open, mitigating, accepted, closed
    due_date: datetime.date | None = None

    @property
    def exposure(self) -> int:
        return self.likelihood * self.impact


class MetricInput(NamedTuple):
    name: str
    baseline_value: float
    target_value: float
    baseline_date: datetime.date
    target_date: datetime.date
    higher_is_better: bool = True
    latest_value: float | None = None
    latest_at: datetime.date | None = None
    unit: str = ""


class LaunchInput(NamedTuple):
    name: str
    launch_date: datetime.date
    approved: bool
    open_required_items: int = 0


@dataclass(frozen=True)
class ProgramInput:
    id: int
    name: str
    phase: str
    start_date: datetime.date
    target_date: datetime.date
    created_on: datetime.date
    update_cadence_days: int = 7
    last_update_on: datetime.date | None = None
    reported_health: str | None = None
    milestones: tuple[MilestoneInput, ...] = ()
    risks: tuple[RiskInput, ...] = ()
    metrics: tuple[MetricInput, ...] = ()
    # None: the launch-review data is not available, so the component is neutral (not faked).
    launches: tuple[LaunchInput, ...] | None = None
    # The summed slip of milestones left out of ``milestones`` because nothing but their slip
    # can cost points (see ``summarise``): a full recompute loads only the ones that matter.
    unlisted_slip_days: int = 0


class Reason(NamedTuple):
    component: str
    text: str
    component_points: float  # what it cost its component (0-100 scale)
    points: float = 0.0  # what it cost the overall score


@dataclass(frozen=True)
class HealthResult:
    program_id: int
    scored: bool
    score: int | None
    grade: Grade | None
    components: Mapping[str, int]
    reasons: tuple[Reason, ...]
    watermelon: bool
    forecast: Forecast | None
    ceiling: str | None = None


@dataclass(frozen=True)
class Forecast:
    milestone_id: int
    milestone_name: str
    target_date: datetime.date
    forecast_date: datetime.date

    @property
    def days_late(self) -> int:
        return (self.forecast_date - self.target_date).days


def _number(value: float) -> str:
    """A reading as people write it: 12,000 / 48.5 / 0.25 — no float noise."""
    if float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


# --- Components: each returns its costs, (text, component points lost), in order -------------


def schedule_reasons(program: ProgramInput, today: datetime.date, policy: Policy) -> list[Cost]:
    """Overdue milestones, then the total slip, then milestones that keep moving (in that
    order: a component's points run out from the first reason on)."""
    overdue_reasons, moved_reasons = [], []
    total_slip = program.unlisted_slip_days
    for m in program.milestones:  # one pass: a full recompute scores ten thousand programs
        if m.state == "cancelled":  # never overdue, no slip, its moves no longer matter
            continue
        if m.target_date > m.baseline_date:
            total_slip += (m.target_date - m.baseline_date).days  # slip_days, inlined
        if m.state in OPEN_STATES and m.target_date < today:
            overdue = (today - m.target_date).days
            if m.critical:
                cost = min(
                    policy.overdue_cap_critical, overdue * policy.overdue_points_per_day_critical
                )
                text = f"Critical milestone '{m.name}' is {_days(overdue)} overdue"
            else:
                cost = min(policy.overdue_cap, overdue * policy.overdue_points_per_day)
                text = f"Milestone '{m.name}' is {_days(overdue)} overdue"
            overdue_reasons.append((text, cost))
        if m.times_moved > 1:
            moved_reasons.append(
                (
                    f"Milestone '{m.name}' has moved {m.times_moved} times",
                    min(15.0, 4.0 * (m.times_moved - 1)),
                )
            )
    # Total slip against the baseline, relative to the program's length: slips adding up to
    # the whole program's length cost 50 points (capped at 30). A sum, not an average, so an
    # extra milestone on time never hides the others' slips.
    if total_slip:
        length = max(1, (program.target_date - program.start_date).days)
        ratio = total_slip / length
        cost = min(30.0, ratio * 50)
        if cost >= 0.5:
            overdue_reasons.append(
                (
                    f"Milestones have slipped {_days(total_slip)} in total against their baselines "
                    f"({ratio:.0%} of the program's length)",
                    cost,
                )
            )
    return overdue_reasons + moved_reasons


def freshness_reasons(program: ProgramInput, today: datetime.date, policy: Policy) -> list[Cost]:
    cadence = max(1, program.update_cadence_days)
    if program.last_update_on is None:
        waited = (today - program.created_on).days
        if waited <= cadence:
            return []
        return [
            (
                f"No status update posted in the {_days(waited)} since the program was created",
                100.0,
            )
        ]
    age = (today - program.last_update_on).days
    if age <= cadence:
        return []
    late = age - cadence
    cost = min(100.0, late / cadence * policy.missed_cadence_points)
    return [
        (
            f"Last status update was {_days(age)} ago (expected every {_days(cadence)})",
            cost,
        )
    ]


def risk_reasons(program: ProgramInput, today: datetime.date, policy: Policy) -> list[Cost]:
    reasons = []
    for title, likelihood, impact, state, due_date in program.risks:
        if state == "closed":
            continue
        exposure = likelihood * impact
        if state != "accepted":
            # High risks (exposure >= 12 of 25) cost 2 points per exposure point, others 0.6.
            per_point = 2.0 if exposure >= policy.high_exposure else 0.6
            reasons.append(
                (
                    f"Open risk '{title}' (likelihood {likelihood} × impact {impact} = {exposure})",
                    exposure * per_point,
                )
            )
        if due_date and due_date < today and state in ("open", "mitigating"):
            late = (today - due_date).days
            reasons.append(
                (
                    f"Mitigation of '{title}' is {_days(late)} past due",
                    min(20.0, 8.0 + late * 0.5),
                )
            )
    return reasons


def expected_on_path(metric: MetricInput, on: datetime.date) -> float:
    """The value the straight path from baseline to target expects on a day."""
    span = (metric.target_date - metric.baseline_date).days
    if span <= 0:
        return metric.target_value
    progress = min(1.0, max(0.0, (on - metric.baseline_date).days / span))
    return metric.baseline_value + (metric.target_value - metric.baseline_value) * progress


def outcome_reasons(program: ProgramInput, today: datetime.date, policy: Policy) -> list[Cost]:
    reasons = []
    for metric in program.metrics:
        if metric.latest_value is None:
            if today > metric.baseline_date + datetime.timedelta(days=30):
                reasons.append((f"Metric '{metric.name}' has no reading yet", 10.0))
            continue
        total = metric.target_value - metric.baseline_value
        if total == 0:
            continue
        on = metric.latest_at or today
        expected = expected_on_path(metric, on)
        behind = (expected - metric.latest_value) / total  # > 0 means behind the path
        if behind > 0.02:
            unit = f" {metric.unit}" if metric.unit else ""
            reasons.append(
                (
                    f"Metric '{metric.name}' is at {_number(metric.latest_value)}{unit}, behind "
                    f"the path to {_number(metric.target_value)}{unit} "
                    f"(expected {_number(expected)}{unit})",
                    min(50.0, behind * 100),
                )
            )
    return reasons


def launch_reasons(program: ProgramInput, today: datetime.date, policy: Policy) -> list[Cost]:
    reasons = []
    horizon = today + datetime.timedelta(days=policy.launch_lookahead_days)
    for launch in program.launches or ():
        if not (today <= launch.launch_date <= horizon) or launch.approved:
            continue
        days_left = (launch.launch_date - today).days
        # Closer launches cost more: 40 points on launch day, 20 two weeks out.
        cost = 40.0 - 20.0 * days_left / max(1, policy.launch_lookahead_days)
        reasons.append(
            (
                f"Launch '{launch.name}' in {_days(days_left)} is not approved",
                cost,
            )
        )
        if launch.open_required_items:
            reasons.append(
                (
                    f"Launch '{launch.name}' has {launch.open_required_items} required checklist items open",
                    min(30.0, 3.0 * launch.open_required_items),
                )
            )
    return reasons


def upstream_is_trouble(m: MilestoneInput, up: UpstreamInput, today: datetime.date) -> bool:
    """Whether an upstream milestone costs its dependant points: it is open and overdue or due
    after the dependant, or its program is red."""
    return (up.is_open and (up.target_date < today or up.target_date > m.target_date)) or (
        up.program_grade == Grade.RED
    )


def dependency_reasons(program: ProgramInput, today: datetime.date, policy: Policy) -> list[Cost]:
    reasons = []
    for m in program.milestones:
        if not m.is_open:
            continue
        for up in m.upstream:
            where = f"'{up.name}' ({up.program_name})"
            if up.is_open and up.target_date < today:
                late = (today - up.target_date).days
                reasons.append(
                    (
                        f"'{m.name}' depends on {where}, {_days(late)} overdue",
                        min(40.0, 15.0 + late * 0.5),
                    )
                )
            elif up.is_open and up.target_date > m.target_date:
                gap = (up.target_date - m.target_date).days
                reasons.append(
                    (
                        f"'{m.name}' depends on {where}, due {_days(gap)} after it",
                        min(30.0, 10.0 + gap * 0.5),
                    )
                )
            if up.program_grade == Grade.RED:
                reasons.append((f"'{m.name}' depends on {where}, whose program is red", 10.0))
    return reasons


Cost = tuple[str, float]  # what a rule finds: a reason's text and the component points it costs
Rule = Callable[[ProgramInput, datetime.date, Policy], list[Cost]]
_TEXT, _POINTS = itemgetter(1), itemgetter(3)  # Reason.text, Reason.points

COMPONENT_RULES: dict[str, Rule] = {
    "schedule": schedule_reasons,
    "freshness": freshness_reasons,
    "risk": risk_reasons,
    "outcomes": outcome_reasons,
    "launch_readiness": launch_reasons,
    "dependencies": dependency_reasons,
}


def grade_for(score: int, policy: Policy) -> Grade:
    if score >= policy.green_at:
        return Grade.GREEN
    if score >= policy.yellow_at:
        return Grade.YELLOW
    return Grade.RED


def is_watermelon(reported_health: str | None, grade: Grade | None) -> bool:
    """Reported health in the last update is better than the computed grade."""
    if not reported_health or grade is None or reported_health not in REPORTED_RANK:
        return False
    return REPORTED_RANK[reported_health] < GRADE_RANK[grade]


def forecast_next_critical(program: ProgramInput, today: datetime.date) -> Forecast | None:
    """Forecast the next open critical milestone from its own slip history.

    Its slip rate (days slipped per day elapsed since the plan was agreed) is assumed to go on
    until the target date: a milestone that slipped 20 days over the last 100 days, with 50
    days to go, is forecast 10 days late. An overdue one is forecast no earlier than today.
    """
    m = next_critical(program)
    if m is None:
        return None
    slipped = (m.target_date - m.baseline_date).days
    elapsed = max(1, (today - (m.planned_on or program.created_on)).days)
    rate = max(0.0, slipped / elapsed)
    remaining = max(0, (m.target_date - today).days)
    forecast = m.target_date + datetime.timedelta(days=math.ceil(rate * remaining))
    if forecast < today:
        # Overdue: at best it lands today; a slipping one keeps slipping at its rate.
        forecast = today + datetime.timedelta(days=math.ceil(rate * (today - m.target_date).days))
    return Forecast(m.id, m.name, m.target_date, forecast)


def slip_days(m: MilestoneInput) -> int:
    """How many days later than its baseline a milestone is due (pulled in or cancelled: 0)."""
    return 0 if m.state == "cancelled" else max(0, (m.target_date - m.baseline_date).days)


def next_critical(program: ProgramInput) -> MilestoneInput | None:
    """The open critical milestone due first (the forecast's subject)."""
    return min(
        (m for m in program.milestones if m.critical and m.is_open),
        key=lambda m: (m.target_date, m.id),
        default=None,
    )


def is_notable(m: MilestoneInput, today: datetime.date) -> bool:
    """Whether a milestone can cost points other than through its slip: it is overdue, has
    moved more than once, or waits on a troubled upstream milestone."""
    if not m.is_open:
        return m.times_moved > 1 and m.state != "cancelled"
    return (
        m.target_date < today
        or m.times_moved > 1
        or any(upstream_is_trouble(m, up, today) for up in m.upstream)
    )


def summarise(program: ProgramInput, today: datetime.date) -> ProgramInput:
    """The same program with only its notable milestones (and the next critical one, for the
    forecast) listed; the others' slip moves into ``unlisted_slip_days``.

    ``compute`` gives the same result for both forms (a property test holds it to that). The
    selector loads this form straight from SQL, so a full recompute reads and scores the few
    milestones that matter instead of every one.
    """
    first_critical = next_critical(program)
    listed, unlisted_slip = [], program.unlisted_slip_days
    for m in program.milestones:
        if m is first_critical or is_notable(m, today):
            listed.append(m)
        else:
            unlisted_slip += slip_days(m)
    return replace(program, milestones=tuple(listed), unlisted_slip_days=unlisted_slip)


def compute(
    program: ProgramInput, *, today: datetime.date, policy: Policy | None = None
) -> HealthResult:
    """Score one program. Done and cancelled programs are not scored (never 'failing')."""
    policy = policy or Policy()
    if program.phase in ("done", "cancelled"):
        return HealthResult(program.id, False, None, None, {}, (), False, None)

    components: dict[str, int] = {}
    reasons: list[Reason] = []
    weighted = 0.0
    for component, rule, share in policy.plans[program.launches is not None]:
        lost = 0.0
        for text, cost in rule(program, today, policy):
            # A component cannot lose more than all its points; later reasons are scaled down.
            take = min(cost, 100.0 - lost)
            if take <= 0:
                continue
            lost += take
            reasons.append(Reason(component, text, take, take * share))
        components[component] = round(100.0 - lost)
        weighted += (100.0 - lost) * share
    score = max(0, min(100, round(weighted)))
    grade = grade_for(score, policy)
    ceiling = None
    if grade == Grade.GREEN and any(
        m.critical and m.days_overdue(today) > policy.critical_overdue_ceiling_days
        for m in program.milestones
    ):
        ceiling = (
            f"A critical milestone is more than {_days(policy.critical_overdue_ceiling_days)} "
            "overdue: the program cannot be green"
        )
        score = min(score, policy.green_at - 1)
        grade = grade_for(score, policy)
    # Costliest first, ties by text: two sorts on plain keys (stable) beat one on a lambda.
    reasons.sort(key=_TEXT)
    reasons.sort(key=_POINTS, reverse=True)
    ranked = tuple(reasons)
    return HealthResult(
        program_id=program.id,
        scored=True,
        score=score,
        grade=grade,
        components=components,
        reasons=ranked,
        watermelon=is_watermelon(program.reported_health, grade),
        forecast=forecast_next_critical(program, today),
        ceiling=ceiling,
    )
