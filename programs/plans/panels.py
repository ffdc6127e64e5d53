"""The plan's panel on the program page: published version, and who has yet to agree."""

from django.http import HttpRequest

from programs.models import Program
from programs.panels import Panel
from programs.plans import selectors
from programs.plans.models import Plan


def plan_panel(request: HttpRequest, program: Program, can_edit: bool) -> Panel:
    plan = Plan.objects.filter(program=program).first()
    version = (
        plan.versions.select_related("author").filter(number=plan.published).first()
        if plan is not None and plan.published
        else None
    )
    alignment = selectors.alignment(plan) if plan is not None and plan.published else None
    return Panel(
        template="plans/_panel.html",
        column="side",
        order=5,
        anchor="plan",
        nav_label="Plan",
        context={
            "program": program,
            "plan": plan,
            "version": version,
            "can_edit": can_edit,
            "alignment": alignment,
        },  # fmt: skip
    )
