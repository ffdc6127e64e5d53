"""Writes of program plans: start, publish, ask for acknowledgement, acknowledge.

Publishing carries the number of the version the editor started from: a publish over a newer
version is refused (``StaleWriteError``: the page shows the other's version beside the text
typed, the API answers 409), never a silent overwrite. Every write lands in the program's
history (``Plan`` and ``PlanAcknowledgement`` keep simple_history rows with a reason).
"""

import datetime
from collections.abc import Mapping
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from core.emails import absolute, send_on_commit
from core.errors import DomainError, StaleWriteError
from core.models import LONG_TEXT, SHORT_TEXT
from core.types import User
from programs.models import Milestone, Program
from programs.plans.models import (
    AlignmentRound,
    Plan,
    PlanAcknowledgement,
    PlanTemplate,
    PlanTemplateSection,
    PlanVersion,
    SectionKind,
)
from programs.signals import notify_program_changed

Sections = dict[str, Any]  # key -> Markdown, or team slug -> Markdown for a per-team section


@transaction.atomic
def plan_start(*, program: Program, template: PlanTemplate, user: User) -> Plan:
    """Give the program its plan, following ``template`` (an active one). Nothing is published
    yet: the first publish asks the teams to acknowledge."""
    if not template.active:
        raise DomainError({"template": "Choose an active plan template."})
    if Plan.objects.filter(program=program).exists():
        raise DomainError({"template": "This program has a plan already."})
    plan = Plan(program=program, template=template)
    plan._history_user = user
    plan._change_reason = f"Plan started from {template}"
    plan.full_clean()
    plan.save()
    return plan


def _clean_sections(
    sections: Mapping[str, Any], template_sections: list[PlanTemplateSection], team_slugs: set[str]
) -> Sections:
    """The submitted text of each section, stripped, or field errors keyed ``sections.<key>``."""
    known = {s.key: s for s in template_sections}
    errors: dict[str, str] = {}
    for key in sections:
        if key not in known:
            errors[f"sections.{key}"] = f"“{key}” is not a section of this plan's template."
    cleaned: Sections = {}
    for section in template_sections:
        value = sections.get(section.key)
        if section.kind == SectionKind.PER_TEAM:
            value = value or {}
            if not isinstance(value, Mapping):
                errors[f"sections.{section.key}"] = "Give one text per team slug."
                continue
            unknown = sorted(set(value) - team_slugs)
            if unknown:
                errors[f"sections.{section.key}"] = (
                    f"Not a team of this program: {', '.join(unknown)}."
                )
                continue
            texts = {slug: str(text or "").strip() for slug, text in value.items()}
            cleaned[section.key] = {slug: text for slug, text in sorted(texts.items()) if text}
            too_long = [slug for slug, text in texts.items() if len(text) > LONG_TEXT]
        else:
            text = str(value or "").strip()
            cleaned[section.key] = text
            too_long = [section.key] if len(text) > LONG_TEXT else []
        if too_long:
            errors[f"sections.{section.key}"] = f"Keep each text under {LONG_TEXT:,} characters."
    if errors:
        raise DomainError(errors)
    return cleaned


def _text(sections: Sections) -> str:
    parts: list[str] = []
    for value in sections.values():
        parts.extend(value.values() if isinstance(value, Mapping) else [value])
    return "\n\n".join(part for part in parts if part)


@transaction.atomic
def plan_publish(
    *,
    plan: Plan,
    user: User,
    based_on: int,
    sections: Mapping[str, Any],
    change_note: str = "",
    now: datetime.datetime | None = None,
) -> PlanVersion:
    """Publish the next version of the plan.

    ``based_on`` is the number of the version the editor started from (0 for a plan never
    published). If a material section changed (or it is the first version) every party is
    asked to acknowledge it again.
    """
    now = now or timezone.now()
    locked = Plan.objects.select_for_update().select_related("program").get(pk=plan.pk)
    if locked.published != based_on:
        raise StaleWriteError(current_version=locked.published, submitted_version=based_on)
    template_sections = list(locked.template.sections.order_by("position"))
    team_slugs = set(locked.program.teams.values_list("slug", flat=True))
    cleaned = _clean_sections(sections, template_sections, team_slugs)
    change_note = (change_note or "").strip()
    previous = locked.versions.filter(number=locked.published).first()
    if previous is not None and not change_note:
        raise DomainError({"change_note": "Say what changed: readers see it in the history."})
    if len(change_note) > SHORT_TEXT:
        raise DomainError({"change_note": f"Keep it under {SHORT_TEXT:,} characters."})
    if previous is not None and previous.sections == cleaned:
        raise DomainError({"sections": f"Nothing changed since version {previous.number}."})
    if not any(cleaned.values()):
        raise DomainError({"sections": "Write at least one section before publishing."})
    material = [
        s.title
        for s in template_sections
        if s.material and previous is not None and previous.sections.get(s.key) != cleaned[s.key]
    ]
    version = PlanVersion(
        plan=locked,
        number=locked.published + 1,
        sections=cleaned,
        change_note=change_note,
        author=user,
        published_at=now,
        material_changes=material,
        text=_text(cleaned),
    )
    version.full_clean()
    version.save()
    locked.published = version.number
    locked.version += 1
    locked._history_user = user
    locked._change_reason = f"Published v{version.number}" + (
        f": {change_note}"[:90] if change_note else ""
    )
    locked.save()
    if previous is None:
        _open_round(locked, version, "First version published", now)
    elif material:
        reason = f"v{version.number} changed {', '.join(material).lower()}"
        _open_round(locked, version, reason, now)
    notify_program_changed(locked.program_id)
    return version


def _parties(program: Program) -> list[tuple[int | None, int]]:
    """(team id or None for the sponsor, the user asked): each team with a lead, the sponsor."""
    parties: list[tuple[int | None, int]] = [
        (team_id, lead_id)
        for team_id, lead_id in program.teams.filter(lead__isnull=False)
        .order_by("name")
        .values_list("pk", "lead_id")
    ]
    if program.sponsor_id:
        parties.append((None, program.sponsor_id))
    return parties


def _open_round(
    plan: Plan, version: PlanVersion, reason: str, now: datetime.datetime
) -> AlignmentRound:
    program = plan.program
    alignment_round = AlignmentRound.objects.create(
        plan=plan, version=version, reason=reason[:300], opened_at=now
    )
    asks = [
        PlanAcknowledgement(round=alignment_round, team_id=team_id, asked_id=user_id)
        for team_id, user_id in _parties(program)
    ]
    PlanAcknowledgement.objects.bulk_create(asks)
    Plan.objects.filter(pk=plan.pk).update(awaiting_since=now if asks else None, awaiting=len(asks))
    if asks:
        asked = get_user_model().objects.filter(pk__in=[a.asked_id for a in asks])
        send_on_commit(
            "emails/plan_acknowledge",
            {
                "program": program.name,
                "version": version.number,
                "reason": reason,
                "url": absolute(reverse("plans:detail", kwargs={"slug": program.slug})),
            },
            asked.values_list("email", flat=True),
        )
    return alignment_round


@transaction.atomic
def plan_ask_again(*, program: Program, reason: str, now: datetime.datetime | None = None) -> None:
    """A material change outside the plan's text (a critical milestone moved): ask every party
    to acknowledge the current version again. Nothing to ask on a plan never published."""
    plan = Plan.objects.select_for_update().filter(program=program, published__gt=0).first()
    if plan is None:
        return
    version = plan.versions.get(number=plan.published)
    _open_round(plan, version, reason, now or timezone.now())


def critical_milestone_moved(
    *, milestone: Milestone, from_date: datetime.date, to_date: datetime.date
) -> None:
    """Called by ``programs.services.milestone_move``: a critical milestone moving is a
    material change to the plan."""
    if milestone.critical:
        plan_ask_again(
            program=milestone.program,
            reason=f"Critical milestone “{milestone.name}” moved from {from_date:%-d %b} "
            f"to {to_date:%-d %b %Y}",
        )


@transaction.atomic
def plan_acknowledge(
    *, plan: Plan, user: User, round_id: int, now: datetime.datetime | None = None
) -> list[PlanAcknowledgement]:
    """Acknowledge the latest round for every party ``user`` was asked for in it.

    ``round_id`` is the round the user read: if a newer one opened meanwhile (the plan or a
    critical date changed), refuse with ``StaleWriteError`` so they read it first. Someone not
    asked gets ``PermissionDenied``.
    """
    now = now or timezone.now()
    locked = Plan.objects.select_for_update().get(pk=plan.pk)
    latest = locked.rounds.order_by("-opened_at", "-pk").first()
    if latest is None:
        raise DomainError({"round": "This plan has not been published: nothing to acknowledge."})
    if latest.pk != round_id:
        raise StaleWriteError(current_version=latest.pk, submitted_version=round_id)
    mine = list(latest.acknowledgements.filter(asked=user, acknowledged_at__isnull=True))
    if not mine:
        if latest.acknowledgements.filter(asked=user).exists():
            raise DomainError({"round": "You have acknowledged this version already."})
        raise PermissionDenied("Only the team leads and the sponsor asked may acknowledge.")
    for ack in mine:
        ack.acknowledged_at = now
        ack.acknowledged_by = user
        ack._history_user = user
        ack._change_reason = f"Acknowledged v{latest.version.number} for {ack.party}"
        ack.save()
    waiting = latest.acknowledgements.filter(acknowledged_at__isnull=True).count()
    Plan.objects.filter(pk=locked.pk).update(
        awaiting=waiting, awaiting_since=latest.opened_at if waiting else None
    )
    notify_program_changed(locked.program_id)
    return mine


@transaction.atomic
def plan_template_new_version(*, template: PlanTemplate) -> PlanTemplate:
    """An inactive copy of ``template`` (sections included) with the next version number:
    the way to change a template that plans follow."""
    latest = (
        PlanTemplate.objects.filter(name=template.name).order_by("-version").first() or template
    )
    copy = PlanTemplate.objects.create(
        name=template.name,
        version=latest.version + 1,
        description=template.description,
        active=False,
    )
    PlanTemplateSection.objects.bulk_create(
        PlanTemplateSection(
            template=copy, position=s.position, key=s.key, title=s.title, guidance=s.guidance,
            kind=s.kind, live=s.live, material=s.material,
        )
        for s in template.sections.order_by("position")
    )  # fmt: skip
    return copy


@transaction.atomic
def plan_template_activate(*, template: PlanTemplate) -> PlanTemplate:
    """Make ``template`` the version new plans start from (its name's other one retires;
    plans already started keep theirs)."""
    PlanTemplate.objects.filter(name=template.name, active=True).exclude(pk=template.pk).update(
        active=False
    )
    PlanTemplate.objects.filter(pk=template.pk).update(active=True)
    template.refresh_from_db()
    return template
