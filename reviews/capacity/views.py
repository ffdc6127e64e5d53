"""The capacity pages: requests, one request with its decision, a team's quarter, budgets.

Thin like every view: parse, check permission (``reviews.rules``), call a selector or a
service (``reviews.capacity.services``), render. A request is read through its program's
visibility (404 otherwise); its requester edits and submits the draft; the capacity council
and admins decide and mark it fulfilled.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import StaleWriteError
from core.formatting import format_quantity
from core.forms import run_service
from core.generic_views import service_form_view
from core.list_pages import ListPage
from core.roles import is_admin
from core.types import SignedInRequest
from programs.models import Team
from programs.playbooks.models import GovernedWorkflow
from programs.playbooks.selectors import governing_link
from programs.selectors import visible_programs
from reviews.capacity import services
from reviews.capacity.charts import capacity_vs_budget, figure_data
from reviews.capacity.filters import CapacityRequestListFilter
from reviews.capacity.forms import (
    CapacityDecisionForm,
    CapacityRequestEditForm,
    CapacityRequestForm,
    current_quarter,
)
from reviews.capacity.selectors import (
    budget_overview,
    capacity_request_get_for_user,
    capacity_request_list,
    request_budget,
    team_capacity,
    team_requests,
)
from reviews.forms import TransitionForm
from reviews.models import CapacityRequest, CapacityRequestState, quarter_validator
from reviews.rules import is_capacity_approver
from reviews.views import flash_refusal

PAGE_SIZE = 25


def _my_teams(user):
    return Team.objects.all() if is_admin(user) else Team.objects.filter(members=user)


def _shift_quarter(quarter: str, step: int) -> str:
    year, q = int(quarter[:4]), int(quarter[-1])
    index = year * 4 + (q - 1) + step
    return f"{index // 4}-Q{index % 4 + 1}"


@require_http_methods(["GET", "HEAD"])
def capacity_list_view(request: SignedInRequest) -> HttpResponse:
    """Capacity requests the user can see, newest first, filtered with the API's FilterSet
    (``reviews.capacity.filters``) and paginated; htmx gets the results only."""
    filters = CapacityRequestListFilter(request.GET)
    list_page = ListPage(
        url=reverse("reviews:capacity-list"),
        results_id="capacity-results",
        filter_label="Filter capacity requests",
        search_field="id_quarter",
        filters_class="filters-grid-fit",
    )
    page = Paginator(capacity_request_list(user=request.user, filters=filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "nav_section": "capacity",
        "filter_form": filters.form,
        "list_page": list_page,
        "page": page,
        "filtered": filters.narrows,
        "can_create": _my_teams(request.user).exists(),
        "quarter": current_quarter(),
    }
    template = "reviews/capacity/list.html"
    if list_page.wants_results_only(request):
        template += "#results"
    return render(request, template, context)


def _form_page(*, title, submit, cancel_url, intro="", crumbs=()) -> dict:
    """A capacity form page's template and context; its breadcrumbs lead back to capacity,
    never to the programs."""
    return {
        "template": "programs/form_page.html",
        "context": {
            "program": None,
            "title": title,
            "submit_label": submit,
            "cancel_url": cancel_url,
            "intro": intro,
            "nav_section": "capacity",
            "breadcrumbs": [("Capacity requests", reverse("reviews:capacity-list")), *crumbs],
            "guidance": governing_link(GovernedWorkflow.CAPACITY),
        },
    }


@require_http_methods(["GET", "POST"])
def capacity_create(request: SignedInRequest) -> HttpResponse:
    """File a capacity request for one of the user's teams (admins: any team)."""
    teams = _my_teams(request.user)
    if not teams.exists():
        raise PermissionDenied("Members of a team file its capacity requests.")
    initial = {}
    if slug := request.GET.get("program"):
        program = visible_programs(request.user).filter(slug=slug).first()
        initial["program"] = program.pk if program else None
    if teams.count() == 1:
        initial["team"] = teams.first().pk
    form = CapacityRequestForm(
        request.POST or None,
        initial=initial,
        teams=teams,
        programs=visible_programs(request.user),
    )
    return service_form_view(
        request,
        form=form,
        service=lambda data: services.capacity_request_create(user=request.user, **data),
        success_message="Capacity request saved as a draft. Submit it when ready.",
        success_url=lambda created: created,
        **_form_page(
            title="New capacity request",
            submit="Save draft",
            cancel_url=reverse("reviews:capacity-list"),
            intro="Say how you sized it: the council weighs your ask against the team's budget.",
        ),
    )


def _detail_context(request: SignedInRequest, capacity_request, decision_form=None) -> dict:
    user = request.user
    submitted = capacity_request.state == CapacityRequestState.SUBMITTED
    can_decide = submitted and services.decision_refusal(user, capacity_request) is None
    return {
        "nav_section": "capacity",
        "capacity_request": capacity_request,
        "program": capacity_request.program,
        "can_edit": capacity_request.state == CapacityRequestState.DRAFT
        and user.has_perm("reviews.change_capacityrequest", capacity_request),
        "can_decide": can_decide,
        "can_fulfill": capacity_request.state
        in (CapacityRequestState.APPROVED, CapacityRequestState.PARTIALLY_APPROVED)
        and is_capacity_approver(user),
        "budget": request_budget(request=capacity_request),
        "guidance": governing_link(GovernedWorkflow.CAPACITY, at=capacity_request.created_at),
        "decision_form": decision_form
        or (CapacityDecisionForm(instance=capacity_request) if can_decide else None),
    }


@require_http_methods(["GET", "HEAD"])
def capacity_detail(request: SignedInRequest, pk: int) -> HttpResponse:
    """A request: what, why, its state and decision; the actions the user may take."""
    capacity_request = capacity_request_get_for_user(user=request.user, pk=pk)
    return render(
        request, "reviews/capacity/detail.html", _detail_context(request, capacity_request)
    )


@require_http_methods(["GET", "POST"])
def capacity_edit(request: SignedInRequest, pk: int) -> HttpResponse:
    """Change a draft request (its requester or an admin)."""
    capacity_request = capacity_request_get_for_user(user=request.user, pk=pk)
    if not request.user.has_perm("reviews.change_capacityrequest", capacity_request):
        raise PermissionDenied("Only the requester and admins change a request.")
    form = CapacityRequestEditForm(
        request.POST or None,
        instance=capacity_request,
        teams=_my_teams(request.user) | Team.objects.filter(pk=capacity_request.team_id),
        programs=visible_programs(request.user),
    )
    crumb = (
        f"{format_quantity(capacity_request.amount, capacity_request.unit)} for "
        f"{capacity_request.program.name}"
    )

    def save(data: dict) -> CapacityRequest:
        # Validating the ModelForm copied the typed values onto the request: the service must
        # see the stored one (its state, and the program it leaves, which is rescored too).
        capacity_request.refresh_from_db()
        return services.capacity_request_update(
            request=capacity_request, user=request.user, version=data.pop("version"), **data
        )

    return service_form_view(
        request,
        form=form,
        service=save,
        success_message="Capacity request saved.",
        success_url=lambda updated: updated,
        **_form_page(
            title="Edit capacity request",
            submit="Save",
            cancel_url=capacity_request.get_absolute_url(),
            crumbs=[(crumb, capacity_request.get_absolute_url())],
        ),
    )


@require_POST
def capacity_transition(request: SignedInRequest, pk: int, action: str) -> HttpResponse:
    """Submit a draft (its requester) or mark an approved request fulfilled (the council)."""
    capacity_request = capacity_request_get_for_user(user=request.user, pk=pk)
    if action == "submit":
        if not request.user.has_perm("reviews.change_capacityrequest", capacity_request):
            raise PermissionDenied("Only the requester and admins submit a request.")
        call = services.capacity_request_submit
    elif action == "fulfill":
        if not is_capacity_approver(request.user):
            raise PermissionDenied("Only the capacity council and admins do this.")
        call = services.capacity_request_fulfill
    else:
        raise Http404("No such action.")
    form = TransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "This page was out of date; here is the current request.")
        return redirect(capacity_request)
    try:
        changed = call(
            request=capacity_request, user=request.user, version=form.cleaned_data["version"]
        )
    except (ValidationError, StaleWriteError) as error:
        flash_refusal(request, error)
        return redirect(capacity_request)
    if changed.auto_approved and action == "submit":
        messages.success(request, changed.decision_note)
    else:
        messages.success(request, f"Request is now {changed.get_state_display().lower()}.")
    return redirect(changed)


@require_POST
def capacity_decide(request: SignedInRequest, pk: int) -> HttpResponse:
    """Approve (all or part, with an override reason when over budget) or deny."""
    capacity_request = capacity_request_get_for_user(user=request.user, pk=pk)
    refusal = services.decision_refusal(request.user, capacity_request)
    if refusal:
        raise PermissionDenied(refusal)
    form = CapacityDecisionForm(request.POST, instance=capacity_request)
    if form.is_valid():
        data = form.cleaned_data
        if data["decision"] == "deny":
            call = lambda: services.capacity_request_deny(  # noqa: E731
                request=capacity_request, user=request.user, version=data["version"],
                note=data["note"],
            )  # fmt: skip
        else:
            call = lambda: services.capacity_request_approve(  # noqa: E731
                request=capacity_request, user=request.user, version=data["version"],
                approved_amount=data["approved_amount"], note=data["note"],
                override_reason=data["override_reason"],
            )  # fmt: skip
        decided = run_service(form, call)
        if decided:
            messages.success(request, f"Request {decided.get_state_display().lower()}.")
            return redirect(decided)
    capacity_request.refresh_from_db()
    return render(
        request,
        "reviews/capacity/detail.html",
        _detail_context(request, capacity_request, decision_form=form),
        status=200,
    )


@require_http_methods(["GET", "HEAD"])
def team_capacity_view(request: SignedInRequest, slug: str, quarter: str) -> HttpResponse:
    """One team's quarter: requested, approved and budget per resource kind, with a chart."""
    team = get_object_or_404(Team, slug=slug)
    try:
        quarter_validator(quarter)
    except ValidationError:
        raise Http404("Not a quarter.") from None
    rows = team_capacity(team=team, quarter=quarter)
    return render(
        request,
        "reviews/capacity/team.html",
        {
            "nav_section": "capacity",
            "team": team,
            "quarter": quarter,
            "previous_quarter": _shift_quarter(quarter, -1),
            "next_quarter": _shift_quarter(quarter, 1),
            "rows": rows,
            "figure": figure_data(capacity_vs_budget(rows))
            if any(r.budget for r in rows)
            else None,
            "requests": team_requests(user=request.user, team=team, quarter=quarter),
        },
    )


@require_http_methods(["GET", "HEAD"])
def budgets_view(request: SignedInRequest) -> HttpResponse:
    """Every team's budgets for a quarter against what was approved."""
    quarter = request.GET.get("quarter") or current_quarter()
    try:
        quarter_validator(quarter)
    except ValidationError:
        quarter = current_quarter()
    return render(
        request,
        "reviews/capacity/budgets.html",
        {
            "nav_section": "capacity",
            "quarter": quarter,
            "previous_quarter": _shift_quarter(quarter, -1),
            "next_quarter": _shift_quarter(quarter, 1),
            "overview": budget_overview(quarter=quarter),
            "can_manage": is_admin(request.user),
        },
    )
