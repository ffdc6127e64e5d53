"""The programs pages: list, program page, and the forms a TPM keeps a program current with.

Views are thin: they parse input with a form, check permission, call a selector or a service
and render. Every program is read through ``program_get_for_user`` (404 when the user may not
see it) and every child object is looked up scoped to its program. Editing needs
``programs.change_program`` on the program (403 otherwise).
"""

import copy
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.timesince import timesince
from django.views.decorators.http import require_GET, require_http_methods

from core.generic_views import service_form_view
from core.list_pages import ListPage
from core.types import SignedInRequest
from programs import services
from programs.filters import ProgramListFilter
from programs.forms import (
    DecisionEditForm,
    DecisionForm,
    MembershipForm,
    MilestoneCompleteForm,
    MilestoneEditForm,
    MilestoneForm,
    MilestoneMoveForm,
    ProgramEditForm,
    ProgramForm,
    RiskEditForm,
    RiskForm,
    StatusUpdateForm,
    VersionConfirmForm,
    person_label,
)
from programs.models import Decision, Milestone, Program, ProgramMembership, Risk, RiskState
from programs.panels import panels_for
from programs.playbooks.models import GovernedWorkflow
from programs.playbooks.selectors import governing_link
from programs.search import search
from programs.selectors import (
    program_get_for_user,
    program_list,
    program_page,
    visible_programs,
)

PAGE_SIZE = 25


def editable_program(request: SignedInRequest, slug: str) -> Program:
    """The program if the user may edit it: 404 if they cannot see it, 403 if they cannot edit."""
    program = program_get_for_user(user=request.user, slug=slug)
    if not request.user.has_perm("programs.change_program", program):
        raise PermissionDenied("You can read this program but not edit it.")
    return program


def form_page_context(
    *,
    program: Program | None,
    title: str,
    submit: str,
    intro: str = "",
    **extra: Any,
) -> dict[str, Any]:
    """What ``programs/form_page.html`` (and the pages extending it) show around a form."""
    return {
        "program": program,
        "title": title,
        "submit_label": submit,
        "intro": intro,
        "cancel_url": program.get_absolute_url() if program else "/programs/",
        **extra,
    }


def form_page(
    request: HttpRequest,
    *,
    program: Program | None,
    form: forms.BaseForm,
    title: str,
    submit: str,
    intro: str = "",
    template: str = "programs/form_page.html",
    **extra: Any,
) -> HttpResponse:
    """Render a form page of a program (for views that do not use ``service_form_view``)."""
    context = form_page_context(program=program, title=title, submit=submit, intro=intro, **extra)
    return render(request, template, {**context, "form": form})


# --- Reading --------------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD"])
def program_list_view(request: SignedInRequest) -> HttpResponse:
    """Search, filter, sort and page through the programs the user can see.

    The filters are the API's (``programs.filters``) and live in the query string, so a
    filtered list can be bookmarked and shared. An htmx request gets only the results table.
    """
    filters = ProgramListFilter(request.GET)
    program_list_page = ListPage(
        url=reverse("programs:list"),
        results_id="program-results",
        filter_label="Filter programs",
        search_field="id_q",
    )
    page = Paginator(program_list(user=request.user, filters=filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    for program in page.object_list:
        # "3 days", not "3 days, 4 hours": the table is scanned, not read.
        program.last_update_age = (
            timesince(program.last_update_at, depth=1) if program.last_update_at else ""
        )
    context = {
        "filter_form": filters.form,
        "page": page,
        "sort": filters.sort_key,
        "filtered": filters.narrows,
        "can_create": request.user.has_perm("programs.add_program"),
        "today": timezone.localdate(),
    }
    template = "programs/program_list.html"
    if program_list_page.wants_results_only(request):
        template += "#results"
    return render(request, template, {**context, "list_page": program_list_page})


@require_http_methods(["GET", "HEAD"])
def program_detail(request: SignedInRequest, slug: str) -> HttpResponse:
    """The program page: brief, facts, milestones and slips, risks, decisions, activity."""
    program = program_get_for_user(user=request.user, slug=slug)
    today = timezone.localdate()
    page = program_page(program=program, today=today)
    # An open milestone past its target shows as overdue, with by how many days.
    for milestone in page.milestones:
        late = (today - milestone.target_date).days
        milestone.days_overdue = late if milestone.is_open and late > 0 else 0
    # Dependencies across programs; those inside the program show in the milestones table.
    upstream = [
        (m, other) for m in page.milestones for other in m.depends_on.all()
        if other.program_id != program.pk
    ]  # fmt: skip
    downstream = [
        (m, other) for m in page.milestones for other in m.dependents.all()
        if other.program_id != program.pk
    ]  # fmt: skip
    # A dependency in a confidential program the user cannot see is shown without its name.
    other_ids = {other.program_id for _, other in upstream + downstream}
    visible_ids = (
        set(visible_programs(request.user).filter(pk__in=other_ids).values_list("pk", flat=True))
        if other_ids
        else set()
    )
    can_edit = request.user.has_perm("programs.change_program", program)
    return render(
        request,
        "programs/program_detail.html",
        {
            "program": program,
            "page": page,
            "can_edit": can_edit,
            "panels": panels_for(request, program, can_edit=can_edit),
            "upstream": upstream,
            "downstream": downstream,
            "visible_program_ids": visible_ids | {program.pk},
            "overdue_milestones": sum(1 for m in page.milestones if m.days_overdue),
        },
    )


# --- Programs -------------------------------------------------------------------------------

FORM_PAGE = "programs/form_page.html"
CONFIRM_PAGE = "programs/confirm.html"


@require_http_methods(["GET", "POST"])
def program_create(request: SignedInRequest) -> HttpResponse:
    """Create a program (TPM role or admin); the creator is its TPM unless they pick another."""
    if not request.user.has_perm("programs.add_program"):
        raise PermissionDenied("Only TPMs and admins create programs.")
    return service_form_view(
        request,
        form=ProgramForm(request.POST or None, initial={"tpm": request.user.pk}),
        service=lambda data: services.program_create(user=request.user, **data),
        success_message=lambda program: (
            f"Program “{program.name}” created. Add its milestones next."
        ),
        success_url=lambda program: program,
        template=FORM_PAGE,
        context=form_page_context(
            program=None,
            title="New program",
            submit="Create program",
            intro="The brief is what leadership reads first: keep the problem statement to a paragraph.",
        ),
    )


@require_http_methods(["GET", "POST"])
def program_edit(request: SignedInRequest, slug: str) -> HttpResponse:
    """Edit a program's brief and facts, refusing the save if someone else changed it first."""
    program = editable_program(request, slug)
    return service_form_view(
        request,
        form=ProgramEditForm(request.POST or None, instance=copy.copy(program)),
        service=lambda data: services.program_update(program=program, user=request.user, **data),
        success_message="Program saved.",
        success_url=lambda updated: updated,
        template=FORM_PAGE,
        context=form_page_context(
            program=program, title=f"Edit {program.name}", submit="Save program"
        ),
    )


# --- Status updates -------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def status_update_create(request: SignedInRequest, slug: str) -> HttpResponse:
    """Post the weekly status update, with the previous one beside the form."""
    program = editable_program(request, slug)
    previous = program.status_updates.select_related("author").first()
    return service_form_view(
        request,
        form=StatusUpdateForm(request.POST or None, previous=previous),
        service=lambda data: services.status_update_post(
            program=program, user=request.user, **data
        ),
        success_message="Status update posted.",
        success_url=program,
        template="programs/status_update_form.html",
        context={
            **form_page_context(
                program=program, title="Post status update", submit="Post update", previous=previous
            ),
            "guidance": governing_link(GovernedWorkflow.STATUS_UPDATE),
        },
    )


# --- Milestones -----------------------------------------------------------------------------


def _milestone(program: Program, pk: int) -> Milestone:
    return get_object_or_404(Milestone.objects.select_related("program"), program=program, pk=pk)


@require_http_methods(["GET", "POST"])
def milestone_create(request: SignedInRequest, slug: str) -> HttpResponse:
    """Add a milestone; its baseline is fixed from here on."""
    program = editable_program(request, slug)
    return service_form_view(
        request,
        form=MilestoneForm(request.POST or None, user=request.user),
        service=lambda data: services.milestone_create(program=program, user=request.user, **data),
        success_message=lambda milestone: f"Milestone “{milestone.name}” added.",
        success_url=lambda milestone: milestone,
        template=FORM_PAGE,
        context=form_page_context(
            program=program,
            title="Add milestone",
            submit="Add milestone",
            intro="The baseline is the date agreed in the plan. It never moves; slips are measured against it.",
        ),
    )


@require_http_methods(["GET", "POST"])
def milestone_edit(request: SignedInRequest, slug: str, pk: int) -> HttpResponse:
    """Edit a milestone's details (not its dates: moving needs a reason)."""
    program = editable_program(request, slug)
    milestone = _milestone(program, pk)
    return service_form_view(
        request,
        form=MilestoneEditForm(
            request.POST or None, instance=copy.copy(milestone), user=request.user
        ),
        service=lambda data: services.milestone_update(
            milestone=milestone, user=request.user, **data
        ),
        success_message=lambda updated: f"Milestone “{updated.name}” saved.",
        success_url=lambda updated: updated,
        template=FORM_PAGE,
        context=form_page_context(
            program=program,
            title=f"Edit milestone “{milestone.name}”",
            submit="Save milestone",
            milestone=milestone,
        ),
    )


@require_http_methods(["GET", "POST"])
def milestone_move(request: SignedInRequest, slug: str, pk: int) -> HttpResponse:
    """Move a milestone's target date with a reason; the move is kept in its ledger."""
    program = editable_program(request, slug)
    milestone = _milestone(program, pk)
    return service_form_view(
        request,
        form=MilestoneMoveForm(request.POST or None, instance=milestone),
        service=lambda data: services.milestone_move(
            milestone=milestone, user=request.user, **data
        ),
        success_message=lambda moved: f"“{moved.name}” moved to {moved.target_date:%-d %b %Y}.",
        success_url=lambda moved: moved,
        template="programs/milestone_move.html",
        context=form_page_context(
            program=program,
            title=f"Move “{milestone.name}”",
            submit="Move date",
            milestone=milestone,
            date_changes=milestone.date_changes.select_related("changed_by"),
        ),
    )


@require_http_methods(["GET", "POST"])
def milestone_complete(request: SignedInRequest, slug: str, pk: int) -> HttpResponse:
    """Mark a milestone done, after a confirmation step."""
    program = editable_program(request, slug)
    milestone = _milestone(program, pk)
    return service_form_view(
        request,
        form=MilestoneCompleteForm(request.POST or None, instance=milestone),
        service=lambda data: services.milestone_complete(
            milestone=milestone, user=request.user, **data
        ),
        success_message=lambda done: f"“{done.name}” is done.",
        success_url=lambda done: done,
        template=CONFIRM_PAGE,
        context=form_page_context(
            program=program,
            title=f"Complete “{milestone.name}”?",
            submit="Mark as done",
            intro="A done milestone no longer moves and leaves the schedule. This cannot be undone here.",
            object=milestone,
        ),
    )


# --- Risks ----------------------------------------------------------------------------------


def _risk(program: Program, pk: int) -> Risk:
    return get_object_or_404(Risk, program=program, pk=pk)


def _risk_url(risk: Risk) -> str:
    return f"{risk.program.get_absolute_url()}#risk-{risk.pk}"


@require_http_methods(["GET", "POST"])
def risk_create(request: SignedInRequest, slug: str) -> HttpResponse:
    """Add a risk to the program's RAID log."""
    program = editable_program(request, slug)
    return service_form_view(
        request,
        form=RiskForm(request.POST or None),
        service=lambda data: services.risk_create(program=program, user=request.user, **data),
        success_message=lambda risk: f"Risk “{risk.title}” added.",
        success_url=_risk_url,
        template=FORM_PAGE,
        context=form_page_context(program=program, title="Add risk", submit="Add risk"),
    )


@require_http_methods(["GET", "POST"])
def risk_edit(request: SignedInRequest, slug: str, pk: int) -> HttpResponse:
    """Edit a risk: its scoring, owner, mitigation or state."""
    program = editable_program(request, slug)
    risk = _risk(program, pk)
    return service_form_view(
        request,
        form=RiskEditForm(request.POST or None, instance=copy.copy(risk)),
        service=lambda data: services.risk_update(risk=risk, user=request.user, **data),
        success_message=lambda updated: f"Risk “{updated.title}” saved.",
        success_url=_risk_url,
        template=FORM_PAGE,
        context=form_page_context(
            program=program, title=f"Edit risk “{risk.title}”", submit="Save risk"
        ),
    )


@require_http_methods(["GET", "POST"])
def risk_close(request: SignedInRequest, slug: str, pk: int) -> HttpResponse:
    """Close a risk, after a confirmation step."""
    program = editable_program(request, slug)
    risk = _risk(program, pk)
    if risk.state == RiskState.CLOSED:
        messages.info(request, f"Risk “{risk.title}” is already closed.")
        return redirect(program)
    return service_form_view(
        request,
        form=VersionConfirmForm(request.POST or None, instance=risk),
        service=lambda data: services.risk_close(risk=risk, user=request.user, **data),
        success_message=lambda closed: f"Risk “{closed.title}” closed.",
        success_url=_risk_url,
        template=CONFIRM_PAGE,
        context=form_page_context(
            program=program,
            title=f"Close risk “{risk.title}”?",
            submit="Close risk",
            intro="A closed risk leaves the open log and stops counting against the program's health.",
            object=risk,
        ),
    )


# --- Decisions ------------------------------------------------------------------------------


def _decision_url(decision: Decision) -> str:
    return f"{decision.program.get_absolute_url()}#decision-{decision.pk}"


@require_http_methods(["GET", "POST"])
def decision_create(request: SignedInRequest, slug: str) -> HttpResponse:
    """Record a decision in the program's log."""
    program = editable_program(request, slug)
    return service_form_view(
        request,
        form=DecisionForm(request.POST or None, initial={"decided_by": request.user.pk}),
        service=lambda data: services.decision_record(program=program, user=request.user, **data),
        success_message=lambda decision: f"Decision “{decision.title}” recorded.",
        success_url=_decision_url,
        template=FORM_PAGE,
        context=form_page_context(
            program=program, title="Record a decision", submit="Record decision"
        ),
    )


@require_http_methods(["GET", "POST"])
def decision_edit(request: SignedInRequest, slug: str, pk: int) -> HttpResponse:
    """Correct a recorded decision."""
    program = editable_program(request, slug)
    decision = get_object_or_404(Decision, program=program, pk=pk)
    return service_form_view(
        request,
        form=DecisionEditForm(request.POST or None, instance=copy.copy(decision)),
        service=lambda data: services.decision_update(decision=decision, user=request.user, **data),
        success_message=lambda updated: f"Decision “{updated.title}” saved.",
        success_url=_decision_url,
        template=FORM_PAGE,
        context=form_page_context(
            program=program,
            title=f"Edit decision “{decision.title}”",
            submit="Save decision",
        ),
    )


# --- Members --------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def members(request: SignedInRequest, slug: str) -> HttpResponse:
    """The program's members: add a person or change a role (the same form does both)."""
    program = editable_program(request, slug)
    return service_form_view(
        request,
        form=MembershipForm(request.POST or None),
        service=lambda data: services.membership_set(program=program, user=request.user, **data),
        success_message=lambda membership: (
            f"{person_label(membership.user)} is now {membership.get_role_display().lower()}"
            " on this program."
        ),
        success_url=reverse("programs:members", kwargs={"slug": program.slug}),
        template="programs/members.html",
        context={
            "program": program,
            "memberships": program.memberships.select_related("user").order_by(
                "role", "user__first_name"
            ),
        },
    )


@require_http_methods(["GET", "POST"])
def member_remove(request: SignedInRequest, slug: str, pk: int) -> HttpResponse:
    """Remove a person from the program, after a confirmation step (never its TPM)."""
    program = editable_program(request, slug)
    membership = get_object_or_404(
        ProgramMembership.objects.select_related("user", "program"), pk=pk, program=program
    )
    return service_form_view(
        request,
        form=forms.Form(request.POST if request.method == "POST" else None),
        service=lambda _data: services.membership_remove(membership=membership, user=request.user),
        success_message=f"{person_label(membership.user)} removed from the program.",
        success_url=reverse("programs:members", kwargs={"slug": program.slug}),
        template=CONFIRM_PAGE,
        context=form_page_context(
            program=program,
            title=f"Remove {person_label(membership.user)} from the program?",
            submit="Remove",
            intro="They keep their account; a confidential program disappears from their view.",
            object=membership,
        ),
    )


@require_GET
def search_view(request: SignedInRequest) -> HttpResponse:
    """Search across program plans and playbooks (``programs.search``)."""
    results = search(user=request.user, query=request.GET.get("q", ""))
    return render(request, "search/results.html", {"results": results})
