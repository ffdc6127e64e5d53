"""Programs described as data and built through the real services, for the calibration suite
(``test_rubric_calibration.py``): a case says *what* a program looks like, this module makes it.

Days are counted from ``today``: negative is in the past, ``due=-15`` is 15 days overdue.

Every case starts from the same healthy program, so that what a case adds is the only thing
that can fire:

- executing, created today, running from 100 days ago to 100 days ahead: **200 days long**,
  so 1% of its length is 2 days (15% is 30 days, 40% is 80 days);
- one open, non-critical milestone on its baseline 60 days out (``ON_PLAN``; ``on_plan=False``
  leaves it out);
- a weekly update cadence and no status update yet: created today, it does not owe one.

A few facts cannot be written in the past through the services (a row's ``created_at`` is
set by the database on insert; ``status_update_post`` stamps the update with now). Those are
moved back afterwards with ``QuerySet.update``, each at the place it happens, with a comment.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from metrics import services as metric_services
from programs import services as program_services
from programs.models import Milestone, Portfolio, Program, StatusUpdate
from programs.plans import services as plan_services
from programs.plans.models import PlanTemplate
from reviews.launch import services as review_services
from reviews.models import ChecklistTemplate
from tests.factories import (
    ChecklistItemFactory,
    ChecklistTemplateFactory,
    ReviewerFactory,
    UserFactory,
)

PROGRAM_START = -100
PROGRAM_END = 100  # 200 days long
# The metrics' straight path: 0 on day -50 to 100 on day +50, so the path expects 50 today
# (lower-is-better metrics run from 100 down to 0: 50 expected today as well).
METRIC_BASELINE_DAY = -50
METRIC_TARGET_DAY = 50


# --- What a case says ---------------------------------------------------------------------


@dataclass(frozen=True)
class Upstream:
    """A milestone of another program (the supplier's) that a case's milestone waits on."""

    due: int
    critical: bool = False
    done: bool = False  # completed today (late, when ``due`` is past)


@dataclass(frozen=True)
class Ms:
    """A milestone. Created ``sum(moves)`` days before ``due`` (that day is its baseline), then
    pushed by each of ``moves`` through ``milestone_move``, so it ends due on ``due``."""

    due: int
    critical: bool = False
    state: str = "in_progress"  # planned, in_progress, blocked (open states)
    moves: tuple[int, ...] = ()
    done_on: int | None = None  # completed on that day, after its moves
    planned_days_ago: int = 0  # when its baseline was agreed (its creation day)
    waits_on: Upstream | None = None


ON_PLAN = Ms(due=60)


@dataclass(frozen=True)
class RiskSpec:
    likelihood: int
    impact: int
    state: str = "open"  # open, mitigating, accepted, closed
    mitigation_due: int | None = None


@dataclass(frozen=True)
class Launch:
    """A launch review ``days`` from today, brought to ``stage``:

    - ``draft``: just created, its required checklist items open;
    - ``answered``: every required item done, still a draft (not approved);
    - ``submitted``: answered and submitted, waiting for the reviewers (not approved);
    - ``approved``: signed off in every area with required items.
    """

    days: int
    stage: str = "draft"


@dataclass(frozen=True)
class Metric:
    """A success metric on the standard path (see ``METRIC_BASELINE_DAY``), with its latest
    reading ``reading`` taken ``read_days_ago`` (None: never read)."""

    reading: float | None
    read_days_ago: int = 0
    interval: int = 30
    lower_is_better: bool = False


@dataclass(frozen=True)
class Update:
    health: str  # on_track, at_risk, off_track
    days_ago: int = 0


@dataclass(frozen=True)
class Plan:
    """A program: the healthy start above, plus what the case adds."""

    phase: str = "executing"
    milestones: tuple[Ms, ...] = ()
    on_plan: bool = True
    risks: tuple[RiskSpec, ...] = ()
    launches: tuple[Launch, ...] = ()
    metrics: tuple[Metric, ...] = ()
    updates: tuple[Update, ...] = ()
    created_days_ago: int = 0
    cadence: int = 7
    # Its plan, published this many days ago and not acknowledged by the sponsor (issue 16).
    plan_waiting_days: int | None = None


# --- Building -----------------------------------------------------------------------------


@dataclass
class World:
    """What every case's program shares: the day, the people, a portfolio, a supplier program
    for upstream milestones (not graded here) and a small launch checklist."""

    today: datetime.date
    now: datetime.datetime
    tpm: AbstractBaseUser
    author: AbstractBaseUser
    reviewers: dict[str, AbstractBaseUser]  # area -> a reviewer of it
    portfolio: Portfolio
    supplier: Program

    def day(self, offset: int) -> datetime.date:
        return self.today + datetime.timedelta(days=offset)

    def ago(self, days: int) -> datetime.datetime:
        return self.now - datetime.timedelta(days=days)


def world_create() -> World:
    """People, a portfolio, the supplier program and a tier-3 checklist with required items in
    reliability and security (the areas that must sign off) and an optional one."""
    now = timezone.now()
    today = timezone.localdate(now)
    tpm = UserFactory(username="cal.tpm", roles=["TPM"])
    reviewers = {
        area: ReviewerFactory(
            user=UserFactory(username=f"cal.{area}", roles=["Reviewer"]), areas=[area]
        ).user
        for area in ("reliability", "security")
    }
    ChecklistTemplate.objects.filter(tier=3, active=True).update(active=False)
    template = ChecklistTemplateFactory(name="Calibration checklist", tier=3, active=True)
    ChecklistItemFactory(template=template, area="reliability", question="SLOs defined?")
    ChecklistItemFactory(template=template, area="security", question="Threat model?")
    ChecklistItemFactory(
        template=template, area="documentation", question="Runbook?", required=False
    )
    portfolio = program_services.portfolio_create(user=tpm, name="Calibration")
    supplier = program_services.program_create(
        user=tpm, name="Supplier: network fabric", portfolio=portfolio, tpm=tpm,
        phase="executing", start_date=today + datetime.timedelta(days=PROGRAM_START),
        target_date=today + datetime.timedelta(days=PROGRAM_END),
    )  # fmt: skip
    return World(
        today=today,
        now=now,
        tpm=tpm,
        author=UserFactory(username="cal.author", roles=["Engineer"]),
        reviewers=reviewers,
        portfolio=portfolio,
        supplier=supplier,
    )


def program_build(plan: Plan, *, name: str, world: World) -> Program:
    """Create the program a plan describes, through the services."""
    user = world.tpm
    program = program_services.program_create(
        user=user, name=name, portfolio=world.portfolio, tpm=user, phase=plan.phase,
        start_date=world.day(PROGRAM_START), target_date=world.day(PROGRAM_END),
        update_cadence_days=plan.cadence,
    )  # fmt: skip
    milestones = ((ON_PLAN,) if plan.on_plan else ()) + plan.milestones
    for number, spec in enumerate(milestones, start=1):
        _milestone_build(program, spec, name=f"Milestone {number}", world=world)
    for number, spec in enumerate(plan.risks, start=1):
        program_services.risk_create(
            program=program, user=user, title=f"Risk {number}", likelihood=spec.likelihood,
            impact=spec.impact, state=spec.state,
            mitigation="Mitigation plan." if spec.mitigation_due is not None else "",
            due_date=None if spec.mitigation_due is None else world.day(spec.mitigation_due),
        )  # fmt: skip
    for number, spec in enumerate(plan.launches, start=1):
        _launch_build(program, spec, title=f"Launch {number}", world=world)
    for number, spec in enumerate(plan.metrics, start=1):
        _metric_build(program, spec, name=f"Metric {number}", world=world)
    for spec in sorted(plan.updates, key=lambda u: -u.days_ago):  # oldest first
        update = program_services.status_update_post(
            program=program, user=user, reported_health=spec.health, summary="Weekly update."
        )
        # status_update_post stamps the update now: move it back to the day it was posted.
        StatusUpdate.objects.filter(pk=update.pk).update(created_at=world.ago(spec.days_ago))
    if plan.updates:
        # ... and the program's freshness clock with it (the service set it to now).
        latest = min(u.days_ago for u in plan.updates)
        Program.objects.filter(pk=program.pk).update(last_update_at=world.ago(latest))
    if plan.plan_waiting_days is not None:
        Program.objects.filter(pk=program.pk).update(sponsor=world.author)
        program.refresh_from_db()
        started = plan_services.plan_start(
            program=program, template=PlanTemplate.objects.filter(active=True).first(), user=user
        )
        plan_services.plan_publish(
            plan=started, user=user, based_on=0, sections={"problem": "Too slow."},
            now=world.ago(plan.plan_waiting_days),
        )  # fmt: skip
    age = max([plan.created_days_ago, *(u.days_ago for u in plan.updates)])
    if age:
        # created_at is set on insert: age the program (never younger than its updates).
        Program.objects.filter(pk=program.pk).update(created_at=world.ago(age))
    return program


def _milestone_build(program: Program, spec: Ms, *, name: str, world: World) -> Milestone:
    depends_on = [_upstream_build(spec.waits_on, world)] if spec.waits_on else []
    milestone = program_services.milestone_create(
        program=program, user=world.tpm, name=name,
        target_date=world.day(spec.due - sum(spec.moves)), critical=spec.critical,
        state=spec.state, depends_on=depends_on,
    )  # fmt: skip
    for shift in spec.moves:
        milestone = program_services.milestone_move(
            milestone=milestone, user=world.tpm, version=milestone.version,
            target_date=milestone.target_date + datetime.timedelta(days=shift),
            category="vendor", reason="Vendor hardware arrived late.",
        )  # fmt: skip
    if spec.done_on is not None:
        milestone = program_services.milestone_complete(
            milestone=milestone, user=world.tpm, version=milestone.version,
            completed_date=world.day(spec.done_on),
        )  # fmt: skip
    if spec.planned_days_ago:
        # created_at (the day the baseline was agreed, which the forecast reads) is set on
        # insert: move it back.
        Milestone.objects.filter(pk=milestone.pk).update(
            created_at=world.ago(spec.planned_days_ago)
        )
    return milestone


def _upstream_build(spec: Upstream, world: World) -> Milestone:
    upstream = program_services.milestone_create(
        program=world.supplier, user=world.tpm, name=f"Fabric {spec.due:+d}",
        target_date=world.day(spec.due), critical=spec.critical, state="in_progress",
    )  # fmt: skip
    if spec.done:
        upstream = program_services.milestone_complete(
            milestone=upstream, user=world.tpm, version=upstream.version
        )
    return upstream


def _launch_build(program: Program, spec: Launch, *, title: str, world: World) -> None:
    author = world.author
    review = review_services.launch_review_create(
        program=program, user=author, title=title, launch_date=world.day(spec.days), tier=3
    )
    if spec.stage == "draft":
        return
    for item in review.items.filter(required=True):
        review_services.launch_review_item_answer(
            item=item, user=author, version=item.version, status="done",
            evidence=["https://wiki.example.com/evidence"],
        )  # fmt: skip
    if spec.stage == "answered":
        return
    review.refresh_from_db()
    review = review_services.launch_review_transition(
        review=review, user=author, action="submit", version=review.version
    )
    if spec.stage == "submitted":
        return
    for area, reviewer in world.reviewers.items():
        review_services.launch_review_sign_off(
            review=review, user=reviewer, area=area, decision="approved"
        )
    review.refresh_from_db()
    assert review.state == "approved", review.state


def _metric_build(program: Program, spec: Metric, *, name: str, world: World) -> None:
    start, goal = (100.0, 0.0) if spec.lower_is_better else (0.0, 100.0)
    metric = metric_services.success_metric_create(
        program=program, user=world.tpm, name=name, unit="%", baseline_value=start,
        target_value=goal, direction="decrease" if spec.lower_is_better else "increase",
        baseline_date=world.day(METRIC_BASELINE_DAY), target_date=world.day(METRIC_TARGET_DAY),
        reading_interval_days=spec.interval,
    )  # fmt: skip
    if spec.reading is not None:
        metric_services.metric_reading_record(
            metric=metric, user=world.tpm, value=spec.reading,
            measured_on=world.day(-spec.read_days_ago),
        )  # fmt: skip
