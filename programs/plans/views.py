"""The plan's pages: read (any version), start, edit-and-publish, compare, acknowledge,
export as Markdown. Who may: the program's readers read; its editors start and publish; the
parties asked acknowledge."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.errors import StaleWriteError
from core.forms import call_service
from core.types import SignedInRequest
from programs.models import Program
from programs.plans import selectors, services
from programs.plans.forms import PlanAcknowledgeForm, PlanPublishForm, PlanStartForm
from programs.plans.pdf import pdf_unavailable, plan_pdf
from programs.selectors import program_get_for_user


def _program(request: SignedInRequest, slug: str) -> tuple[Program, bool]:
    program = program_get_for_user(user=request.user, slug=slug)
    return program, request.user.has_perm("programs.change_program", program)


def _detail_url(program: Program) -> str:
    return reverse("plans:detail", kwargs={"slug": program.slug})


@require_GET
def plan_detail(request: SignedInRequest, slug: str, number: int | None = None) -> HttpResponse:
    program, can_edit = _program(request, slug)
    plan = selectors.plan_of(program)
    if plan is None:
        if number is not None:
            raise Http404("This program has no plan yet.")
        return render(
            request,
            "plans/start.html",
            {
                "program": program,
                "can_edit": can_edit,
                "form": PlanStartForm(),
                "templates": selectors.active_templates(),
            },
        )
    page = selectors.plan_page(plan=plan, viewer=request.user, number=number)
    if page is None:
        raise Http404("No such version of the plan.")
    asked = page.alignment.asked_of(request.user) if page.is_current else []
    return render(
        request,
        "plans/detail.html",
        {
            "program": program,
            "page": page,
            "plan": plan,
            "can_edit": can_edit,
            "asked": asked,
            "ack_form": PlanAcknowledgeForm(initial={"round": page.alignment.round.pk})
            if asked and page.alignment.round
            else None,
        },
    )


@require_POST
def plan_start(request: SignedInRequest, slug: str) -> HttpResponse:
    program, can_edit = _program(request, slug)
    if not can_edit:
        raise PermissionDenied("Only the program's editors start its plan.")
    form = PlanStartForm(request.POST)
    if form.is_valid():
        ok, _plan = call_service(
            form,
            lambda: services.plan_start(
                program=program, template=form.cleaned_data["template"], user=request.user
            ),
        )
        if ok:
            messages.success(request, "Plan started: write its sections, then publish it.")
            return redirect("plans:edit", slug=program.slug)
    return render(
        request,
        "plans/start.html",
        {"program": program, "can_edit": can_edit, "form": form,
         "templates": selectors.active_templates()},
        status=400,
    )  # fmt: skip


@require_http_methods(["GET", "POST"])
def plan_edit(request: SignedInRequest, slug: str) -> HttpResponse:
    program, can_edit = _program(request, slug)
    if not can_edit:
        raise PermissionDenied("Only the program's editors publish its plan.")
    plan = selectors.plan_of(program)
    if plan is None:
        return redirect("plans:detail", slug=program.slug)
    current = plan.versions.filter(number=plan.published).first()
    sections = selectors.section_views(
        plan,
        current.sections if current else {},
        templates=selectors.template_sections(plan),
        teams=selectors.program_teams(program),
    )
    if request.method == "POST":
        form = PlanPublishForm(request.POST, sections=sections)
        if form.is_valid():
            ok, version = call_service(
                form,
                lambda: services.plan_publish(
                    plan=plan,
                    user=request.user,
                    based_on=form.cleaned_data["based_on"],
                    sections=form.sections_data(),
                    change_note=form.cleaned_data["change_note"],
                ),
            )
            if ok and version is not None:
                asked = "; the teams and the sponsor are asked to acknowledge it" if (
                    version.number == 1 or version.material_changes
                ) else ""  # fmt: skip
                messages.success(request, f"Version {version.number} published{asked}.")
                return redirect("plans:detail", slug=program.slug)
        status = 409 if getattr(form, "stale", False) else 400
    else:
        form = PlanPublishForm(sections=sections, initial={"based_on": plan.published})
        status = 200
    plan.refresh_from_db(fields=["published"])
    return render(
        request,
        "plans/edit.html",
        {"program": program, "plan": plan, "form": form, "current": current,
         "stale": getattr(form, "stale", False)},
        status=status,
    )  # fmt: skip


@require_GET
def plan_diff(request: SignedInRequest, slug: str) -> HttpResponse:
    program, can_edit = _program(request, slug)
    plan = selectors.plan_of(program)
    if plan is None or plan.published == 0:
        raise Http404("This plan has no published version to compare.")
    error = ""
    try:
        new = int(request.GET.get("to") or plan.published)
        old = int(request.GET.get("from") or max(1, new - 1))
    except ValueError:
        old, new, error = max(1, plan.published - 1), plan.published, "Pick two version numbers."
    diff = selectors.plan_diff(plan=plan, old=old, new=new)
    if diff is None:
        error = error or f"The plan has versions 1 to {plan.published}."
        old, new = max(1, plan.published - 1), plan.published
        diff = selectors.plan_diff(plan=plan, old=old, new=new)
    return render(
        request,
        "plans/diff.html",
        {"program": program, "plan": plan, "diff": diff, "error": error,
         "numbers": range(plan.published, 0, -1), "can_edit": can_edit,
         "old_label": f"v{old}", "new_label": f"v{new}"},
        status=400 if error else 200,
    )  # fmt: skip


@require_POST
def plan_acknowledge(request: SignedInRequest, slug: str) -> HttpResponse:
    program, _can_edit = _program(request, slug)
    plan = selectors.plan_of(program)
    form = PlanAcknowledgeForm(request.POST)
    if plan is None or not form.is_valid():
        raise Http404("Nothing to acknowledge here.")
    try:
        done = services.plan_acknowledge(
            plan=plan, user=request.user, round_id=form.cleaned_data["round"]
        )
    except StaleWriteError:
        messages.error(
            request,
            "The plan changed since you opened it: read what changed, then acknowledge again.",
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        parties = ", ".join(ack.party for ack in done)
        messages.success(request, f"Acknowledged for {parties}.")
    return redirect(_detail_url(program))


def _published(request: SignedInRequest, slug: str) -> tuple[Program, selectors.PlanPage]:
    """The plan as exported: the version asked for (``?version=``) or the latest; 404 if none."""
    program, _can_edit = _program(request, slug)
    plan = selectors.plan_of(program)
    number = request.GET.get("version", "")
    page = (
        selectors.plan_page(plan=plan, viewer=request.user, number=selectors.version_number(number))
        if plan
        else None
    )
    if page is None or page.version is None:
        raise Http404("This program has no published plan.")
    return program, page


def _download(body: str | bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_GET
def plan_markdown(request: SignedInRequest, slug: str) -> HttpResponse:
    program, page = _published(request, slug)
    assert page.version is not None  # noqa: S101 - _published answered 404 otherwise
    return _download(
        selectors.plan_markdown(page=page),
        "text/markdown; charset=utf-8",
        f"{program.slug}-plan-v{page.version.number}.md",
    )


@require_GET
def plan_pdf_view(request: SignedInRequest, slug: str) -> HttpResponse:
    program, page = _published(request, slug)
    assert page.version is not None  # noqa: S101 - _published answered 404 otherwise
    unavailable = pdf_unavailable()
    if unavailable:
        return HttpResponse(unavailable, status=503, content_type="text/plain; charset=utf-8")
    return _download(
        plan_pdf(page=page), "application/pdf", f"{program.slug}-plan-v{page.version.number}.pdf"
    )
