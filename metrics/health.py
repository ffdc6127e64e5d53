"""The health engine: a program's data in, a grade with its reasons out.

Pure Python — immutable records in (frozen dataclasses, and named tuples for the many small
ones: a full recompute builds hundreds of thousands of them), a ``HealthResult`` out; no ORM, no
clock (``today`` is an argument) — so every rule can be tested without a database and reasoned
about on paper.

It grades the way ``shared/HEALTH_RUBRIC.md`` says an experienced TPM does: **by the worst
signal, never by an average**. Each rule fires a ``Reason`` (a signal) in one of six families
with a severity:

- *watch*: worth a line in the reasons, no effect on the grade;
- *yellow*;
- *red*.

The grade is red when any red signal fires, or when yellow signals fire in two or more
families (trouble spreading across a program); otherwise yellow when any yellow fires;
otherwise green.

The 0–100 score ranks programs within and across grades: each family with something to judge
scores 100 less what its signals cost, their weighted mean (families with no data left out)
is the program's *quality*, and the score is that quality placed inside its grade's band
(red below ``yellow_at``, yellow below ``green_at``, green above). So a red program never scores
in the green band, and more trouble never raises a score.

A reason is data (family, severity, code, the object's id and name, figures, cost); its
sentence is rendered from that by ``reason_text``, so pages, the API, the weekly report and the
ops agenda say the same words, and can filter by cause.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from functools import cached_property
from typing import Any, NamedTuple

from core.formatting import format_number
from core.grades import Grade

# The version of the rules. Bump it with any change that can change a result for the same
# loaded inputs and policy (a rule, a cost, a sentence's figures, the grade or score
# arithmetic, or how ``metrics.selectors`` turns loaded rows into inputs): the
# scheduled recompute skips a program whose inputs, policy and engine version are what today's
# snapshot was computed from, so without a bump the old results stand until tomorrow's first
# run. ``tests/metrics/test_health.py::test_engine_version_is_bumped_when_results_change``
# fails when the results of a fixed set of programs change under the same version.
ENGINE_VERSION = 2

OPEN_STATES = frozenset(("planned", "in_progress", "blocked"))


class Severity(StrEnum):
    WATCH = "watch"  # a line in the reasons; no effect on the grade
    YELLOW = "yellow"
    RED = "red"


class Family(StrEnum):
    """The six families of signals, in the order a TPM walks a program in a review (dates
    first): reasons of one severity are listed in this order."""

    SCHEDULE = "schedule"
    LAUNCH = "launch_readiness"
    DEPENDENCIES = "dependencies"
    RISK = "risk"
    FRESHNESS = "freshness"
    OUTCOMES = "outcomes"


FAMILIES = tuple(Family)
# Kept under its old name: snapshots, weights and the API call a family a "component".
COMPONENTS = tuple(f.value for f in FAMILIES)
# Keyed by str: a reason holds plain strings, and StrEnum members hash (and compare) as them.
FAMILY_RANK: dict[str, int] = {family: rank for rank, family in enumerate(FAMILIES)}
SEVERITY_RANK: dict[str, int] = {Severity.WATCH: 0, Severity.YELLOW: 1, Severity.RED: 2}


@dataclass(frozen=True)
class Policy:
    """Weights and thresholds; one default, optionally one per portfolio (edited in admin).

    The thresholds are the rubric's defaults (``shared/HEALTH_RUBRIC.md``); each one has a
    field of the same name on ``metrics.models.HealthPolicy``.
    """

    # How much each family counts in the score (ranking only: the grade ignores weights).
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
    # Score bands: green from green_at, yellow from yellow_at, red below.
    green_at: int = 75
    yellow_at: int = 50
    # Yellow signals in this many different families make a program red.
    yellow_families_for_red: int = 2
    # Schedule.
    critical_overdue_red_days: int = 14  # 1..this: yellow; more: red
    overdue_yellow_days: int = 14  # a non-critical milestone overdue more than this: yellow
    overdue_count_yellow: int = 3  # this many open milestones overdue: yellow
    critical_start_window_days: int = 7  # a critical milestone due this soon still planned
    pushes_watch: int = 2
    pushes_yellow: int = 3
    slip_yellow_percent: int = 15  # total slip as a share of the program's length
    slip_red_percent: int = 40
    forecast_yellow_days: int = 14  # next critical milestone forecast this late
    # Not a threshold: how much of a milestone's slip rate the forecast carries forward, set by
    # ``tune_slip_factor`` from how past forecasts did (``metrics.tuning``), never by hand.
    forecast_slip_factor: float = 1.0
    # Freshness, in multiples of the program's update cadence.
    stale_watch_cadences: int = 1
    stale_yellow_cadences: int = 2
    stale_red_cadences: int = 4
    # Risk: likelihood x impact at or above this is high; this many unmitigated high ones: red.
    high_risk_exposure: int = 15
    high_risks_for_red: int = 2
    # Launch readiness.
    launch_yellow_days: int = 14
    launch_red_days: int = 7
    # Outcomes: the latest reading this far behind the path (share of the whole distance).
    metric_behind_yellow_percent: int = 25
    # Dependencies: an upstream critical milestone overdue more than this holds a critical one.
    upstream_red_days: int = 14
    # Alignment: a published plan not acknowledged by everyone asked for longer than this.
    plan_ack_watch_days: int = 14

    @cached_property
    def component_weights(self) -> dict[str, float]:
        """Every family's weight as a float (0 when absent), converted once per policy."""
        return {c: float(self.weights.get(c, 0)) for c in COMPONENTS}


# --- Inputs ------------------------------------------------------------------------------


class UpstreamInput(NamedTuple):
    """A milestone that a program's milestone waits on (in any program)."""

    id: int
    name: str
    program_name: str
    target_date: datetime.date
    state: str
    critical: bool = False

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


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
    # Upstream milestones this one waits on that are in trouble (see ``upstream_is_trouble``):
    # the selector loads only those, as the others cost nothing.
    upstream: tuple[UpstreamInput, ...] = ()

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    def days_overdue(self, today: datetime.date) -> int:
        return max(0, (today - self.target_date).days) if self.is_open else 0


class RiskInput(NamedTuple):
    id: int
    title: str
    likelihood: int
    impact: int
    state: str  # open, mitigating, accepted, closed
    due_date: datetime.date | None = None  # when the mitigation is due

    @property
    def exposure(self) -> int:
        return self.likelihood * self.impact


class MetricInput(NamedTuple):
    id: int
    name: str
    baseline_value: float
    target_value: float
    baseline_date: datetime.date
    target_date: datetime.date
    higher_is_better: bool = True
    latest_value: float | None = None
    latest_at: datetime.date | None = None
    unit: str = ""
    reading_interval_days: int = 30  # how often a reading is expected


class LaunchInput(NamedTuple):
    id: int
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
    launches: tuple[LaunchInput, ...] = ()
    # Milestones left out of ``milestones`` because nothing but their slip and their being open
    # can fire a signal (see ``summarise``): a full recompute loads only the ones that matter.
    unlisted_slip_days: int = 0
    unlisted_open: int = 0
    unlisted_count: int = 0  # of milestones not cancelled
    # Whether any of its milestones waits on another (the dependencies family has data).
    has_dependencies: bool = False
    # Its plan's latest alignment round: since when it waits for acknowledgements, and from
    # how many parties (None, 0: nothing waits; ``programs.plans``).
    plan_awaiting_since: datetime.date | None = None
    plan_awaiting: int = 0

    @property
    def open_milestones(self) -> int:
        return self.unlisted_open + sum(1 for m in self.milestones if m.is_open)

    @property
    def milestone_count(self) -> int:
        return self.unlisted_count + sum(1 for m in self.milestones if m.state != "cancelled")


# --- Results -----------------------------------------------------------------------------


class Reason(NamedTuple):
    """One signal: what fired, on what, with the figures that say how bad.

    ``cost`` is what it takes from its family's 100 points (for the score, and to rank reasons
    of one family and severity). ``figures`` holds plain JSON values only: it is stored.
    """

    family: str
    severity: str
    code: str
    subject_id: int | None
    subject: str
    figures: Mapping[str, Any]
    cost: float

    @property
    def text(self) -> str:
        return reason_text(self._asdict())


@dataclass(frozen=True)
class Forecast:
    milestone_id: int
    milestone_name: str
    target_date: datetime.date
    forecast_date: datetime.date
    # Days slipped per day elapsed, as measured (before the policy's slip factor): stored with
    # the forecast so that ``tune_slip_factor`` can replay it under another factor.
    slip_rate: float = 0.0

    @property
    def days_late(self) -> int:
        return (self.forecast_date - self.target_date).days


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
    stale: bool = False  # no current update: older than the freshness window, or none at all

    @property
    def cause(self) -> str:
        """The family of the reason that decides the grade ('' when green or not scored)."""
        if self.grade in (None, Grade.GREEN) or not self.reasons:
            return ""
        return self.reasons[0].family

    @property
    def to_clear(self) -> tuple[Reason, ...]:
        """What would make the program green: its yellow and red signals, in order."""
        return tuple(r for r in self.reasons if r.severity != Severity.WATCH)


# --- Words -------------------------------------------------------------------------------


def _days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


def _in_days(n: int) -> str:
    if n < 0:
        return f"{_days(-n)} ago"
    return "today" if n == 0 else f"in {_days(n)}"


def _date(iso: str) -> str:
    """An ISO day as people read it: 3 Mar 2027."""
    day = datetime.date.fromisoformat(iso)
    return f"{day.day} {day:%b %Y}"


def _unit(figures: Mapping[str, Any]) -> str:
    return f" {figures['unit']}" if figures.get("unit") else ""


# Each code's sentence and remedy, from the reason's subject and figures. A reason stored
# before structured reasons (a "text" of its own) keeps its words.
_TEXTS: dict[str, Any] = {
    "critical_overdue": lambda s, f: f"Critical milestone '{s}' is {_days(f['days'])} overdue",
    "milestone_overdue": lambda s, f: f"Milestone '{s}' is {_days(f['days'])} overdue",
    "many_overdue": lambda s, f: f"{f['count']} open milestones are overdue",
    "critical_not_started": lambda s, f: (
        f"Critical milestone '{s}' is due {_in_days(f['days'])} and has not started"
    ),
    "pushed": lambda s, f: f"Milestone '{s}' has been pushed {f['times']} times",
    "total_slip": lambda s, f: (
        f"Milestones have slipped {_days(f['days'])} in total against their baselines "
        f"({f['percent']}% of the program's length)"
    ),
    "no_plan": lambda s, f: f"The program is {f['phase']} with no open milestone: no plan",
    "forecast_late": lambda s, f: (
        f"Critical milestone '{s}' is forecast {_days(f['days'])} after its target "
        f"(on {_date(f['forecast'])}, from its slips so far)"
    ),
    "update_stale": lambda s, f: (
        f"Last status update was {_days(f['days'])} ago (expected every {_days(f['cadence'])})"
    ),
    "never_updated": lambda s, f: (
        f"No status update posted in the {_days(f['days'])} since the program was created"
    ),
    "high_risk": lambda s, f: (
        f"Risk '{s}' (likelihood {f['likelihood']} × impact {f['impact']} = {f['exposure']}) "
        + (
            f"has its mitigation {_days(f['late'])} past due"
            if f.get("late")
            else "has no mitigation under way"
        )
    ),
    "high_risks": lambda s, f: (
        f"{f['count']} high risks have no mitigation under way or are past due: "
        + ", ".join(f"'{name}'" for name in f["names"])
    ),
    "mitigation_overdue": lambda s, f: f"Mitigation of '{s}' is {_days(f['late'])} past due",
    "launch_not_approved": lambda s, f: (
        f"Launch '{s}' {_in_days(f['days'])} is not approved"
        if f["days"] >= 0
        else f"Launch '{s}' was due {_days(-f['days'])} ago and is not approved"
    ),
    "launch_unready": lambda s, f: (
        f"Launch '{s}' {_in_days(f['days'])} is not approved, with {f['open']} required "
        f"checklist item{'s' if f['open'] != 1 else ''} open"
    ),
    "metric_behind": lambda s, f: (
        f"Metric '{s}' is at {format_number(f['value'])}{_unit(f)}, behind the path to "
        f"{format_number(f['target'])}{_unit(f)} (expected {format_number(f['expected'])}{_unit(f)}: "
        f"{f['percent']}% of the way behind)"
    ),
    "metric_no_reading": lambda s, f: (
        f"Metric '{s}' has had no reading for {_days(f['days'])} "
        f"(expected every {_days(f['interval'])})"
        if f.get("days") is not None
        else f"Metric '{s}' has no reading yet"
    ),
    "upstream_overdue": lambda s, f: (
        f"{'Critical milestone' if f.get('critical') else 'Milestone'} '{s}' waits on "
        f"'{f['upstream']}' ({f['upstream_program']}), {_days(f['days'])} overdue"
    ),
    "upstream_after": lambda s, f: (
        f"Milestone '{s}' waits on '{f['upstream']}' ({f['upstream_program']}), "
        f"due {_days(f['days'])} after it"
    ),
    "plan_unacknowledged": lambda s, f: (
        f"The plan has waited {_days(f['days'])} for {f['parties']} "
        f"acknowledgement{'s' if f['parties'] != 1 else ''}"
    ),
}

_REMEDIES: dict[str, Any] = {
    "critical_overdue": lambda s, f: f"Finish '{s}', or re-plan it with a new date and a reason",
    "milestone_overdue": lambda s, f: f"Finish '{s}', or re-plan it with a new date and a reason",
    "many_overdue": lambda s, f: "Finish or re-plan the overdue milestones",
    "critical_not_started": lambda s, f: f"Start '{s}', or re-plan it",
    "pushed": lambda s, f: f"Agree a date for '{s}' that holds",
    "total_slip": lambda s, f: "Re-baseline the plan with leadership, or recover the slip",
    "no_plan": lambda s, f: "Add the milestones that remain",
    "forecast_late": lambda s, f: f"Recover '{s}', or move its target to a date it can make",
    "update_stale": lambda s, f: "Post a status update",
    "never_updated": lambda s, f: "Post a status update",
    "high_risk": lambda s, f: f"Start mitigating '{s}', or set a new mitigation date",
    "high_risks": lambda s, f: "Start mitigating the high risks, or set new mitigation dates",
    "mitigation_overdue": lambda s, f: f"Mitigate '{s}', or set a new mitigation date",
    "launch_not_approved": lambda s, f: f"Get the launch review of '{s}' approved",
    "launch_unready": lambda s, f: (
        f"Close the required checklist items of '{s}' and get it approved"
    ),
    "metric_behind": lambda s, f: f"Bring '{s}' back to its path, or re-plan its target",
    "metric_no_reading": lambda s, f: f"Record a reading of '{s}'",
    "upstream_overdue": lambda s, f: f"Agree a recovery date with the owner of '{f['upstream']}'",
    "upstream_after": lambda s, f: f"Align '{s}' with '{f['upstream']}', or drop the dependency",
    "plan_unacknowledged": lambda s, f: "Ask the teams what stops them agreeing to the plan",
}


def reason_text(reason: Mapping[str, Any]) -> str:
    """A reason's sentence, from its code, subject and figures (stored or just computed)."""
    if "text" in reason:  # stored before reasons were structured
        return str(reason["text"])
    render = _TEXTS.get(reason.get("code", ""))
    return render(reason.get("subject", ""), reason.get("figures", {})) if render else ""


def reason_remedy(reason: Mapping[str, Any]) -> str:
    """What would clear a reason, in a few words ('' for a reason stored as text only)."""
    render = _REMEDIES.get(reason.get("code", ""))
    return render(reason.get("subject", ""), reason.get("figures", {})) if render else ""


def reason_view(stored: Mapping[str, Any]) -> dict[str, Any]:
    """A stored reason as pages, the API and reports show it: its structure, its sentence and
    its remedy. A reason stored before reasons were structured (family, text and score
    points only) keeps its words and has no severity, code or remedy."""
    if "text" in stored:
        return {
            "family": stored.get("component", ""),
            "severity": "",
            "code": "",
            "subject_id": None,
            "subject": "",
            "figures": {},
            "cost": stored.get("points", 0.0),
            "text": stored["text"],
            "remedy": "",
        }
    return {**stored, "text": reason_text(stored), "remedy": reason_remedy(stored)}


# --- The rules: each family's signals ----------------------------------------------------

# A signal's cost: its severity's base and a share of how bad it is, so reasons of one family
# and severity rank by how much they cost and a severity never costs less than the one below.
_BASE = {Severity.WATCH: 5.0, Severity.YELLOW: 25.0, Severity.RED: 60.0}
_CAP = {Severity.WATCH: 15.0, Severity.YELLOW: 50.0, Severity.RED: 100.0}


def _reason(
    family: Family,
    severity: Severity,
    code: str,
    extra: float,
    subject_id: int | None = None,
    subject: str = "",
    **figures: Any,
) -> Reason:
    cost = min(_CAP[severity], _BASE[severity] + max(0.0, extra))
    return Reason(family.value, severity.value, code, subject_id, subject, figures, cost)


def schedule_signals(
    program: ProgramInput,
    today: datetime.date,
    policy: Policy,
    *,
    forecast: Forecast | None,
) -> list[Reason]:
    """Overdue milestones, critical ones not started, pushes, the total slip, no plan, and the
    forecast of the next critical milestone (``compute`` passes the one it worked out)."""
    found: list[Reason] = []
    overdue_count = 0
    total_slip = program.unlisted_slip_days
    start_window = today + datetime.timedelta(days=policy.critical_start_window_days)
    for m in program.milestones:  # one pass: a full recompute scores ten thousand programs
        if m.state == "cancelled":  # never overdue, no slip, its pushes no longer matter
            continue
        total_slip += slip_days(m)
        if not m.is_open:  # done: only its share of the slip counts (a recovery is green)
            continue
        if m.target_date < today:
            overdue = (today - m.target_date).days
            overdue_count += 1
            if m.critical:
                severity = (
                    Severity.RED if overdue > policy.critical_overdue_red_days else Severity.YELLOW
                )
                found.append(
                    _reason(Family.SCHEDULE, severity, "critical_overdue", overdue, m.id, m.name,
                            days=overdue)
                )  # fmt: skip
            else:
                severity = (
                    Severity.YELLOW if overdue > policy.overdue_yellow_days else Severity.WATCH
                )
                found.append(
                    _reason(Family.SCHEDULE, severity, "milestone_overdue", overdue / 2, m.id,
                            m.name, days=overdue)
                )  # fmt: skip
        elif m.critical and m.state == "planned" and m.target_date <= start_window:
            days_left = (m.target_date - today).days
            found.append(
                _reason(Family.SCHEDULE, Severity.YELLOW, "critical_not_started",
                        policy.critical_start_window_days - days_left, m.id, m.name,
                        days=days_left)
            )  # fmt: skip
        if m.times_moved >= policy.pushes_watch:
            severity = Severity.YELLOW if m.times_moved >= policy.pushes_yellow else Severity.WATCH
            found.append(
                _reason(Family.SCHEDULE, severity, "pushed", m.times_moved, m.id, m.name,
                        times=m.times_moved)
            )  # fmt: skip
    if overdue_count >= policy.overdue_count_yellow:
        found.append(
            _reason(Family.SCHEDULE, Severity.YELLOW, "many_overdue", overdue_count,
                    count=overdue_count)
        )  # fmt: skip
    # Slips summed (never averaged: a milestone on time does not hide another's slip), against
    # the program's length.
    if total_slip:
        length = max(1, (program.target_date - program.start_date).days)
        percent = 100 * total_slip / length
        slip_severity: Severity | None
        if percent > policy.slip_red_percent:
            slip_severity = Severity.RED
        elif percent > policy.slip_yellow_percent:
            slip_severity = Severity.YELLOW
        else:
            slip_severity = None
        if slip_severity:
            found.append(
                _reason(Family.SCHEDULE, slip_severity, "total_slip", percent / 4, days=total_slip,
                        percent=round(percent))
            )  # fmt: skip
    if program.phase in ("executing", "launching") and program.open_milestones == 0:
        found.append(_reason(Family.SCHEDULE, Severity.YELLOW, "no_plan", 0, phase=program.phase))
    # The forecast speaks of milestones still ahead: an overdue one is judged by how overdue it is.
    if (
        forecast
        and forecast.target_date >= today
        and forecast.days_late > policy.forecast_yellow_days
    ):
        found.append(
            _reason(Family.SCHEDULE, Severity.YELLOW, "forecast_late", forecast.days_late / 4,
                    forecast.milestone_id, forecast.milestone_name, days=forecast.days_late,
                    forecast=forecast.forecast_date.isoformat())
        )  # fmt: skip
    return found


def freshness_signals(program: ProgramInput, today: datetime.date, policy: Policy) -> list[Reason]:
    """Silence grows from watch (one cadence missed) to yellow (two) to red (four)."""
    cadence = max(1, program.update_cadence_days)
    if program.last_update_on is None:
        waited = (today - program.created_on).days
        if waited <= policy.stale_yellow_cadences * cadence:
            return []
        return [
            _reason(Family.FRESHNESS, Severity.YELLOW, "never_updated", waited / cadence,
                    days=waited)
        ]  # fmt: skip
    age = (today - program.last_update_on).days
    if age > policy.stale_red_cadences * cadence:
        severity = Severity.RED
    elif age > policy.stale_yellow_cadences * cadence:
        severity = Severity.YELLOW
    elif age > policy.stale_watch_cadences * cadence:
        severity = Severity.WATCH
    else:
        return []
    return [
        _reason(Family.FRESHNESS, severity, "update_stale", age / cadence, days=age,
                cadence=cadence)
    ]  # fmt: skip


def is_stale(program: ProgramInput, today: datetime.date, policy: Policy) -> bool:
    """Whether the program has no *current* update: its last one is older than the freshness
    window (two cadences by default), or it never had one and is older than that."""
    window = policy.stale_yellow_cadences * max(1, program.update_cadence_days)
    since = program.last_update_on or program.created_on
    return (today - since).days > window


def risk_signals(program: ProgramInput, today: datetime.date, policy: Policy) -> list[Reason]:
    """High risks with no mitigation under way or past due: one yellow, several red."""
    high, lesser = [], []
    for risk in program.risks:
        if risk.state not in ("open", "mitigating"):  # accepted and closed: nothing
            continue
        exposure = risk.exposure
        late = (today - risk.due_date).days if risk.due_date and risk.due_date < today else 0
        if exposure >= policy.high_risk_exposure and (risk.state == "open" or late):
            high.append((risk, exposure, late))
        elif late:
            lesser.append(
                _reason(Family.RISK, Severity.WATCH, "mitigation_overdue", exposure / 5, risk.id,
                        risk.title, late=late, exposure=exposure)
            )  # fmt: skip
    found = []
    if len(high) >= policy.high_risks_for_red:
        high.sort(key=lambda item: (-item[1], item[0].id))
        found.append(
            _reason(Family.RISK, Severity.RED, "high_risks", 5 * len(high),
                    count=len(high), names=[risk.title for risk, _, _ in high])
        )  # fmt: skip
    else:
        for risk, exposure, late in high:
            found.append(
                _reason(Family.RISK, Severity.YELLOW, "high_risk", exposure, risk.id, risk.title,
                        likelihood=risk.likelihood, impact=risk.impact, exposure=exposure,
                        late=late)
            )  # fmt: skip
    return found + lesser


def launch_signals(program: ProgramInput, today: datetime.date, policy: Policy) -> list[Reason]:
    """Launches coming up (or whose date has passed) without approval."""
    found = []
    for launch in program.launches:
        days_left = (launch.launch_date - today).days
        if launch.approved or days_left > policy.launch_yellow_days:
            continue
        urgency = policy.launch_yellow_days - days_left  # grows as the date nears, and after
        if days_left <= policy.launch_red_days and launch.open_required_items:
            found.append(
                _reason(Family.LAUNCH, Severity.RED, "launch_unready", urgency, launch.id,
                        launch.name, days=days_left, open=launch.open_required_items)
            )  # fmt: skip
        else:
            found.append(
                _reason(Family.LAUNCH, Severity.YELLOW, "launch_not_approved", urgency, launch.id,
                        launch.name, days=days_left)
            )  # fmt: skip
    return found


def expected_on_path(metric: MetricInput, on: datetime.date) -> float:
    """The value the straight path from baseline to target expects on a day."""
    span = (metric.target_date - metric.baseline_date).days
    if span <= 0:
        return metric.target_value
    progress = min(1.0, max(0.0, (on - metric.baseline_date).days / span))
    return metric.baseline_value + (metric.target_value - metric.baseline_value) * progress


def outcome_signals(program: ProgramInput, today: datetime.date, policy: Policy) -> list[Reason]:
    """Metrics behind their straight path (yellow at most: a lagging signal), or unread."""
    found = []
    for metric in program.metrics:
        interval = max(1, metric.reading_interval_days)
        if metric.latest_value is None or metric.latest_at is None:
            if (today - metric.baseline_date).days > interval:
                found.append(
                    _reason(Family.OUTCOMES, Severity.WATCH, "metric_no_reading", 0, metric.id,
                            metric.name, days=None, interval=interval)
                )  # fmt: skip
            continue
        silent = (today - metric.latest_at).days
        if silent > interval:
            found.append(
                _reason(Family.OUTCOMES, Severity.WATCH, "metric_no_reading", silent / interval,
                        metric.id, metric.name, days=silent, interval=interval)
            )  # fmt: skip
        distance = metric.target_value - metric.baseline_value
        if distance == 0:
            continue
        expected = expected_on_path(metric, metric.latest_at)
        behind = (expected - metric.latest_value) / distance  # > 0: behind the path
        if behind * 100 > policy.metric_behind_yellow_percent:
            found.append(
                _reason(Family.OUTCOMES, Severity.YELLOW, "metric_behind", behind * 20, metric.id,
                        metric.name, value=metric.latest_value, target=metric.target_value,
                        expected=round(expected, 2), unit=metric.unit,
                        percent=round(behind * 100))
            )  # fmt: skip
    return found


def upstream_is_trouble(m: MilestoneInput, up: UpstreamInput, today: datetime.date) -> bool:
    """Whether an upstream milestone holds up its dependant: it is open and overdue, or due
    after the dependant."""
    return up.is_open and (up.target_date < today or up.target_date > m.target_date)


def dependency_signals(program: ProgramInput, today: datetime.date, policy: Policy) -> list[Reason]:
    """Open milestones waiting on upstream milestones that are overdue or due after them."""
    found = []
    for m in program.milestones:
        if not m.is_open:
            continue
        for up in m.upstream:
            if not up.is_open:
                continue
            where = {"upstream": up.name, "upstream_program": up.program_name, "upstream_id": up.id}
            if up.target_date < today:
                late = (today - up.target_date).days
                red = m.critical and up.critical and late > policy.upstream_red_days
                found.append(
                    _reason(Family.DEPENDENCIES, Severity.RED if red else Severity.YELLOW,
                            "upstream_overdue", late / 2, m.id, m.name, days=late,
                            critical=m.critical, **where)
                )  # fmt: skip
            elif up.target_date > m.target_date:
                gap = (up.target_date - m.target_date).days
                found.append(
                    _reason(Family.DEPENDENCIES, Severity.YELLOW, "upstream_after", gap / 4,
                            m.id, m.name, days=gap, **where)
                )  # fmt: skip
    return found + plan_signals(program, today, policy)


def plan_signals(program: ProgramInput, today: datetime.date, policy: Policy) -> list[Reason]:
    """The teams have not all agreed to the plan: its latest version (or a material change)
    has waited longer than the policy allows for someone's acknowledgement. A watch: the
    program is not worse for it, but the TPM should chase the alignment."""
    if program.plan_awaiting_since is None or program.plan_awaiting <= 0:
        return []
    waited = (today - program.plan_awaiting_since).days
    if waited <= policy.plan_ack_watch_days:
        return []
    return [
        _reason(Family.DEPENDENCIES, Severity.WATCH, "plan_unacknowledged", waited / 7,
                days=waited, parties=program.plan_awaiting)
    ]  # fmt: skip


def _has_schedule(program: ProgramInput) -> bool:
    return program.milestone_count > 0


def _has_launches(program: ProgramInput) -> bool:
    return bool(program.launches)


def _has_dependencies(program: ProgramInput) -> bool:
    return program.has_dependencies


def _has_risks(program: ProgramInput) -> bool:
    return any(r.state in ("open", "mitigating") for r in program.risks)


def _has_metrics(program: ProgramInput) -> bool:
    return bool(program.metrics)


def _always(program: ProgramInput) -> bool:
    return True  # freshness: a program always has an age and an update record


# Each family (by name, in review order), its rule, and whether the program gives it anything
# to judge: a family without data is left out of the score, not counted as perfect (missing
# data is not good data). Plain strings, not the enum: compute walks this for every program.
FAMILY_RULES: tuple[tuple[str, Any, Any], ...] = (
    (Family.SCHEDULE.value, schedule_signals, _has_schedule),
    (Family.LAUNCH.value, launch_signals, _has_launches),
    (Family.DEPENDENCIES.value, dependency_signals, _has_dependencies),
    (Family.RISK.value, risk_signals, _has_risks),
    (Family.FRESHNESS.value, freshness_signals, _always),
    (Family.OUTCOMES.value, outcome_signals, _has_metrics),
)


def grade_of(reasons: tuple[Reason, ...] | list[Reason], policy: Policy) -> Grade:
    """The rubric's grade: red on any red signal or on yellow signals in enough families;
    yellow on any yellow; green otherwise."""
    yellow_families = set()
    for reason in reasons:
        if reason.severity == Severity.RED:
            return Grade.RED
        if reason.severity == Severity.YELLOW:
            yellow_families.add(reason.family)
    if len(yellow_families) >= policy.yellow_families_for_red:
        return Grade.RED
    return Grade.YELLOW if yellow_families else Grade.GREEN


def band(grade: Grade, policy: Policy) -> tuple[int, int]:
    """The lowest and highest score of a grade."""
    if grade == Grade.GREEN:
        return policy.green_at, 100
    if grade == Grade.YELLOW:
        return policy.yellow_at, policy.green_at - 1
    return 0, max(0, policy.yellow_at - 1)


def rank_key(reason: Reason) -> tuple[int, int, float, str, str, int]:
    """Severity first, then the family in review order, then the costliest, then by name."""
    return (  # StrEnum members hash as their values: plain strings look them up
        -SEVERITY_RANK[reason.severity],
        FAMILY_RANK[reason.family],
        -reason.cost,
        reason.code,
        reason.subject,
        reason.subject_id or 0,
    )


def is_watermelon(reported_health: str | None, grade: Grade | None, *, stale: bool) -> bool:
    """A *current* update says on track while the computed grade is yellow or red. A stale
    update is no claim about today (the program is flagged stale instead); an 'at risk' or
    'off track' report is candour, never a watermelon."""
    return reported_health == "on_track" and not stale and grade in (Grade.YELLOW, Grade.RED)


def compute(
    program: ProgramInput, *, today: datetime.date, policy: Policy | None = None
) -> HealthResult:
    """Grade one program. Done and cancelled programs are not graded (no score, no reasons)."""
    policy = policy or Policy()
    if program.phase in ("done", "cancelled"):
        return HealthResult(program.id, False, None, None, {}, (), False, None)

    weights = policy.component_weights
    forecast = forecast_next_critical(program, today, slip_factor=policy.forecast_slip_factor)
    reasons: list[Reason] = []
    components: dict[str, int] = {}
    weighted = total_weight = 0.0
    for family, rule, has_data in FAMILY_RULES:
        if rule is schedule_signals:  # the forecast is worked out once, here
            found = schedule_signals(program, today, policy, forecast=forecast)
        else:
            found = rule(program, today, policy)
        if found:
            reasons.extend(found)
            points = max(0.0, 100.0 - sum(r.cost for r in found))
        elif has_data(program):
            points = 100.0
        else:
            continue
        components[family] = round(points)
        weight = weights[family]
        weighted += points * weight
        total_weight += weight
    quality = weighted / total_weight if total_weight else 100.0
    if len(reasons) > 1:
        reasons.sort(key=rank_key)
    grade = grade_of(reasons, policy)
    low, high = band(grade, policy)
    score = low + round((high - low) * quality / 100)
    stale = is_stale(program, today, policy)
    return HealthResult(
        program_id=program.id,
        scored=True,
        score=score,
        grade=grade,
        components=components,  # in review order, as FAMILY_RULES walks them
        reasons=tuple(reasons),
        watermelon=is_watermelon(program.reported_health, grade, stale=stale),
        forecast=forecast,
        stale=stale,
    )


# --- Forecast, and the summarised form a full recompute loads ----------------------------


def forecast_next_critical(
    program: ProgramInput, today: datetime.date, *, slip_factor: float = 1.0
) -> Forecast | None:
    """Forecast the next open critical milestone from its own slip history.

    Its slip rate (days slipped per day elapsed since the plan was agreed) is assumed to go on
    until the target date: a milestone that slipped 20 days over the last 100 days, with 50
    days to go, is forecast 10 days late. An overdue one is forecast no earlier than today.
    ``slip_factor`` scales the rate: ``tune_slip_factor`` sets it from how past forecasts did.
    """
    m = next_critical(program.milestones)
    if m is None:
        return None
    return forecast_of(
        m, today, planned_on=m.planned_on or program.created_on, slip_factor=slip_factor
    )


def forecast_of(
    m: MilestoneInput, today: datetime.date, *, planned_on: datetime.date, slip_factor: float = 1.0
) -> Forecast:
    """One milestone's forecast (see ``forecast_next_critical``), its plan agreed on
    ``planned_on``."""
    slipped = (m.target_date - m.baseline_date).days
    elapsed = max(1, (today - planned_on).days)
    rate = max(0.0, slipped / elapsed)
    forecast = extrapolate(m.target_date, today, rate * slip_factor)
    return Forecast(m.id, m.name, m.target_date, forecast, rate)


def extrapolate(target_date: datetime.date, today: datetime.date, rate: float) -> datetime.date:
    """Where a milestone due on ``target_date`` lands if it goes on slipping ``rate`` days a
    day: by the days left times the rate; overdue, no earlier than today, and a slipping one
    later by its days overdue times the rate."""
    remaining = max(0, (target_date - today).days)
    forecast = target_date + datetime.timedelta(days=math.ceil(rate * remaining))
    if forecast < today:
        forecast = today + datetime.timedelta(days=math.ceil(rate * (today - target_date).days))
    return forecast


def slip_days(m: MilestoneInput) -> int:
    """How many days later than its baseline a milestone is due (pulled in or cancelled: 0)."""
    return 0 if m.state == "cancelled" else max(0, (m.target_date - m.baseline_date).days)


def next_critical(milestones: Iterable[MilestoneInput]) -> MilestoneInput | None:
    """The open critical milestone due first (the forecast's subject)."""
    return min(
        (m for m in milestones if m.critical and m.is_open),
        key=lambda m: (m.target_date, m.id),
        default=None,
    )


def is_notable(m: MilestoneInput, today: datetime.date, policy: Policy | None = None) -> bool:
    """Whether a milestone can fire a signal of its own (beyond adding to the slip and to the
    count of open milestones): it is open and overdue, pushed more than once, a critical one
    due soon and not started, or waiting on a troubled upstream milestone."""
    if not m.is_open:
        return False
    policy = policy or Policy()
    return (
        m.target_date < today
        or m.times_moved >= policy.pushes_watch
        or (
            m.critical
            and m.state == "planned"
            and (m.target_date - today).days <= policy.critical_start_window_days
        )
        or any(upstream_is_trouble(m, up, today) for up in m.upstream)
    )


def summarise(
    program: ProgramInput, today: datetime.date, policy: Policy | None = None
) -> ProgramInput:
    """The same program with only its notable milestones (and the next critical one, for the
    forecast) listed; the others' slip, and whether they are open, move into counts.

    ``compute`` gives the same result for both forms (a property test holds it to that). The
    selector loads this form straight from SQL, so a full recompute reads and grades the few
    milestones that matter instead of every one.
    """
    first_critical = next_critical(program.milestones)
    listed = []
    slip, open_count, count = (
        program.unlisted_slip_days, program.unlisted_open, program.unlisted_count
    )  # fmt: skip
    for m in program.milestones:
        if m is first_critical or is_notable(m, today, policy):
            listed.append(m)
        else:
            slip += slip_days(m)
            open_count += m.is_open
            count += m.state != "cancelled"
    return replace(
        program,
        milestones=tuple(listed),
        unlisted_slip_days=slip,
        unlisted_open=open_count,
        unlisted_count=count,
    )


# --- Tuning the forecast from its history ---------------------------------------------------

# The slip factors tried, from 0 (the plan itself: no slip carried forward) to 3 times the rate.
SLIP_FACTORS = tuple(tenths / 10 for tenths in range(31))
TUNING_MIN_SAMPLES = 20  # fewer finished forecasts than this: too little to learn from
# A new factor must cut the error by this share at least: a smaller gain is noise, and the
# factor would wander from week to week.
TUNING_MIN_GAIN = 0.1


class ForecastSample(NamedTuple):
    """A forecast made ``horizon_days`` before its milestone finished, and how it ended."""

    horizon_days: int
    day: datetime.date  # when it was made
    target_date: datetime.date  # the plan that day
    slip_rate: float  # the milestone's slip rate that day (``Forecast.slip_rate``)
    finished_on: datetime.date


@dataclass(frozen=True)
class Tuning:
    """What ``tune_slip_factor`` found: the factor to use, and each factor's mean absolute
    error in days over the samples (the plan's for comparison)."""

    slip_factor: float
    previous_factor: float
    samples: int
    error_before: float | None  # with the previous factor
    error_after: float | None  # with the chosen one
    plan_error: float | None  # of the TPM's target dates
    beat_plan: bool | None  # whether the previous factor beat the plan at every horizon

    @property
    def changed(self) -> bool:
        return self.slip_factor != self.previous_factor


def _mean_error(samples: Sequence[ForecastSample], factor: float | None) -> float:
    """Mean absolute error in days of the forecasts under ``factor`` (None: of the plan)."""
    total = 0
    for s in samples:
        said = (
            s.target_date
            if factor is None
            else extrapolate(s.target_date, s.day, s.slip_rate * factor)
        )
        total += abs((said - s.finished_on).days)
    return round(total / len(samples), 2)


def tune_slip_factor(samples: Sequence[ForecastSample], current: float) -> Tuning:
    """Choose the slip factor from finished milestones' forecasts.

    Each factor in ``SLIP_FACTORS`` replays every sample; the one with the lowest mean
    absolute error (ties: the one nearest the current factor) is chosen if it errs
    ``TUNING_MIN_GAIN`` less than the current one, else the current one is kept. That tunes
    a forecast that did not beat the plan (the TPMs' target dates) and one that beat it but
    could do better. A factor of 0 forecasts the target date itself when it is still ahead
    (today when it is overdue), so a chosen factor never does worse than the plan on the
    history it was chosen from. Too few samples: kept, nothing measured.
    """
    if len(samples) < TUNING_MIN_SAMPLES:
        return Tuning(current, current, len(samples), None, None, None, None)
    horizons = sorted({s.horizon_days for s in samples})
    by_horizon = [[s for s in samples if s.horizon_days == h] for h in horizons]
    beat_plan = all(_mean_error(group, current) < _mean_error(group, None) for group in by_horizon)
    before, plan = _mean_error(samples, current), _mean_error(samples, None)
    best = min(SLIP_FACTORS, key=lambda k: (_mean_error(samples, k), abs(k - current)))
    chosen = best if _mean_error(samples, best) <= before * (1 - TUNING_MIN_GAIN) else current
    return Tuning(
        slip_factor=chosen,
        previous_factor=current,
        samples=len(samples),
        error_before=before,
        error_after=_mean_error(samples, chosen),
        plan_error=plan,
        beat_plan=beat_plan,
    )
