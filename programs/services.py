"""Every write to the programs domain. One transaction each, validated, history recorded.

Services take keyword-only, typed arguments: a create names every field it sets (optional ones
with the model's defaults), an update every field it may change, defaulting to ``UNSET`` so
that only what the caller gave is written (``core.services.given``). They raise
``core.errors.DomainError`` for a business rule and ``core.errors.StaleWriteError`` when the
caller edited an old version, and announce the change with
``programs.signals.notify_program_changed`` so health is recomputed.
"""

import datetime
from collections.abc import Iterable

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify

from core.errors import DomainError
from core.models import SHORT_TEXT
from core.services import UNSET, Maybe, apply_versioned_update, given
from core.types import User
from programs.models import (
    Decision,
    MembershipRole,
    Milestone,
    MilestoneDateChange,
    MilestoneState,
    MoveCategory,
    Phase,
    Portfolio,
    PriorityTier,
    Program,
    ProgramMembership,
    Risk,
    RiskState,
    StatusUpdate,
    Team,
)
from programs.plans.services import critical_milestone_moved
from programs.signals import notify_program_changed

# Slugs that are paths of their own under /programs/.
RESERVED_SLUGS = {"new", "create", "edit"}


def _unique_slug(name: str) -> str:
    base = slugify(name)[:180] or "program"
    slug, n = base, 2
    while slug in RESERVED_SLUGS or Program.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def _check_dependencies(milestone: Milestone, depends_on: Iterable[Milestone]) -> list[Milestone]:
    """A milestone cannot depend on itself, or on a milestone that (transitively) depends on it."""
    wanted = list(depends_on)
    if milestone.pk is None:
        return wanted
    if any(m.pk == milestone.pk for m in wanted):
        raise DomainError({"depends_on": "A milestone cannot depend on itself."})
    # Walk upstream from the wanted dependencies; finding this milestone would close a cycle.
    frontier = {m.pk for m in wanted}
    seen: set[int] = set()
    while frontier:
        if milestone.pk in frontier:
            raise DomainError({"depends_on": "That dependency would create a cycle."})
        seen |= frontier
        frontier = (
            set(
                Milestone.depends_on.through.objects.filter(
                    from_milestone_id__in=frontier
                ).values_list("to_milestone_id", flat=True)
            )
            - seen
        )
    return wanted


# --- Portfolios and teams (admins) ---------------------------------------------------------


@transaction.atomic
def portfolio_create(
    *,
    user: User,
    name: str,
    slug: str = "",
    description: str = "",
    leader: User | None = None,
) -> Portfolio:
    """Create a portfolio; its slug comes from the name unless given."""
    portfolio = Portfolio(
        name=name, slug=slug or slugify(name), description=description, leader=leader
    )
    portfolio.full_clean()
    portfolio.save()
    return portfolio


@transaction.atomic
def portfolio_update(
    *,
    portfolio: Portfolio,
    user: User,
    version: int | None,
    name: Maybe[str] = UNSET,
    slug: Maybe[str] = UNSET,
    description: Maybe[str] = UNSET,
    leader: Maybe[User | None] = UNSET,
) -> Portfolio:
    """Change a portfolio if ``version`` is still current."""
    return apply_versioned_update(
        instance=portfolio,
        expected_version=version,
        data=given(name=name, slug=slug, description=description, leader=leader),
    )


@transaction.atomic
def team_create(
    *,
    user: User,
    name: str,
    slug: str = "",
    members: Iterable[User] = (),
) -> Team:
    """Create a team with its members; its slug comes from the name unless given."""
    team = Team(name=name, slug=slug or slugify(name))
    team.full_clean()
    team.save()
    team.members.set(members)
    return team


@transaction.atomic
def team_update(
    *,
    team: Team,
    user: User,
    version: int | None,
    name: Maybe[str] = UNSET,
    slug: Maybe[str] = UNSET,
    members: Iterable[User] | None = None,
) -> Team:
    """Change a team (and its members, when given) if ``version`` is still current."""
    return apply_versioned_update(
        instance=team,
        expected_version=version,
        data=given(name=name, slug=slug),
        m2m={"members": members} if members is not None else None,
    )


# --- Programs ------------------------------------------------------------------------------


@transaction.atomic
def program_create(
    *,
    user: User,
    name: str,
    portfolio: Portfolio,
    tpm: User,
    start_date: datetime.date,
    target_date: datetime.date,
    sponsor: User | None = None,
    phase: str = Phase.PROPOSED,
    priority: int = PriorityTier.P2,
    problem_statement: str = "",
    success_criteria: str = "",
    confidential: bool = False,
    update_cadence_days: int = 7,
    teams: Iterable[Team] = (),
) -> Program:
    """Create a program; its TPM becomes a member with the TPM role."""
    program = Program(
        slug=_unique_slug(name),
        name=name,
        portfolio=portfolio,
        tpm=tpm,
        sponsor=sponsor,
        phase=phase,
        priority=priority,
        start_date=start_date,
        target_date=target_date,
        problem_statement=problem_statement,
        success_criteria=success_criteria,
        confidential=confidential,
        update_cadence_days=update_cadence_days,
    )
    program.full_clean()
    program._history_user = user
    program.save()
    program.teams.set(teams)
    ProgramMembership.objects.create(program=program, user=program.tpm, role=MembershipRole.TPM)
    notify_program_changed(program.pk)
    return program


@transaction.atomic
def program_update(
    *,
    program: Program,
    user: User,
    version: int | None,
    name: Maybe[str] = UNSET,
    portfolio: Maybe[Portfolio] = UNSET,
    tpm: Maybe[User] = UNSET,
    sponsor: Maybe[User | None] = UNSET,
    phase: Maybe[str] = UNSET,
    priority: Maybe[int] = UNSET,
    start_date: Maybe[datetime.date] = UNSET,
    target_date: Maybe[datetime.date] = UNSET,
    problem_statement: Maybe[str] = UNSET,
    success_criteria: Maybe[str] = UNSET,
    confidential: Maybe[bool] = UNSET,
    update_cadence_days: Maybe[int] = UNSET,
    teams: Iterable[Team] | None = None,
) -> Program:
    """Change a program's fields if ``version`` is still current; the TPM stays a member."""
    program = apply_versioned_update(
        instance=program,
        expected_version=version,
        data=given(
            name=name,
            portfolio=portfolio,
            tpm=tpm,
            sponsor=sponsor,
            phase=phase,
            priority=priority,
            start_date=start_date,
            target_date=target_date,
            problem_statement=problem_statement,
            success_criteria=success_criteria,
            confidential=confidential,
            update_cadence_days=update_cadence_days,
        ),
        user=user,
        m2m={"teams": teams} if teams is not None else None,
    )
    ProgramMembership.objects.get_or_create(
        program=program, user_id=program.tpm_id, defaults={"role": MembershipRole.TPM}
    )
    notify_program_changed(program.pk)
    return program


@transaction.atomic
def membership_set(*, program: Program, member: User, role: str, user: User) -> ProgramMembership:
    """Add a person to a program or change their role."""
    membership, _ = ProgramMembership.objects.get_or_create(program=program, user=member)
    membership.role = role
    membership.full_clean()
    membership._history_user = user
    membership.save()
    return membership


@transaction.atomic
def membership_remove(*, membership: ProgramMembership, user: User) -> None:
    """Remove a person from a program; never its TPM."""
    if membership.user_id == membership.program.tpm_id:
        raise DomainError("The program's TPM stays a member; assign another TPM first.")
    membership._history_user = user
    membership.delete()


# --- Milestones ----------------------------------------------------------------------------


@transaction.atomic
def milestone_create(
    *,
    program: Program,
    user: User,
    name: str,
    target_date: datetime.date,
    baseline_date: datetime.date | None = None,
    description: str = "",
    owner_team: Team | None = None,
    state: str = MilestoneState.PLANNED,
    critical: bool = False,
    completed_date: datetime.date | None = None,
    depends_on: Iterable[Milestone] = (),
) -> Milestone:
    """Add a milestone. Its baseline is the agreed date (the first target, unless given)."""
    milestone = Milestone(
        program=program,
        name=name,
        target_date=target_date,
        baseline_date=baseline_date or target_date,
        description=description,
        owner_team=owner_team,
        state=state,
        critical=critical,
        completed_date=completed_date,
    )
    if milestone.state == MilestoneState.DONE and not milestone.completed_date:
        milestone.completed_date = timezone.localdate()
    milestone.full_clean()
    milestone._history_user = user
    milestone.save()
    milestone.depends_on.set(_check_dependencies(milestone, depends_on))
    notify_program_changed(program.pk)
    return milestone


@transaction.atomic
def milestone_update(
    *,
    milestone: Milestone,
    user: User,
    version: int | None,
    name: Maybe[str] = UNSET,
    description: Maybe[str] = UNSET,
    owner_team: Maybe[Team | None] = UNSET,
    state: Maybe[str] = UNSET,
    critical: Maybe[bool] = UNSET,
    depends_on: Iterable[Milestone] | None = None,
) -> Milestone:
    """Edit a milestone's details.

    Its dates are not arguments: the target moves only through ``milestone_move`` (with a
    reason, kept in the ledger) and the baseline never moves.
    """
    fields = given(
        name=name, description=description, owner_team=owner_team, state=state, critical=critical
    )
    if state == MilestoneState.DONE and milestone.state != MilestoneState.DONE:
        fields["completed_date"] = timezone.localdate()
    elif state is not UNSET and state != MilestoneState.DONE:
        fields["completed_date"] = None
    m2m = None
    if depends_on is not None:
        m2m = {"depends_on": _check_dependencies(milestone, depends_on)}
    milestone = apply_versioned_update(
        instance=milestone, expected_version=version, data=fields, user=user, m2m=m2m
    )
    notify_program_changed(milestone.program_id)
    return milestone


@transaction.atomic
def milestone_complete(
    *,
    milestone: Milestone,
    user: User,
    version: int | None,
    completed_date: datetime.date | None = None,
) -> Milestone:
    """Mark a milestone done (today unless a date is given)."""
    if milestone.state == MilestoneState.CANCELLED:
        raise DomainError({"state": "A cancelled milestone cannot be completed."})
    completed = completed_date or timezone.localdate()
    if completed > timezone.localdate():
        raise DomainError({"completed_date": "The completion date cannot be in the future."})
    milestone = apply_versioned_update(
        instance=milestone,
        expected_version=version,
        data={"state": MilestoneState.DONE, "completed_date": completed},
        user=user,
        change_reason="Completed",
    )
    notify_program_changed(milestone.program_id)
    return milestone


@transaction.atomic
def milestone_move(
    *,
    milestone: Milestone,
    user: User,
    version: int | None,
    target_date: datetime.date,
    category: str,
    reason: str,
) -> Milestone:
    """Move a milestone's target date, recording who, when, from, to and why in the ledger.

    The baseline never moves: the slip is the distance between the two. ``category`` is one
    of ``MoveCategory`` (what the slips are grouped by); ``reason`` says the rest in words.
    """
    reason = (reason or "").strip()
    errors = {}
    if not category:
        errors["category"] = "Choose what kind of reason moves the date."
    elif category not in MoveCategory.values:
        errors["category"] = f"“{category}” is not a reason category."
    if not reason:
        errors["reason"] = "Say why the date moves: slips are reported with their reasons."
    elif len(reason) > SHORT_TEXT:
        errors["reason"] = (
            f"Ensure this value has at most {SHORT_TEXT:,} characters (it has {len(reason):,})."
        )
    if target_date == milestone.target_date:
        errors["target_date"] = "That is already the target date."
    if milestone.state in (MilestoneState.DONE, MilestoneState.CANCELLED):
        errors["target_date"] = (
            f"A {milestone.get_state_display().lower()} milestone does not move."
        )
    if errors:
        raise DomainError(errors)
    from_date = milestone.target_date
    milestone = apply_versioned_update(
        instance=milestone,
        expected_version=version,
        data={"target_date": target_date},
        user=user,
        change_reason=f"Moved {from_date} → {target_date}: {reason}"[:100],
    )
    MilestoneDateChange.objects.create(
        milestone=milestone,
        program_id=milestone.program_id,
        owner_team_id=milestone.owner_team_id,
        changed_by=user,
        from_date=from_date,
        to_date=target_date,
        category=category,
        reason=reason,
    )
    Milestone.objects.filter(pk=milestone.pk).update(times_moved=F("times_moved") + 1)
    milestone.refresh_from_db(fields=["times_moved"])
    # A critical date moving is a material change: the plan's parties are asked again.
    critical_milestone_moved(milestone=milestone, from_date=from_date, to_date=target_date)
    notify_program_changed(milestone.program_id)
    return milestone


# --- Status updates ------------------------------------------------------------------------


@transaction.atomic
def status_update_post(
    *,
    program: Program,
    user: User,
    reported_health: str,
    summary: str,
    highlights: str = "",
    risks_and_blockers: str = "",
    asks: str = "",
    next_steps: str = "",
) -> StatusUpdate:
    """Post the weekly status update; the program's freshness clock restarts."""
    update = StatusUpdate(
        program=program,
        author=user,
        reported_health=reported_health,
        summary=summary,
        highlights=highlights,
        risks_and_blockers=risks_and_blockers,
        asks=asks,
        next_steps=next_steps,
    )
    update.full_clean()
    update._history_user = user
    update.save()
    Program.objects.filter(pk=program.pk).update(last_update_at=update.created_at)
    notify_program_changed(program.pk)
    return update


@transaction.atomic
def status_update_edit(
    *,
    update: StatusUpdate,
    user: User,
    version: int | None,
    reported_health: Maybe[str] = UNSET,
    summary: Maybe[str] = UNSET,
    highlights: Maybe[str] = UNSET,
    risks_and_blockers: Maybe[str] = UNSET,
    asks: Maybe[str] = UNSET,
    next_steps: Maybe[str] = UNSET,
) -> StatusUpdate:
    """Correct a posted status update if ``version`` is still current."""
    update = apply_versioned_update(
        instance=update,
        expected_version=version,
        data=given(
            reported_health=reported_health,
            summary=summary,
            highlights=highlights,
            risks_and_blockers=risks_and_blockers,
            asks=asks,
            next_steps=next_steps,
        ),
        user=user,
    )
    notify_program_changed(update.program_id)
    return update


# --- Risks and decisions -------------------------------------------------------------------


@transaction.atomic
def risk_create(
    *,
    program: Program,
    user: User,
    title: str,
    likelihood: int,
    impact: int,
    description: str = "",
    owner: User | None = None,
    mitigation: str = "",
    due_date: datetime.date | None = None,
    state: str = RiskState.OPEN,
) -> Risk:
    """Add a risk to the program's RAID log (closed from the start if so stated)."""
    risk = Risk(
        program=program,
        title=title,
        likelihood=likelihood,
        impact=impact,
        description=description,
        owner=owner,
        mitigation=mitigation,
        due_date=due_date,
        state=state,
    )
    if risk.state == RiskState.CLOSED:
        risk.closed_at = timezone.now()
    risk.full_clean()
    risk._history_user = user
    risk.save()
    notify_program_changed(program.pk)
    return risk


@transaction.atomic
def risk_update(
    *,
    risk: Risk,
    user: User,
    version: int | None,
    title: Maybe[str] = UNSET,
    likelihood: Maybe[int] = UNSET,
    impact: Maybe[int] = UNSET,
    description: Maybe[str] = UNSET,
    owner: Maybe[User | None] = UNSET,
    mitigation: Maybe[str] = UNSET,
    due_date: Maybe[datetime.date | None] = UNSET,
    state: Maybe[str] = UNSET,
) -> Risk:
    """Change a risk if ``version`` is still current; closing it stamps when."""
    fields = given(
        title=title,
        likelihood=likelihood,
        impact=impact,
        description=description,
        owner=owner,
        mitigation=mitigation,
        due_date=due_date,
        state=state,
    )
    if state is not UNSET:
        closing = state == RiskState.CLOSED
        if closing and risk.state != RiskState.CLOSED:
            fields["closed_at"] = timezone.now()
        elif not closing:
            fields["closed_at"] = None
    risk = apply_versioned_update(instance=risk, expected_version=version, data=fields, user=user)
    notify_program_changed(risk.program_id)
    return risk


def risk_close(*, risk: Risk, user: User, version: int | None) -> Risk:
    """Close a risk: it leaves the open log and stops counting against health."""
    return risk_update(risk=risk, user=user, version=version, state=RiskState.CLOSED)


@transaction.atomic
def decision_record(
    *,
    program: Program,
    user: User,
    title: str,
    outcome: str,
    decided_on: datetime.date,
    context: str = "",
    decided_by: User | None = None,
) -> Decision:
    """Record a decision in the program's log; the user is who recorded it."""
    decision = Decision(
        program=program,
        recorded_by=user,
        title=title,
        outcome=outcome,
        decided_on=decided_on,
        context=context,
        decided_by=decided_by,
    )
    decision.full_clean()
    decision._history_user = user
    decision.save()
    return decision


@transaction.atomic
def decision_update(
    *,
    decision: Decision,
    user: User,
    version: int | None,
    title: Maybe[str] = UNSET,
    outcome: Maybe[str] = UNSET,
    decided_on: Maybe[datetime.date] = UNSET,
    context: Maybe[str] = UNSET,
    decided_by: Maybe[User | None] = UNSET,
) -> Decision:
    """Correct a recorded decision if ``version`` is still current."""
    return apply_versioned_update(
        instance=decision,
        expected_version=version,
        data=given(
            title=title,
            outcome=outcome,
            decided_on=decided_on,
            context=context,
            decided_by=decided_by,
        ),
        user=user,
    )
