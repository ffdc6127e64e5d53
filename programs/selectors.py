"""Every read of the programs domain that a page or endpoint makes.

Selectors own ``select_related``/``prefetch_related``/annotations, so each page runs a fixed
number of queries whatever the data size.
"""

import datetime
from dataclasses import dataclass
from itertools import islice
from typing import TYPE_CHECKING, Any, TypedDict

from django.db.models import (
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
)
from django.shortcuts import get_object_or_404
from django.utils import timezone

from core.roles import sees_everything
from programs.models import (
    OPEN_MILESTONE_STATES,
    Decision,
    Milestone,
    MilestoneDateChange,
    Phase,
    Program,
    ProgramMembership,
    Risk,
    RiskState,
    StatusUpdate,
)
from programs.plans.models import Plan, PlanAcknowledgement

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    from programs.filters import ProgramListFilter

ACTIVE_PHASES = (Phase.PROPOSED, Phase.PLANNING, Phase.EXECUTING, Phase.LAUNCHING)
# What ``Program.health_cause`` holds: the family of the signal deciding a yellow or red grade
# (the health engine's families, in its review order; metrics writes the column).
# The families of health signals (``metrics.health.Family``, in review order), which a
# program's ``health_cause`` names. Spelt out here because ``programs`` imports no other app;
# the programs and metrics APIs and the programs page use this list (one enum in the schema),
# and a test holds it to the engine's families.
HEALTH_FAMILY_CHOICES = [
    ("schedule", "Schedule"),
    ("launch_readiness", "Launch readiness"),
    ("dependencies", "Dependencies"),
    ("risk", "Risk"),
    ("freshness", "Freshness"),
    ("outcomes", "Outcomes"),
]


def visible_programs(user) -> QuerySet[Program]:
    """Programs the user may read: the queryset form of ``programs.view_program``."""
    programs = Program.objects.all()
    if sees_everything(user):
        return programs
    is_member = ProgramMembership.objects.filter(program=OuterRef("pk"), user=user)
    return programs.filter(Q(confidential=False) | Q(tpm=user) | Exists(is_member))


def _next_milestone() -> QuerySet[Milestone]:
    return Milestone.objects.filter(
        program=OuterRef("pk"), state__in=OPEN_MILESTONE_STATES
    ).order_by("target_date", "id")


class ListAnnotations(TypedDict):
    """What ``with_list_annotations`` adds to each program."""

    next_milestone_name: str | None
    next_milestone_date: datetime.date | None
    latest_reported_health: str | None


# A program as every program table reads it (the stubs' type for an annotated row).
type ListedProgram = WithAnnotations[Program, ListAnnotations]


def with_list_annotations(programs: QuerySet[Program]) -> QuerySet[ListedProgram]:
    """What every program table shows, computed in the one list query."""
    next_milestone = _next_milestone()
    return programs.select_related("portfolio", "tpm").annotate(
        next_milestone_name=Subquery(next_milestone.values("name")[:1]),
        next_milestone_date=Subquery(next_milestone.values("target_date")[:1]),
        latest_reported_health=Subquery(
            StatusUpdate.objects.filter(program=OuterRef("pk"))
            .order_by("-created_at", "-id")
            .values("reported_health")[:1]
        ),
    )


SORTS = {
    "name": ("name",),
    "-name": ("-name",),
    "target": ("target_date", "name"),
    "-target": ("-target_date", "name"),
    "score": (F("health_score").asc(nulls_last=True), "name"),
    "-score": (F("health_score").desc(nulls_last=True), "name"),
    "updated": (F("last_update_at").asc(nulls_first=True), "name"),
    "-updated": (F("last_update_at").desc(nulls_last=True), "name"),
    "priority": ("priority", "name"),
}


def program_list(*, user, filters: "ProgramListFilter | None" = None) -> QuerySet[Program]:
    """The program list: the programs the user can see, narrowed and sorted by ``filters``
    (the page's FilterSet, bound to the query string; by name when None), with what every
    program table shows."""
    programs = visible_programs(user)
    if filters is None:
        programs = programs.order_by(*SORTS["name"])
    else:
        # Validating first leaves an invalid value (a stale bookmark) out instead of failing.
        filters.is_valid()
        programs = filters.filter_queryset(programs)
    return with_list_annotations(programs)


def program_get_for_user(*, user, slug: str) -> Program:
    """One program, or 404 when it does not exist or the user may not see it."""
    return get_object_or_404(
        visible_programs(user).select_related("portfolio", "tpm", "sponsor"), slug=slug
    )


@dataclass(frozen=True)
class ProgramPage:
    program: Program
    milestones: list[Milestone]
    latest_update: StatusUpdate | None
    updates: list[StatusUpdate]
    open_risks: list[Risk]
    closed_risks: list[Risk]
    decisions: list[Decision]
    members: list[ProgramMembership]
    teams: list[Any]
    activity: list["ActivityEntry"]
    update_due: datetime.date | None
    update_overdue: bool


def program_page(*, program: Program, today: datetime.date | None = None) -> ProgramPage:
    """Everything the program page shows, in a fixed number of queries."""
    today = today or timezone.localdate()
    milestones = list(
        program.milestones.select_related("owner_team")
        .prefetch_related(
            Prefetch("depends_on", queryset=Milestone.objects.select_related("program")),
            Prefetch("dependents", queryset=Milestone.objects.select_related("program")),
            Prefetch(
                "date_changes",
                queryset=MilestoneDateChange.objects.select_related("changed_by"),
            ),
        )
        .order_by("target_date", "id")
    )
    updates = list(program.status_updates.select_related("author")[:6])
    risks = list(program.risks.select_related("owner"))
    due = _update_due(program)
    return ProgramPage(
        program=program,
        milestones=milestones,
        latest_update=updates[0] if updates else None,
        updates=updates,
        open_risks=[r for r in risks if r.state != RiskState.CLOSED],
        closed_risks=[r for r in risks if r.state == RiskState.CLOSED],
        decisions=list(program.decisions.select_related("decided_by")[:20]),
        members=list(program.memberships.select_related("user")),
        teams=list(program.teams.all()),
        activity=program_activity(program=program, limit=30),
        update_due=due,
        update_overdue=bool(due and due < today),
    )


def _update_due(program: Program) -> datetime.date | None:
    if program.is_closed:
        return None
    last = program.last_update_at
    if last is None:
        return timezone.localdate(program.created_at)
    return timezone.localdate(last) + datetime.timedelta(days=program.update_cadence_days)


@dataclass(frozen=True)
class ActivityEntry:
    when: datetime.datetime
    who: str
    kind: str
    action: str
    subject: str
    changes: list[str]


HISTORY_ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}
# Historised many-to-many fields → the accessor of their history rows (prefetched once).
HISTORY_M2M_ROWS = {"depends_on": "historicalmilestone_depends_on_set"}


def _m2m_ids(record: Any, rows: str) -> set[int]:
    return {row.to_milestone_id for row in getattr(record, rows).all()}


def program_activity(*, program: Program, limit: int = 30) -> list[ActivityEntry]:
    """The program's history across its own fields and its children, newest first.

    One query per history table (program, milestones, updates, risks, decisions), each limited,
    merged in Python. Field-level changes come from diffing consecutive history rows.
    """
    sources = [
        ("program", Program.history.filter(id=program.pk), "name"),
        (
            "milestone",
            Milestone.history.filter(program_id=program.pk).prefetch_related(
                *HISTORY_M2M_ROWS.values()
            ),
            "name",
        ),
        ("status update", StatusUpdate.history.filter(program_id=program.pk), "reported_health"),
        ("risk", Risk.history.filter(program_id=program.pk), "title"),
        ("decision", Decision.history.filter(program_id=program.pk), "title"),
        ("plan", Plan.history.filter(program_id=program.pk), "published"),
        (
            "plan acknowledgement",
            PlanAcknowledgement.history.filter(round__plan__program_id=program.pk).select_related(
                "team"
            ),
            "party",
        ),
    ]
    entries: list[tuple[Any, str, str]] = []
    for kind, history, label in sources:
        rows = list(history.select_related("history_user").order_by("-history_date")[: limit + 1])
        for record in rows:
            entries.append((record, kind, label))
    entries.sort(key=lambda item: item[0].history_date, reverse=True)
    # Diff each record against its previous version, which is usually in the same batch.
    by_object: dict[tuple[str, int], list[Any]] = {}
    for record, kind, _ in entries:
        by_object.setdefault((kind, record.id), []).append(record)
    result = []
    for record, kind, label in islice(entries, limit):
        versions = by_object[(kind, record.id)]
        position = versions.index(record)
        previous = versions[position + 1] if position + 1 < len(versions) else None
        changes = []
        # A plan's rows say what happened in their reason ("Published v3: …", "Acknowledged …").
        if record.history_type == "~" and previous is not None and not kind.startswith("plan"):
            # Many-to-many fields are compared from the prefetched rows: diff_against would
            # query them for every record.
            delta = record.diff_against(previous, excluded_fields=["version", *HISTORY_M2M_ROWS])
            changed = [change.field for change in delta.changes]
            changed += [
                field
                for field, rows in HISTORY_M2M_ROWS.items()
                if hasattr(record, rows) and _m2m_ids(record, rows) != _m2m_ids(previous, rows)
            ]
            changes = [field.replace("_", " ") for field in sorted(changed)]
        subject = getattr(record, label, "")
        if kind == "plan":
            subject = f"v{record.published}" if record.published else "started"
        elif kind == "plan acknowledgement":
            subject = record.team.name if record.team_id and record.team else "Sponsor"
        if kind == "status update":
            subject = record.get_reported_health_display()
        result.append(
            ActivityEntry(
                when=record.history_date,
                who=record.history_user.get_full_name() or record.history_user.username
                if record.history_user
                else "system",
                kind=kind,
                action=HISTORY_ACTIONS.get(record.history_type, "changed"),
                subject=str(subject),
                changes=changes
                or ([record.history_change_reason] if record.history_change_reason else []),
            )
        )
    return result


@dataclass(frozen=True)
class HomeRow:
    program: Program
    due: datetime.date | None
    overdue: bool


def tpm_home(*, user, today: datetime.date | None = None) -> list[HomeRow]:
    """The programs the user runs or leads, most urgent update first."""
    today = today or timezone.localdate()
    led = ProgramMembership.objects.filter(program=OuterRef("pk"), user=user)
    programs = with_list_annotations(
        Program.objects.filter(Q(tpm=user) | Exists(led)).filter(phase__in=ACTIVE_PHASES)
    )
    rows = []
    for program in programs:
        due = _update_due(program)
        rows.append(HomeRow(program=program, due=due, overdue=bool(due and due < today)))
    rows.sort(key=lambda row: (row.due or datetime.date.max, row.program.name))
    return rows
