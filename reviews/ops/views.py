"""The operational-review pages: the list, one review with its agenda, the printable view,
the create and edit forms, and the meeting's htmx actions (action items, decisions).

They show the agenda (``reviews.ops.agenda``); every write goes
through ``reviews.ops.services``. Everyone signed in reads reviews (agendas and items leave
out the programs the reader may not see); TPMs, leadership and admins run them
(``can_run_reviews``, 403 otherwise); an action item's owner may also close it.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import StaleWriteError
from core.forms import run_service
from core.generic_views import service_form_view
from core.list_pages import ListPage
from core.types import SignedInRequest
from programs.playbooks.models import GovernedWorkflow
from programs.playbooks.selectors import governing_link
from programs.selectors import visible_programs
from reviews.forms import TransitionForm
from reviews.models import OperationalReviewState
from reviews.ops import services
from reviews.ops.agenda import agenda_item_count, review_agenda
from reviews.ops.filters import OperationalReviewListFilter
from reviews.ops.forms import (
    ActionItemForm,
    DecisionForm,
    OperationalReviewEditForm,
    OperationalReviewForm,
)
from reviews.ops.selectors import (
    current_review,
    my_action_items,
    next_review,
    operational_review_get,
    operational_review_list,
    previous_review,
    review_action_items,
    review_decisions,
    visible_action_items,
)
from reviews.states import available_actions

PAGE_SIZE = 20
NAV = "ops"


def _require_runner(request: SignedInRequest) -> None:
    if not services.can_run_reviews(request.user):
        raise PermissionDenied("TPMs, leadership and admins run operational reviews.")


@require_http_methods(["GET", "HEAD"])
def ops_list(request: SignedInRequest) -> HttpResponse:
    """Open and upcoming reviews (soonest first) or past ones (latest first), filtered with the API's
    FilterSet (``reviews.ops.filters``) and paginated; htmx gets the results only."""
    filters = OperationalReviewListFilter(request.GET)
    list_page = ListPage(
        url=reverse("ops:list"),
        results_id="ops-results",
        filter_label="Filter operational reviews",
        # Equal columns (the capacity bar's), not the programs bar's eight narrow ones.
        filters_class="filters-grid-fit",
    )
    page = Paginator(operational_review_list(filters=filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "nav_section": NAV,
        "filter_form": filters.form,
        "list_page": list_page,
        "page": page,
        "when": filters.showing,
        "filtered": filters.narrows,
        "current": current_review(),
        "can_run": services.can_run_reviews(request.user),
    }
    template = "reviews/ops/list.html"
    if list_page.wants_results_only(request):
        template += "#results"
    return render(request, template, context)


@require_http_methods(["GET", "HEAD"])
def my_items(request: SignedInRequest) -> HttpResponse:
    """The signed-in user's action items from every review: open (overdue first) or done."""
    done = request.GET.get("show") == "done"
    page = Paginator(my_action_items(request.user, done=done), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "reviews/ops/my_items.html",
        {
            "nav_section": NAV,
            "page": page,
            "done": done,
            "today": timezone.localdate(),
            "open_count": my_action_items(request.user).count() if done else page.paginator.count,
        },
    )


@require_POST
def my_item_transition(request: SignedInRequest, item_pk: int, action: str) -> HttpResponse:
    """Close (or reopen) one of the user's own items between meetings, from their list."""
    if action not in services.ACTION_ITEM_TRANSITIONS:
        raise Http404("No such action.")
    item = get_object_or_404(visible_action_items(request.user), pk=item_pk, owner=request.user)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "This page is out of date: reload it and try again.")
    else:
        try:
            services.action_item_transition(
                item=item, user=request.user, action=action, version=form.cleaned_data["version"]
            )
        except (ValidationError, StaleWriteError) as refusal:
            messages.error(request, " ".join(getattr(refusal, "messages", [str(refusal)])))
        else:
            done = "closed" if action == "close" else "reopened"
            messages.success(request, f"“{item.title}” {done}.")
    back = request.POST.get("show") == "done"
    return redirect(f"{reverse('ops:my-items')}{'?show=done' if back else ''}")


@require_http_methods(["GET", "HEAD"])
def ops_current(request: SignedInRequest) -> HttpResponse:
    """This week's review, or the list when there is none yet."""
    review = current_review()
    return redirect(review if review else "ops:list")


FORM_PAGE = "reviews/ops/form.html"


def _form_context(*, title: str, submit: str, cancel_url: str, review=None) -> dict:
    return {
        "nav_section": NAV,
        "title": title,
        "submit_label": submit,
        "cancel_url": cancel_url,
        "review": review,
        "guidance": governing_link(GovernedWorkflow.OPS_REVIEW),
    }


@require_http_methods(["GET", "POST"])
def ops_create(request: SignedInRequest) -> HttpResponse:
    _require_runner(request)
    initial = {"date": timezone.localdate(), "title": "Weekly operational review"}
    return service_form_view(
        request,
        form=OperationalReviewForm(request.POST or None, initial=initial),
        service=lambda data: services.operational_review_create(user=request.user, **data),
        success_message="Operational review scheduled.",
        success_url=lambda review: review,
        template=FORM_PAGE,
        context=_form_context(
            title="New operational review", submit="Schedule review", cancel_url="/ops-reviews/"
        ),
    )


@require_http_methods(["GET", "POST"])
def ops_edit(request: SignedInRequest, pk: int) -> HttpResponse:
    _require_runner(request)
    review = operational_review_get(pk=pk)
    if review.is_closed:
        messages.error(request, "This review is closed: its record no longer changes.")
        return redirect(review)
    return service_form_view(
        request,
        form=OperationalReviewEditForm(request.POST or None, instance=review),
        service=lambda data: services.operational_review_update(
            review=review, user=request.user, version=data.pop("version"), **data
        ),
        success_message="Review saved.",
        success_url=lambda saved: saved,
        template=FORM_PAGE,
        context=_form_context(
            title=f"Edit {review.title}",
            submit="Save",
            cancel_url=review.get_absolute_url(),
            review=review,
        ),
    )


def _detail_context(request, review, *, item_form=None, decision_form=None, item_error=""):
    user = request.user
    can_run = services.can_run_reviews(user)
    agenda = review_agenda(review=review, user=user)
    programs = visible_programs(user)
    open_review = not review.is_closed
    return {
        "nav_section": NAV,
        "review": review,
        "agenda": agenda,
        "agenda_count": agenda_item_count(agenda),
        "items": review_action_items(review=review, user=user),
        "decisions": review_decisions(review=review, user=user),
        "previous": previous_review(review),
        "next": next_review(review),
        "can_run": can_run,
        "actions": available_actions(services.OPERATIONAL_REVIEW_TRANSITIONS, review.state)
        if can_run
        else [],
        "item_form": item_form
        or (ActionItemForm(programs=programs) if can_run and open_review else None),
        "decision_form": decision_form
        or (DecisionForm(programs=programs) if can_run and open_review else None),
        "item_error": item_error,
        "guidance": governing_link(GovernedWorkflow.OPS_REVIEW, at=review.created_at),
    }


@require_http_methods(["GET", "HEAD"])
def ops_detail(request: SignedInRequest, pk: int) -> HttpResponse:
    review = operational_review_get(pk=pk)
    return render(request, "reviews/ops/detail.html", _detail_context(request, review))


@require_http_methods(["GET", "HEAD"])
def ops_print(request: SignedInRequest, pk: int) -> HttpResponse:
    """The agenda, notes, decisions and action items on one clean page to print or share."""
    review = operational_review_get(pk=pk)
    context = _detail_context(request, review)
    context.update(item_form=None, decision_form=None, actions=[], printable=True)
    return render(request, "reviews/ops/print.html", context)


@require_POST
def ops_transition(request: SignedInRequest, pk: int, action: str) -> HttpResponse:
    _require_runner(request)
    review = operational_review_get(pk=pk)
    if action not in services.OPERATIONAL_REVIEW_TRANSITIONS:
        raise Http404("No such action.")
    form = TransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "This page is out of date: reload it and try again.")
        return redirect(review)
    try:
        moved = services.operational_review_transition(
            review=review, user=request.user, action=action, version=form.cleaned_data["version"]
        )
    except (ValidationError, StaleWriteError) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
        return redirect(review)
    messages.success(
        request,
        "Review closed: its agenda is kept as it is now."
        if moved.state == OperationalReviewState.CLOSED
        else "Review started.",
    )
    return redirect(moved)


def _items_response(request, review, **context_overrides) -> HttpResponse:
    """The action-items section (htmx swaps it in place), or the page without JavaScript."""
    context = _detail_context(request, review, **context_overrides)
    if request.htmx:
        return render(request, "reviews/ops/detail.html#action-items", context)
    if context_overrides:
        return render(request, "reviews/ops/detail.html", context, status=400)
    return redirect(f"{review.get_absolute_url()}#action-items")


@require_POST
def action_item_add(request: SignedInRequest, pk: int) -> HttpResponse:
    _require_runner(request)
    review = operational_review_get(pk=pk)
    form = ActionItemForm(request.POST, programs=visible_programs(request.user))
    if form.is_valid():
        created = run_service(
            form,
            lambda: services.action_item_create(
                review=review, user=request.user, **form.cleaned_data
            ),
        )
        if created:
            if not request.htmx:
                messages.success(request, f"Action item added: {created.title}.")
            return _items_response(request, review)
    return _items_response(request, review, item_form=form)


@require_POST
def action_item_transition(
    request: SignedInRequest, pk: int, item_pk: int, action: str
) -> HttpResponse:
    """Close (or reopen) an action item from a review: runners and the item's owner."""
    review = operational_review_get(pk=pk)
    item = get_object_or_404(visible_action_items(request.user), pk=item_pk)
    if action not in services.ACTION_ITEM_TRANSITIONS:
        raise Http404("No such action.")
    if not services.can_close_action_item(request.user, item):
        raise PermissionDenied("TPMs, leadership, admins and the item's owner close it.")
    form = TransitionForm(request.POST)
    error = ""
    if not form.is_valid():
        error = "This page is out of date: reload it and try again."
    else:
        try:
            services.action_item_transition(
                item=item,
                user=request.user,
                action=action,
                version=form.cleaned_data["version"],
                review=None if review.is_closed else review,
            )
        except (ValidationError, StaleWriteError) as refusal:
            error = " ".join(getattr(refusal, "messages", [str(refusal)]))
    if error:
        if not request.htmx:
            messages.error(request, error)
            return redirect(review)
        return _items_response(request, review, item_error=error)
    return _items_response(request, review)


@require_POST
def decision_add(request: SignedInRequest, pk: int) -> HttpResponse:
    _require_runner(request)
    review = operational_review_get(pk=pk)
    form = DecisionForm(request.POST, programs=visible_programs(request.user))
    if form.is_valid():
        recorded = run_service(
            form,
            lambda: services.operational_review_decision_record(
                review=review, user=request.user, **form.cleaned_data
            ),
        )
        if recorded:
            messages.success(
                request, f"Decision recorded in {recorded.program.name}'s decision log."
            )
            return redirect(f"{review.get_absolute_url()}#decisions")
    context = _detail_context(request, review, decision_form=form)
    return render(request, "reviews/ops/detail.html", context, status=400)
