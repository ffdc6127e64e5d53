"""Reads of program plans: a version as the page shows it, the alignment, diffs, the
Markdown export, and the plans waiting for acknowledgement. Fixed query counts whatever the
plan's size: the page reads the plan, its sections, versions, rounds and live blocks once each.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import F, QuerySet
from django.utils import timezone

from core.diffs import Diff, side_by_side
from programs.models import Program, Team
from programs.plans.live import LiveTable, live_table
from programs.plans.models import (
    AlignmentRound,
    Plan,
    PlanAcknowledgement,
    PlanTemplate,
    PlanTemplateSection,
    PlanVersion,
    SectionKind,
)

VERSIONS_LISTED = 50


@dataclass(frozen=True)
class TeamText:
    team: str
    slug: str
    text: str


@dataclass(frozen=True)
class SectionView:
    key: str
    title: str
    guidance: str
    material: bool
    per_team: bool
    text: str = ""  # a Markdown section's text
    teams: list[TeamText] = field(default_factory=list)  # a per-team section's texts
    live: LiveTable | None = None


@dataclass(frozen=True)
class PartyStatus:
    party: str
    team_slug: str  # "" for the sponsor
    asked: Any  # the user asked
    acknowledged_at: datetime.datetime | None
    last_agreed: int | None  # the latest version this party acknowledged, in any round


@dataclass(frozen=True)
class Alignment:
    round: AlignmentRound | None
    parties: list[PartyStatus]
    teams_without_lead: list[str]

    @property
    def agreed(self) -> int:
        return sum(p.acknowledged_at is not None for p in self.parties)

    @property
    def waiting(self) -> list[PartyStatus]:
        return [p for p in self.parties if p.acknowledged_at is None]

    def asked_of(self, user: Any) -> list[PartyStatus]:
        return [p for p in self.waiting if p.asked.pk == user.pk]


@dataclass(frozen=True)
class PlanPage:
    plan: Plan
    version: PlanVersion | None  # the one shown (None: never published)
    sections: list[SectionView]
    versions: list[PlanVersion]  # newest first, at most VERSIONS_LISTED
    alignment: Alignment

    @property
    def is_current(self) -> bool:
        return self.version is not None and self.version.number == self.plan.published


def version_number(text: str) -> int | None:
    """A version number from a URL or query string (None unless plain ASCII digits that fit
    the column: anything else is "no such version", never an error)."""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else None


def plan_of(program: Program) -> Plan | None:
    return Plan.objects.select_related("template").filter(program=program).first()


def active_templates() -> QuerySet[PlanTemplate]:
    return PlanTemplate.objects.filter(active=True).prefetch_related("sections").order_by("name")


def template_sections(plan: Plan) -> list[PlanTemplateSection]:
    return list(plan.template.sections.order_by("position"))


def program_teams(program: Program) -> list[Team]:
    return list(program.teams.select_related("lead").order_by("name"))


def section_views(
    plan: Plan,
    sections: dict[str, Any],
    *,
    templates: list[PlanTemplateSection],
    teams: list[Team],
    viewer: Any = None,
) -> list[SectionView]:
    """The template's sections filled with ``sections``' text, and the live blocks as
    ``viewer`` may see them (no viewer: no live blocks, e.g. for the edit form)."""
    names: dict[str, str] = {team.slug: team.name for team in teams}
    views = []
    for s in templates:
        value = sections.get(s.key)
        per_team = s.kind == SectionKind.PER_TEAM
        texts = value if per_team and isinstance(value, dict) else {}
        # Every team taking part, in order, then any team that has left but has text.
        slugs = [team.slug for team in teams] + sorted(set(texts) - set(names))
        views.append(
            SectionView(
                key=s.key,
                title=s.title,
                guidance=s.guidance,
                material=s.material,
                per_team=per_team,
                text="" if per_team else str(value or ""),
                teams=[
                    TeamText(names.get(slug) or slug, slug, texts.get(slug, "")) for slug in slugs
                ]
                if per_team
                else [],
                live=live_table(s.live, plan.program, viewer) if viewer and s.live else None,
            )
        )
    return views


def alignment(plan: Plan) -> Alignment:
    """The latest round's parties (asked, acknowledged or not) and the latest version each
    agreed to; teams taking part without a lead (nobody to ask)."""
    latest = (
        AlignmentRound.objects.filter(plan=plan)
        .select_related("version")
        .order_by("-opened_at", "-pk")
        .first()
    )
    agreed: dict[int | None, int] = {}
    for team_id, number in (
        PlanAcknowledgement.objects.filter(round__plan=plan, acknowledged_at__isnull=False)
        .order_by("round__version__number")
        .values_list("team_id", "round__version__number")
    ):
        agreed[team_id] = number  # ascending: the last one is the latest
    parties = []
    if latest is not None:
        for ack in latest.acknowledgements.select_related("team", "asked").order_by(
            F("team__name").asc(nulls_last=True)
        ):
            parties.append(
                PartyStatus(
                    party=ack.party,
                    team_slug=ack.team.slug if ack.team else "",
                    asked=ack.asked,
                    acknowledged_at=ack.acknowledged_at,
                    last_agreed=agreed.get(ack.team_id),
                )
            )
    leaderless = list(
        plan.program.teams.filter(lead__isnull=True).order_by("name").values_list("name", flat=True)
    )
    return Alignment(round=latest, parties=parties, teams_without_lead=leaderless)


def plan_page(*, plan: Plan, viewer: Any, number: int | None = None) -> PlanPage | None:
    """The plan as a page shows it: version ``number`` (default: the latest), or None if there
    is no such version."""
    versions = list(plan.versions.select_related("author").order_by("-number")[:VERSIONS_LISTED])
    wanted = number or plan.published
    version = next((v for v in versions if v.number == wanted), None)
    if version is None and wanted:
        version = plan.versions.select_related("author").filter(number=wanted).first()
        if version is None:
            return None
    teams = program_teams(plan.program)
    sections = section_views(
        plan,
        version.sections if version else {},
        templates=template_sections(plan),
        teams=teams,
        viewer=viewer,
    )
    return PlanPage(
        plan=plan, version=version, sections=sections, versions=versions, alignment=alignment(plan)
    )


@dataclass(frozen=True)
class SectionDiff:
    title: str
    team: str  # the team of a per-team section's text ("" otherwise)
    material: bool
    diff: Diff


@dataclass(frozen=True)
class PlanDiff:
    old: PlanVersion
    new: PlanVersion
    changed: list[SectionDiff]
    unchanged: list[str]  # titles
    between: list[PlanVersion]  # the versions after old up to new: who changed what


def plan_diff(*, plan: Plan, old: int, new: int) -> PlanDiff | None:
    """Section by section, what changed from version ``old`` to ``new`` (None: no such one)."""
    found = {
        v.number: v
        for v in plan.versions.select_related("author").filter(
            number__gte=min(old, new), number__lte=max(old, new)
        )
    }
    if old not in found or new not in found:
        return None
    a, b = found[old], found[new]
    changed: list[SectionDiff] = []
    unchanged: list[str] = []
    names = {slug: name for slug, name in plan.program.teams.values_list("slug", "name")}
    for s in template_sections(plan):
        before, after = a.sections.get(s.key), b.sections.get(s.key)
        if s.kind == SectionKind.PER_TEAM:
            before, after = before or {}, after or {}
            pairs = [(names.get(slug, slug), before.get(slug, ""), after.get(slug, ""))
                     for slug in sorted(set(before) | set(after))]  # fmt: skip
        else:
            pairs = [("", str(before or ""), str(after or ""))]
        diffs = [(team, side_by_side(x, y)) for team, x, y in pairs]
        diffs = [(team, d) for team, d in diffs if d.changed]
        if diffs:
            changed.extend(SectionDiff(s.title, team, s.material, d) for team, d in diffs)
        else:
            unchanged.append(s.title)
    between = sorted(
        (v for n, v in found.items() if min(old, new) < n <= max(old, new)),
        key=lambda v: v.number,
    )
    return PlanDiff(old=a, new=b, changed=changed, unchanged=unchanged, between=between)


def plan_markdown(*, page: PlanPage) -> str:
    """The plan as one Markdown document: its sections, with the live blocks as tables."""
    plan, version = page.plan, page.version
    lines = [f"# Plan: {plan.program.name}", ""]
    if version is not None:
        lines += [
            f"Version {version.number}, published {timezone.localtime(version.published_at):%-d %b %Y %H:%M} "
            f"by {version.author.get_full_name() or version.author.username}.",
            "",
        ]
    for section in page.sections:
        lines += [f"## {section.title}", ""]
        if section.per_team:
            for team in section.teams:
                lines += [f"### {team.team}", "", team.text or "_Nothing written yet._", ""]
        elif section.text:
            lines += [section.text, ""]
        if section.live is not None:
            lines += _markdown_table(section.live) + [""]
    if page.alignment.parties:
        lines += ["## Acknowledgements", ""]
        for party in page.alignment.parties:
            state = (
                f"acknowledged {timezone.localtime(party.acknowledged_at):%-d %b %Y}"
                if party.acknowledged_at
                else "not yet"
            )
            lines.append(f"- {party.party}: {state}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _markdown_table(table: LiveTable) -> list[str]:
    if not table.rows:
        return [f"_{table.empty}_"]

    def cell(value: Any) -> str:
        text = value[0] if isinstance(value, tuple) else str(value)
        return text.replace("|", "\\|").replace("\n", " ")

    return [
        "| " + " | ".join(table.columns) + " |",
        "| " + " | ".join("---" for _ in table.columns) + " |",
        *("| " + " | ".join(cell(c) for c in row) + " |" for row in table.rows),
    ]


def plans_awaiting(
    *, programs: QuerySet[Program] | Iterable[int], older_than: datetime.timedelta,
    now: datetime.datetime | None = None,
) -> list[Plan]:  # fmt: skip
    """Plans of these programs whose latest round has waited longer than ``older_than`` for
    someone's acknowledgement, oldest wait first (for the ops agenda)."""
    cutoff = (now or timezone.now()) - older_than
    return list(
        Plan.objects.filter(program__in=programs, awaiting_since__lt=cutoff)
        .select_related("program")
        .order_by("awaiting_since", "pk")
    )


def waiting_for(*, plans: list[Plan]) -> dict[int, list[PlanAcknowledgement]]:
    """The parties each plan's latest round still waits on (one query): the rows of rounds
    opened when the plan's wait began (``Plan.awaiting_since``), not acknowledged."""
    found: dict[int, list[PlanAcknowledgement]] = {plan.pk: [] for plan in plans}
    for ack in (
        PlanAcknowledgement.objects.filter(
            round__plan__in=plans,
            round__opened_at=F("round__plan__awaiting_since"),
            acknowledged_at__isnull=True,
        )
        .select_related("team", "asked", "round")
        .order_by("round__plan", F("team__name").asc(nulls_last=True))
    ):
        found[ack.round.plan_id].append(ack)
    return found


def acknowledgements_asked_of(*, user: Any) -> list[PlanAcknowledgement]:
    """The acknowledgements ``user`` has yet to give, of each plan's latest round."""
    return list(
        PlanAcknowledgement.objects.filter(
            asked=user,
            acknowledged_at__isnull=True,
            round__opened_at=F("round__plan__awaiting_since"),
        )
        .select_related("team", "round__version", "round__plan__program")
        .order_by("round__opened_at")
    )
