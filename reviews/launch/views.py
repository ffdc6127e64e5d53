"""The launch-review pages: the reviewer's queue, the launches list, one review, and its forms.

Views are thin: parse with a form, check permission (``reviews.rules``), call a selector or a
service, render. A review is read through ``review_get_for_user`` (404 when its program is
hidden from the user); changing it needs ``reviews.change_launchreview`` (403 otherwise).
Checklist answers are saved one item at a time, as the user answers (``static/js/checklist.js``):
htmx swaps the item's status line back in place (with the progress), and without JavaScript
the form posts and returns to the item.
"""

import copy
from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import StaleWriteError
from core.forms import run_service
from core.generic_views import service_form_view
from core.list_pages import ListPage
from core.types import SignedInRequest
from programs.selectors import program_get_for_user
from reviews.forms import TransitionForm
from reviews.launch import services
from reviews.launch.filters import LaunchReviewListFilter
from reviews.launch.forms import (
    CommentForm,
    ItemAnswerForm,
    LaunchReviewEditForm,
    LaunchReviewForm,
    SignOffForm,
)
from reviews.launch.selectors import (
    ReviewPage,
    authored_open_reviews,
    launch_review_guidance,
    launch_review_list,
    launch_review_page,
    review_get_for_user,
    review_queue,
)
from reviews.models import (
    REVIEWABLE_STATES,
    AnswerStatus,
    LaunchReview,
    LaunchReviewItem,
    LaunchReviewState,
    ReviewArea,
    SignOffDecision,
)
from reviews.rules import reviewer_areas
from reviews.states import LAUNCH_REVIEW_TRANSITIONS, available_actions
from reviews.views import flash_refusal

PAGE_SIZE = 25
# The answer choices in the order people pick them.
ANSWER_CHOICES = [
    (status, AnswerStatus(status).label)
    for status in (AnswerStatus.DONE, AnswerStatus.NOT_APPLICABLE, AnswerStatus.NOT_DONE)
]


@dataclass(frozen=True)
class AreaProgress:
    """One area's required items answered (done or not applicable), for the sticky bar."""

    area: str
    label: str
    done: int
    required: int

    @property
    def complete(self) -> bool:
        return bool(self.required) and self.done == self.required


@dataclass(frozen=True)
class ChecklistProgress:
    """What stands between the author and submitting: required items answered, by area."""

    done: int
    required: int
    answered: int
    total: int
    areas: list[AreaProgress]

    @property
    def percent(self) -> int:
        # Round down: "100%" must mean nothing required is left.
        return 100 * self.done // self.required if self.required else 100


def checklist_progress(page: ReviewPage) -> ChecklistProgress:
    areas = [
        AreaProgress(
            area=section.area,
            label=section.label,
            done=sum(1 for item in section.items if item.required and not item.is_open),
            required=sum(1 for item in section.items if item.required),
        )
        for section in page.areas
    ]
    return ChecklistProgress(
        done=sum(area.done for area in areas),
        required=sum(area.required for area in areas),
        answered=page.answered,
        total=page.total,
        areas=areas,
    )


def _authorable(request: SignedInRequest, pk: int) -> LaunchReview:
    """The review if the user may change it: 404 if hidden, 403 if only readable."""
    review = review_get_for_user(user=request.user, pk=pk)
    if not request.user.has_perm("reviews.change_launchreview", review):
        raise PermissionDenied("Only the review's author, the program's leads and admins do this.")
    return review


# --- Lists ----------------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD"])
def review_queue_view(request: SignedInRequest) -> HttpResponse:
    """What waits for the reviewer's areas, and the user's own open launch reviews."""
    return render(
        request,
        "reviews/launch/queue.html",
        {
            "nav_section": "reviews",
            "rows": review_queue(user=request.user),
            "my_areas": [ReviewArea(area).label for area in sorted(reviewer_areas(request.user))],
            "authored": authored_open_reviews(user=request.user),
        },
    )


@require_http_methods(["GET", "HEAD"])
def launch_list_view(request: SignedInRequest) -> HttpResponse:
    """Launches by date and state, filtered with the API's FilterSet and paginated.

    The filters live in the query string (``reviews.launch.filters``); htmx gets the results.
    """
    filters = LaunchReviewListFilter(request.GET)
    list_page = ListPage(
        url=reverse("reviews:launch-list"),
        results_id="launch-results",
        filter_label="Filter launches",
        search_field="id_q",
        filters_class="filters-grid-launches",
    )
    page = Paginator(launch_review_list(user=request.user, filters=filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "nav_section": "launches",
        "filter_form": filters.form,
        "list_page": list_page,
        "page": page,
        "filtered": filters.narrows,
    }
    template = "reviews/launch/list.html"
    if list_page.wants_results_only(request):
        template += "#results"
    return render(request, template, context)


# --- One review -----------------------------------------------------------------------------


def _detail_context(request: SignedInRequest, review: LaunchReview, **extra) -> dict:
    user = request.user
    can_author = user.has_perm("reviews.change_launchreview", review)
    mine = reviewer_areas(user) if review.author_id != user.pk else frozenset()
    page = launch_review_page(review=review)
    review_areas = {section.area for section in page.areas}
    reviewable = review.state in REVIEWABLE_STATES
    actions = []
    for action in available_actions(LAUNCH_REVIEW_TRANSITIONS, review.state):
        if (action in services.AUTHOR_ACTIONS and can_author) or (
            action == "start_review" and mine & review_areas
        ):
            actions.append((action, LAUNCH_REVIEW_TRANSITIONS[action].label))
    return {
        "nav_section": "launches",
        "review": review,
        "program": review.program,
        "page": page,
        "progress": checklist_progress(page),
        "guidance": launch_review_guidance(review=review, page=page),
        "can_author": can_author,
        "can_answer": can_author and review.is_editable,
        "sign_areas": [s for s in page.areas if s.area in mine] if reviewable else [],
        "actions": actions,
        "comment_form": CommentForm(),
        "can_comment": can_author or bool(mine & review_areas),
        "statuses": ANSWER_CHOICES,
        **extra,
    }


@require_http_methods(["GET", "HEAD"])
def launch_detail(request: SignedInRequest, pk: int) -> HttpResponse:
    """The review: checklist by area with progress, sign-offs, conversation, allowed actions."""
    review = review_get_for_user(user=request.user, pk=pk)
    return render(request, "reviews/launch/detail.html", _detail_context(request, review))


@require_http_methods(["GET", "POST"])
def launch_create(request: SignedInRequest, slug: str) -> HttpResponse:
    """Start a launch review of a program (its members and leads): the checklist is copied."""
    program = program_get_for_user(user=request.user, slug=slug)
    if not request.user.has_perm("reviews.add_launchreview", program):
        raise PermissionDenied("Members of the program start its launch reviews.")
    return service_form_view(
        request,
        form=LaunchReviewForm(request.POST or None, program=program, initial={"tier": 2}),
        service=lambda data: services.launch_review_create(
            program=program, user=request.user, **data
        ),
        success_message=lambda review: (
            f"Launch review “{review.title}” created. Answer its checklist next."
        ),
        success_url=lambda review: review,
        template="programs/form_page.html",
        context={
            "program": program,
            "title": "New launch review",
            "submit_label": "Create launch review",
            "intro": "Reviewers of each area sign the launch off once every required item is "
            "done or marked not applicable.",
            "cancel_url": program.get_absolute_url(),
        },
    )


@require_http_methods(["GET", "POST"])
def launch_edit(request: SignedInRequest, pk: int) -> HttpResponse:
    """Change a review's title, launch date or milestone."""
    review = _authorable(request, pk)

    def save(data: dict) -> LaunchReview:
        # Validating the ModelForm copied the typed values onto ``review``: the service must
        # see the stored review (its state decides whether it may change).
        review.refresh_from_db()
        return services.launch_review_update(
            review=review, user=request.user, version=data.pop("version"), **data
        )

    return service_form_view(
        request,
        form=LaunchReviewEditForm(request.POST or None, instance=review, program=review.program),
        service=save,
        success_message="Launch review saved.",
        success_url=lambda updated: updated,
        template="programs/form_page.html",
        context={
            "program": review.program,
            "title": f"Edit “{review.title}”",
            "submit_label": "Save",
            "cancel_url": review.get_absolute_url(),
            "breadcrumbs": [
                ("Launches", reverse("reviews:launch-list")),
                (review.title, review.get_absolute_url()),
            ],
        },
    )


@require_POST
def item_answer(request: SignedInRequest, pk: int, item_pk: int) -> HttpResponse:
    """Save one checklist answer; the page calls this as the user answers.

    htmx gets the whole item with the progress out of band; the page takes only the item's
    status line, summary row and version from it, so what the user is still typing stays. A
    refused answer comes back with 422 and a stale one with 409 (the stored answer in the
    summary, the user's version kept, so no later save overwrites the other change unseen).
    Without JavaScript the form posts and returns to the item.
    """
    review = _authorable(request, pk)
    item = get_object_or_404(LaunchReviewItem, review=review, pk=item_pk)
    form = ItemAnswerForm(request.POST)
    saved = None
    if form.is_valid():
        data = dict(form.cleaned_data)
        saved = run_service(
            form,
            lambda: services.launch_review_item_answer(
                item=item, user=request.user, version=data.pop("version"), **data
            ),
        )
    if not request.htmx:
        if saved:
            messages.success(request, "Answer saved.")
        else:
            messages.error(
                request, " ".join(str(e) for errors in form.errors.values() for e in errors)
            )
        return redirect(f"{review.get_absolute_url()}#item-{item.pk}")
    review.refresh_from_db()
    context = _detail_context(request, review)
    conflict = bool(getattr(form, "stale", False))
    # The version the item's form carries next: the saved one, or on a refusal the one the
    # user's page had (a conflict must not quietly adopt the newer answer's version).
    version: int | str
    if saved:
        stored = answer = saved
        version = saved.version
        status = 200
    else:
        stored = LaunchReviewItem.objects.select_related("answered_by").get(pk=item.pk)
        # The inputs show what the user typed next to the errors, not the stored answer.
        answer = copy.copy(stored)
        answer.status = request.POST.get("status", stored.status)
        answer.not_applicable_reason = request.POST.get("not_applicable_reason", "")
        answer.evidence = request.POST.get("evidence", "").splitlines()
        answer.notes = request.POST.get("notes", "")
        version = request.POST.get("version") or stored.version
        status = 409 if conflict else 422
    return render(
        request,
        "reviews/launch/_item_saved.html",
        {
            **context,
            # The page that sent this had the form, even if the review has since been
            # submitted: its status line says why the answer was refused.
            "can_answer": True,
            "item": stored,
            "answer": answer,
            "version": version,
            "form": form,
            "saved": bool(saved),
            "conflict": conflict,
        },
        status=status,
    )


@require_POST
def launch_transition(request: SignedInRequest, pk: int, action: str) -> HttpResponse:
    """Submit, resubmit, start reviewing, mark launched or withdraw."""
    review = review_get_for_user(user=request.user, pk=pk)
    if action not in LAUNCH_REVIEW_TRANSITIONS:
        raise PermissionDenied("No such action.")
    if action != "start_review" and not request.user.has_perm(
        "reviews.change_launchreview", review
    ):
        raise PermissionDenied("Only the review's author, the program's leads and admins do this.")
    form = TransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "This page was out of date; here is the current review.")
        return redirect(review)
    try:
        changed = services.launch_review_transition(
            review=review, user=request.user, action=action, version=form.cleaned_data["version"]
        )
    except (ValidationError, StaleWriteError) as error:
        flash_refusal(request, error)
        return redirect(review)
    messages.success(request, f"Launch review is now {changed.get_state_display().lower()}.")
    return redirect(changed)


@require_POST
def sign_off(request: SignedInRequest, pk: int) -> HttpResponse:
    """A reviewer approves one of their areas or requests changes with a comment."""
    review = review_get_for_user(user=request.user, pk=pk)
    form = SignOffForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose approve or request changes.")
        return redirect(review)
    try:
        done = services.launch_review_sign_off(
            review=review, user=request.user, **form.cleaned_data
        )
    except ValidationError as error:
        flash_refusal(request, error)
        return redirect(review)
    review.refresh_from_db()
    messages.success(request, sign_off_message(done, review))
    return redirect(review)


def sign_off_message(done, review) -> str:
    """What a sign-off did, in words: the area decided and what the launch waits for now."""
    area = done.get_area_display()
    if done.decision == SignOffDecision.CHANGES_REQUESTED:
        return f"You requested changes in {area}: the review goes back to its author."
    if review.state == LaunchReviewState.APPROVED:
        return f"You approved {area}. Every area is signed off: the launch is approved."
    waiting = [
        section.label
        for section in launch_review_page(review=review).areas
        if section.needs_sign_off and not section.approved
    ]
    if not waiting:
        return f"You approved {area}."
    return f"You approved {area}. Still waiting for sign-off: {', '.join(waiting)}."


@require_POST
def comment_add(request: SignedInRequest, pk: int) -> HttpResponse:
    """The author answers the reviewers (or a reviewer adds a note)."""
    review = review_get_for_user(user=request.user, pk=pk)
    context = _detail_context(request, review)
    if not context["can_comment"]:
        raise PermissionDenied("The author, the program's leads and the reviewers comment here.")
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            services.review_comment_add(review=review, user=request.user, **form.cleaned_data)
            messages.success(request, "Comment added.")
        except ValidationError as error:
            flash_refusal(request, error)
    else:
        messages.error(request, "Write something first.")
    return redirect(f"{review.get_absolute_url()}#conversation")
