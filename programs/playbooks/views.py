"""The playbook pages, under /playbooks/ in the ``playbooks`` namespace.

Everyone signed in reads every playbook and every version; TPMs and admins create playbooks;
owners and admins publish versions, change the details and mark a playbook reviewed
(``programs.playbooks.rules``: 403 otherwise). Publishing carries the version number the text
was based on: when somebody published meanwhile, the page says so, keeps the text typed, and
shows it beside the newer version.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from core.diffs import side_by_side
from core.forms import call_service
from core.generic_views import service_form_view
from core.list_pages import ListPage
from core.types import SignedInRequest
from programs.playbooks import selectors, services
from programs.playbooks.filters import PlaybookListFilter
from programs.playbooks.forms import (
    MarkReviewedForm,
    PlaybookCreateForm,
    PlaybookEditForm,
    PublishForm,
)
from programs.playbooks.markdown import render_playbook
from programs.playbooks.models import Playbook

PAGE_SIZE = 25


def _editable(request: SignedInRequest, slug: str) -> Playbook:
    """The playbook if the user may change it: 404 if none, 403 if only readable."""
    playbook = selectors.playbook_get(slug=slug)
    if not request.user.has_perm("playbooks.change_playbook", playbook):
        raise PermissionDenied(services.EDIT_DENIED)
    return playbook


def _crumbs(playbook: Playbook | None = None) -> list[tuple[str, str]]:
    crumbs = [("Playbooks", reverse("playbooks:list"))]
    if playbook is not None:
        crumbs.append((playbook.title, playbook.get_absolute_url()))
    return crumbs


@require_http_methods(["GET", "HEAD"])
def playbook_list(request: SignedInRequest) -> HttpResponse:
    """Every playbook with its current version, owners and review-by date; filtered by a
    search, the workflow it governs, and "mine" / "mine, overdue"."""
    today = timezone.localdate()
    filters = PlaybookListFilter(request.GET, user=request.user, today=today)
    list_page = ListPage(
        url=reverse("playbooks:list"),
        results_id="playbook-results",
        filter_label="Filter playbooks",
        search_field="id_q",
        filters_class="filters-grid-playbooks",
    )
    page = Paginator(selectors.playbook_filtered(filters=filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "nav_section": "playbooks",
        "filter_form": filters.form,
        "list_page": list_page,
        "page": page,
        "filtered": filters.narrows,
        "today": today,
        "can_create": request.user.has_perm("playbooks.add_playbook"),
    }
    template = "playbooks/list.html"
    if list_page.wants_results_only(request):
        template += "#results"
    return render(request, template, context)


@require_http_methods(["GET", "POST"])
def playbook_create(request: SignedInRequest) -> HttpResponse:
    """A new playbook and its first version (TPMs and admins)."""
    if not request.user.has_perm("playbooks.add_playbook"):
        raise PermissionDenied(services.CREATE_DENIED)
    return service_form_view(
        request,
        form=PlaybookCreateForm(
            request.POST or None,
            initial={
                "owners": [request.user.pk],
                "review_by": timezone.localdate() + services.REVIEW_INTERVAL,
            },
        ),
        service=lambda data: services.playbook_create(user=request.user, **data),
        success_message=lambda playbook: f"“{playbook.title}” published as version 1.",
        success_url=lambda playbook: playbook,
        template="programs/form_page.html",
        context={
            "nav_section": "playbooks",
            "title": "New playbook",
            "submit_label": "Publish version 1",
            "intro": "A process document the organisation follows. Its owners publish new "
            "versions; the workflow it governs links to it.",
            "cancel_url": reverse("playbooks:list"),
            "breadcrumbs": _crumbs(),
        },
    )


@require_http_methods(["GET", "HEAD"])
def playbook_detail(request: SignedInRequest, slug: str) -> HttpResponse:
    """The current version rendered, the owners, the review-by date and the history."""
    page = selectors.playbook_page(slug=slug)
    playbook = page.playbook
    today = timezone.localdate()
    return render(
        request,
        "playbooks/detail.html",
        {
            "nav_section": "playbooks",
            "playbook": playbook,
            "current": page.current,
            "rendered": render_playbook(page.current.body) if page.current else None,
            "versions": page.versions,
            "overdue": page.overdue(today),
            "can_edit": request.user.has_perm("playbooks.change_playbook", playbook),
            "reviewed_form": MarkReviewedForm(initial={"version": playbook.version}),
        },
    )


@require_http_methods(["GET", "HEAD"])
def playbook_version(request: SignedInRequest, slug: str, number: int) -> HttpResponse:
    """One version as it was published; a banner when it is not the current one."""
    version = selectors.playbook_version_get(slug=slug, number=number)
    playbook = version.playbook
    current = playbook.current_version
    return render(
        request,
        "playbooks/version.html",
        {
            "nav_section": "playbooks",
            "playbook": playbook,
            "version": version,
            "current": current,
            "is_current": current is not None and current.pk == version.pk,
            "rendered": render_playbook(version.body),
        },
    )


def _number(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


@require_http_methods(["GET", "HEAD"])
def playbook_diff(request: SignedInRequest, slug: str) -> HttpResponse:
    """Two versions side by side (``?from=1&to=3``; by default the previous and the current)."""
    playbook = selectors.playbook_get(slug=slug)
    numbers = selectors.version_numbers(playbook=playbook)
    if not numbers:
        raise Http404("This playbook has no version yet.")
    new = _number(request.GET.get("to"))
    new = new if new in numbers else numbers[0]
    old = _number(request.GET.get("from"))
    if old not in numbers:
        older = [n for n in numbers if n < new]
        old = older[0] if older else new
    compared = selectors.playbook_diff(playbook=playbook, old=old, new=new)
    return render(
        request,
        "playbooks/diff.html",
        {
            "nav_section": "playbooks",
            "playbook": playbook,
            "numbers": numbers,
            "compared": compared,
            "old_label": f"Version {old}",
            "new_label": f"Version {new}",
        },
    )


@require_http_methods(["GET", "POST"])
def playbook_publish(request: SignedInRequest, slug: str) -> HttpResponse:
    """Publish a new version (owners and admins), starting from the current text.

    When another version was published since the page was opened, nothing is written: the
    form comes back with the text typed, a diff of the newer version against it, and now
    based on the newer version, so publishing again is a decision taken having seen it.
    """
    playbook = _editable(request, slug)
    current = playbook.current_version
    form = PublishForm(
        request.POST or None,
        initial={
            "based_on": current.number if current else 0,
            "body": current.body if current else "",
        },
    )
    conflict = None
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        succeeded, version = call_service(
            form,
            lambda: services.playbook_publish(playbook=playbook, user=request.user, **data),
        )
        if succeeded and version is not None:
            messages.success(request, f"Version {version.number} of “{playbook.title}” published.")
            return redirect(version)
        if getattr(form, "stale", False) and current is not None:
            # Re-read: the newer version is the one to compare with and to build on.
            fresh = selectors.playbook_get(slug=slug)
            newer = fresh.current_version
            if newer is not None:
                conflict = {
                    "newer": newer,
                    "based_on": data["based_on"],
                    "old_label": f"Version {newer.number}",
                    "diff": side_by_side(newer.body, data["body"]),
                }
                refreshed = request.POST.copy()
                refreshed["based_on"] = str(newer.number)
                form.data = refreshed
    return render(
        request,
        "playbooks/publish.html",
        {
            "nav_section": "playbooks",
            "playbook": playbook,
            "current": current,
            "form": form,
            "conflict": conflict,
            "breadcrumbs": _crumbs(playbook),
        },
        status=409 if conflict else 200,
    )


@require_http_methods(["GET", "POST"])
def playbook_edit(request: SignedInRequest, slug: str) -> HttpResponse:
    """Change the title, summary, workflow, owners or review-by date."""
    playbook = _editable(request, slug)
    return service_form_view(
        request,
        form=PlaybookEditForm(request.POST or None, playbook=playbook),
        service=lambda data: services.playbook_update(
            playbook=playbook, user=request.user, version=data.pop("version"), **data
        ),
        success_message="Playbook details saved.",
        success_url=lambda updated: updated,
        template="programs/form_page.html",
        context={
            "nav_section": "playbooks",
            "title": f"Details of “{playbook.title}”",
            "submit_label": "Save details",
            "intro": "Its text changes by publishing a new version.",
            "cancel_url": playbook.get_absolute_url(),
            "breadcrumbs": _crumbs(playbook),
        },
    )


@require_POST
def playbook_mark_reviewed(request: SignedInRequest, slug: str) -> HttpResponse:
    """An owner confirms the playbook is still right: its review-by date moves on."""
    playbook = _editable(request, slug)
    form = MarkReviewedForm(request.POST)
    if form.is_valid():
        succeeded, reviewed = call_service(
            form,
            lambda: services.playbook_mark_reviewed(
                playbook=playbook, user=request.user, version=form.cleaned_data["version"]
            ),
        )
        if succeeded and reviewed is not None:
            messages.success(
                request, f"Marked reviewed: next review by {reviewed.review_by:%-d %b %Y}."
            )
            return redirect(reviewed)
    messages.error(
        request, " ".join(str(e) for e in form.non_field_errors()) or "Reload and try again."
    )
    return redirect(playbook)
