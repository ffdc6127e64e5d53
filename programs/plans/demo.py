"""Demo plans: the demo TPM's first running programs get a plan each, written and agreed the
way plans are (through the services): a first version weeks ago that the leads acknowledged,
later versions, and on some a round still waiting: a scope change, a critical date moved."""

import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count

from programs.models import Phase, Program
from programs.plans import services
from programs.plans.models import Plan, PlanTemplate
from programs.signals import program_changes_unannounced

PLANS = 5  # programs of the demo TPM that get one


def _at(today: datetime.date, days_ago: int) -> datetime.datetime:
    return datetime.datetime.combine(
        today - datetime.timedelta(days=days_ago), datetime.time(10), tzinfo=datetime.UTC
    )


def _sections(program: Program, teams: list[Any], *, scope_extra: str = "") -> dict[str, Any]:
    names = ", ".join(team.name for team in teams)
    return {
        "problem": (
            f"{program.name} exists because the current setup does not scale with demand: "
            "capacity is added by hand, incidents trace back to configuration drift, and each "
            "team works around the gaps differently.\n\n"
            "**Cost today:** on-call load, slow turn-ups, and repeated work across teams."
        ),
        "goals": (
            "**Goals**\n\n- One supported path, owned and documented\n"
            "- Turn-up time measured and halved\n\n"
            "**Non-goals**\n\n- Redesigning the clients\n- Moving teams' on-call rotations"
        ),
        "success_criteria": (
            "The program is done when its success metrics (below) reach their targets and "
            "hold for four weeks, with no sev-1 incident caused by the change."
        ),
        "scope": {
            team.slug: (
                f"{team.name} delivers its part of the rollout, owns the runbooks for it and "
                "staffs the launch review." + (scope_extra if i == 0 else "")
            )
            for i, team in enumerate(teams)
        },
        "milestones": "The critical path runs through the milestones marked critical.",
        "dependencies": f"Agreed between {names}; escalation through the weekly ops review.",
        "risks": "Risks rated 15 or more are reviewed weekly until mitigated.",
        "rollout": (
            "1. Canary in one region, 48 h bake\n2. 10 % of the fleet, one week\n"
            "3. The rest by region, each with its own rollback\n\n"
            "**Rollback:** the previous path stays deployable until the last region is done."
        ),
        "communication": (
            "| Cadence | Audience | Channel |\n| --- | --- | --- |\n"
            "| Weekly | Teams taking part | Status update in Pulse, #program channel |\n"
            "| Monthly | Leadership | Portfolio report |\n"
            "| Per launch | Engineering | Launch announcement |"
        ),
        "stakeholders": f"Sponsor: {program.sponsor.get_full_name() if program.sponsor else '—'}. "
        f"Accountable: the leads of {names}. Informed: SRE, security, finance.",
    }


def seed_plans(*, today: datetime.date, write: Any, **kwargs: Any) -> None:
    template = PlanTemplate.objects.filter(active=True, name="Infrastructure program").first()
    tpm = get_user_model().objects.filter(username="tpm").first()
    if template is None or tpm is None:
        return
    programs = list(
        Program.objects.filter(
            tpm=tpm, phase__in=(Phase.PLANNING, Phase.EXECUTING, Phase.LAUNCHING), plan__isnull=True
        )
        .annotate(team_count=Count("teams"))
        .filter(team_count__gte=2)
        .select_related("sponsor")
        .order_by("pk")[:PLANS]
    )
    with program_changes_unannounced():  # health is computed for everything afterwards
        for index, program in enumerate(programs):
            _seed_plan(program, template, tpm, index, today)
    write(f"Seeded {len(programs)} program plans.")


def _seed_plan(
    program: Program, template: PlanTemplate, tpm: Any, index: int, today: datetime.date
) -> None:
    teams = list(program.teams.select_related("lead").order_by("name"))
    plan = services.plan_start(program=program, template=template, user=tpm)
    first = _sections(program, teams)
    services.plan_publish(
        plan=plan, user=tpm, based_on=0, sections=first, now=_at(today, 60 - index)
    )
    _acknowledge_all(plan, today, days_ago=55 - index)
    second = dict(
        first, communication=first["communication"] + "\n| Quarterly | Finance | Capacity review |"
    )
    services.plan_publish(
        plan=plan, user=tpm, based_on=1, sections=second,
        change_note="Finance joins the quarterly capacity review", now=_at(today, 30 - index),
    )  # fmt: skip
    if index == 1:  # a scope change the leads have not acknowledged for 18 days: a watch line
        third = _sections(program, teams, scope_extra=" It also migrates the edge PoPs.")
        third["communication"] = second["communication"]
        services.plan_publish(
            plan=plan, user=tpm, based_on=2, sections=third,
            change_note="Edge PoPs added to the first team's scope", now=_at(today, 18),
        )  # fmt: skip
        _acknowledge_some(plan, today, days_ago=17)
    elif index == 2:  # a critical date moved; asked again, nobody answered yet
        services.plan_ask_again(
            program=program,
            reason="Critical milestone “GA in first region” moved by three weeks",
            now=_at(today, 9),
        )


def _acknowledge_all(plan: Plan, today: datetime.date, *, days_ago: int) -> None:
    latest = plan.rounds.order_by("-opened_at", "-pk").first()
    if latest is None:
        return
    for user_id in sorted(set(latest.acknowledgements.values_list("asked_id", flat=True))):
        user = get_user_model().objects.get(pk=user_id)
        services.plan_acknowledge(
            plan=plan, user=user, round_id=latest.pk, now=_at(today, days_ago)
        )


def _acknowledge_some(plan: Plan, today: datetime.date, *, days_ago: int) -> None:
    """The sponsor acknowledges; the leads have not yet."""
    latest = plan.rounds.order_by("-opened_at", "-pk").first()
    sponsor = latest.acknowledgements.filter(team__isnull=True).first() if latest else None
    if latest is not None and sponsor is not None:
        services.plan_acknowledge(
            plan=plan, user=sponsor.asked, round_id=latest.pk, now=_at(today, days_ago)
        )
