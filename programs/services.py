"""Every write to the programs domain. One transaction each, validated, history recorded.

Services take keyword-only arguments, raise ``core.errors.DomainError`` for a business rule
and ``core.errors.StaleWriteError`` when the caller edited an old version, and announce the
change with ``programs.signals.notify_program_changed`` so health is recomputed.
"""

import datetime
from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify

from core.errors import DomainError
from core.models import SHORT_TEXT
from core.services import apply_versioned_update
from programs.models import (
    Decision,
    MembershipRole,
    Milestone,
    MilestoneDateChange,
    MilestoneState,
    Portfolio,
    Program,
    ProgramMembership,
    Risk,
    RiskState,
    StatusUpdate,
    Team,
)
from programs.signals import notify_program_changed

PROGRAM_FIELDS = (
    "name", "portfolio", "tpm", "sponsor", "phase", "priority", "start_date", "target_date",
    "problem_statement", "success_criteria", "confidential", "update_cadence_days",
)  # fmt: skip
MILESTONE_FIELDS = ("name", "description", "owner_team", "state", "critical")
RISK_FIELDS = (
    "title", "description", "likelihood", "impact", "owner", "mitigation", "due_date", "state",
)  # fmt: skip
UPDATE_FIELDS = (
    "reported_health", "summary", "highlights", "risks_and_blockers", "asks", "next_steps",
)  # fmt: skip
DECISION_FIELDS = ("title", "context", "outcome", "decided_on", "decided_by")
PORTFOLIO_FIELDS = ("name", "slug", "description", "leader")
TEAM_FIELDS = ("name", "slug")


# Slugs that are paths of their own under /programs/.
RESERVED_SLUGS = {"new", "create", "edit"}


def _unique_slug(name: str) -> str:
    base = slugify(name)[:180] or "program"
    slug, n = base, 2
    while slug in RESERVED_SLUGS or Program.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def _pick(data: dict[str, Any], allowed: Iterable[str]) -> dict[str, Any]:
    unknown = set(data) - set(allowed)
    if unknown:
        raise DomainError({name: "This field cannot be changed here." for name in sorted(unknown)})
    return data


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
def portfolio_create(*, user: AbstractBaseUser, **fields: Any) -> Portfolio:
    """Create a portfolio; its slug comes from the name unless given."""
    _pick(fields, PORTFOLIO_FIELDS)
    portfolio = Portfolio(**fields)
    portfolio.slug = portfolio.slug or slugify(portfolio.name)
    portfolio.full_clean()
    portfolio.save()
    return portfolio


@transaction.atomic
def portfolio_update(
    *, portfolio: Portfolio, user: AbstractBaseUser, version: int | None, **fields: Any
) -> Portfolio:
    """Change a portfolio if ``version`` is still current."""
    _pick(fields, PORTFOLIO_FIELDS)
    return apply_versioned_update(instance=portfolio, expected_version=version, data=fields)


@transaction.atomic
def team_create(
    *, user: AbstractBaseUser, members: Iterable[AbstractBaseUser] = (), **fields: Any
) -> Team:
    """Create a team with its members; its slug comes from the name unless given."""
    _pick(fields, TEAM_FIELDS)
    team = Team(**fields)
    team.slug = team.slug or slugify(team.name)
    team.full_clean()
    team.save()
    team.members.set(members)
    return team


@transaction.atomic
def team_update(
    *,
    team: Team,
    user: AbstractBaseUser,
    version: int | None,
    members: Iterable[AbstractBaseUser] | None = None,
    **fields: Any,
) -> Team:
    """Change a team (and its members, when given) if ``version`` is still current."""
    _pick(fields, TEAM_FIELDS)
    return apply_versioned_update(
        instance=team,
        expected_version=version,
        data=fields,
        m2m={"members": members} if members is not None else None,
    )


# --- Programs ------------------------------------------------------------------------------


@transaction.atomic
def program_create(
    *,
    user: AbstractBaseUser,
    teams: Iterable[Team] = (),
    **fields: Any,
) -> Program:
    """Create a program; its TPM becomes a member with the TPM role."""
    _pick(fields, PROGRAM_FIELDS)
    program = Program(slug=_unique_slug(fields.get("name", "")), **fields)
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
    user: AbstractBaseUser,
    version: int | None,
    teams: Iterable[Team] | None = None,
    **fields: Any,
) -> Program:
    """Change a program's fields if ``version`` is still current; the TPM stays a member."""
    _pick(fields, PROGRAM_FIELDS)
    program = apply_versioned_update(
        instance=program,
        expected_version=version,
        data=fields,
        user=user,
        m2m={"teams": teams} if teams is not None else None,
    )
    ProgramMembership.objects.get_or_create(
        program=program, user_id=program.tpm_id, defaults={"role": MembershipRole.TPM}
    )
    notify_program_changed(program.pk)
    return program


@transaction.atomic
def membership_set(
    *, program: Program, member: AbstractBaseUser, role: str, user: AbstractBaseUser
) -> ProgramMembership:
    """Add a person to a program or change their role."""
    membership, _ = ProgramMembership.objects.get_or_create(program=program, user=member)
    membership.role = role
    membership.full_clean()
    membership._history_user = user
    membership.save()
    return membership


@transaction.atomic
def membership_remove(*, membership: ProgramMembership, user: AbstractBaseUser) -> None:
    if membership.user_id == membership.program.tpm_id:
        raise DomainError("The program's TPM stays a member; assign another TPM first.")
    membership._history_user = user
    membership.delete()


# --- Milestones ----------------------------------------------------------------------------


@transaction.atomic
def milestone_create(
    *,
    program: Program,
    user: AbstractBaseUser,
    name: str,
    target_date: datetime.date,
    baseline_date: datetime.date | None = None,
    depends_on: Iterable[Milestone] = (),
    **fields: Any,
) -> Milestone:
    """Add a milestone. Its baseline is the agreed date (the first target, unless given)."""
    _pick(fields, MILESTONE_FIELDS + ("completed_date",))
    milestone = Milestone(
        program=program,
        name=name,
        target_date=target_date,
        baseline_date=baseline_date or target_date,
        **fields,
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
    user: AbstractBaseUser,
    version: int | None,
    depends_on: Iterable[Milestone] | None = None,
    **fields: Any,
) -> Milestone:
    """Edit a milestone's details. Its target date moves only through ``milestone_move``."""
    if "target_date" in fields or "baseline_date" in fields:
        raise DomainError(
            {"target_date": "Move the date with a reason (milestone move); the baseline is fixed."}
        )
    _pick(fields, MILESTONE_FIELDS)
    if fields.get("state") == MilestoneState.DONE and milestone.state != MilestoneState.DONE:
        fields["completed_date"] = timezone.localdate()
    elif "state" in fields and fields["state"] != MilestoneState.DONE:
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
    user: AbstractBaseUser,
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
    user: AbstractBaseUser,
    version: int | None,
    target_date: datetime.date,
    reason: str,
) -> Milestone:
    """Move a milestone's target date, recording who, when, from, to and why in the ledger.

    The baseline never moves: the slip is the distance between the two.
    """
    reason = (reason or "").strip()
    errors = {}
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
        changed_by=user,
        from_date=from_date,
        to_date=target_date,
        reason=reason,
    )
    Milestone.objects.filter(pk=milestone.pk).update(times_moved=F("times_moved") + 1)
    milestone.refresh_from_db(fields=["times_moved"])
    notify_program_changed(milestone.program_id)
    return milestone


# --- Status updates ------------------------------------------------------------------------


@transaction.atomic
def status_update_post(*, program: Program, user: AbstractBaseUser, **fields: Any) -> StatusUpdate:
    """Post the weekly status update; the program's freshness clock restarts."""
    _pick(fields, UPDATE_FIELDS)
    update = StatusUpdate(program=program, author=user, **fields)
    update.full_clean()
    update._history_user = user
    update.save()
    Program.objects.filter(pk=program.pk).update(last_update_at=update.created_at)
    notify_program_changed(program.pk)
    return update


@transaction.atomic
def status_update_edit(
    *, update: StatusUpdate, user: AbstractBaseUser, version: int | None, **fields: Any
) -> StatusUpdate:
    _pick(fields, UPDATE_FIELDS)
    update = apply_versioned_update(
        instance=update, expected_version=version, data=fields, user=user
    )
    notify_program_changed(update.program_id)
    return update


# --- Risks and decisions -------------------------------------------------------------------


@transaction.atomic
def risk_create(*, program: Program, user: AbstractBaseUser, **fields: Any) -> Risk:
    _pick(fields, RISK_FIELDS)
    risk = Risk(program=program, **fields)
    if risk.state == RiskState.CLOSED:
        risk.closed_at = timezone.now()
    risk.full_clean()
    risk._history_user = user
    risk.save()
    notify_program_changed(program.pk)
    return risk


@transaction.atomic
def risk_update(*, risk: Risk, user: AbstractBaseUser, version: int | None, **fields: Any) -> Risk:
    _pick(fields, RISK_FIELDS)
    if "state" in fields:
        closing = fields["state"] == RiskState.CLOSED
        if closing and risk.state != RiskState.CLOSED:
            fields["closed_at"] = timezone.now()
        elif not closing:
            fields["closed_at"] = None
    risk = apply_versioned_update(instance=risk, expected_version=version, data=fields, user=user)
    notify_program_changed(risk.program_id)
    return risk


def risk_close(*, risk: Risk, user: AbstractBaseUser, version: int | None) -> Risk:
    return risk_update(risk=risk, user=user, version=version, state=RiskState.CLOSED)


@transaction.atomic
def decision_record(*, program: Program, user: AbstractBaseUser, **fields: Any) -> Decision:
    _pick(fields, DECISION_FIELDS)
    decision = Decision(program=program, recorded_by=user, **fields)
    decision.full_clean()
    decision._history_user = user
    decision.save()
    return decision


@transaction.atomic
def decision_update(
    *, decision: Decision, user: AbstractBaseUser, version: int | None, **fields: Any
) -> Decision:
    _pick(fields, DECISION_FIELDS)
    return apply_versioned_update(
        instance=decision, expected_version=version, data=fields, user=user
    )
