"""The import page: templates to download, an upload, its preview row by row, a confirmation.

The upload waits between preview and confirmation (``services.stash_upload``), found again by
a token only its uploader may use; confirming re-reads and re-checks it, and writes only if
the plan is still the one previewed.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.types import SignedInRequest
from programs.imports import columns
from programs.imports.forms import ImportForm
from programs.imports.reading import UploadError
from programs.imports.services import (
    ImportRefused,
    discard_upload,
    import_run,
    stash_upload,
    unstash_upload,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _may_import(request: SignedInRequest) -> None:
    if not request.user.has_perm("programs.add_program"):
        raise PermissionDenied("Only TPMs and admins import programs.")


def _page(
    request: SignedInRequest, form: ImportForm, *, status: int = 200, **context
) -> HttpResponse:
    return render(
        request,
        "programs/imports/import.html",
        {"form": form, "columns": columns.COLUMNS, "nav_section": "programs", **context},
        status=status,
    )


@require_http_methods(["GET", "POST"])
def import_page(request: SignedInRequest) -> HttpResponse:
    """GET: the form and the templates. POST: read and check the upload, and preview it."""
    _may_import(request)
    if request.method == "GET":
        return _page(request, ImportForm())
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, form, status=400)
    upload = form.cleaned_data["file"]
    data = upload.read()
    kind, program = form.cleaned_data["kind"], form.cleaned_data["program"]
    try:
        result = import_run(
            user=request.user, data=data, filename=upload.name, kind=kind, program=program,
            dry_run=True,
        )  # fmt: skip
    except UploadError as error:
        form.add_error("file", str(error))
        return _page(request, form, status=400)
    token = stash_upload(
        user=request.user, data=data, filename=upload.name, kind=kind, program=program
    )
    return _page(
        request, ImportForm(), plan=result.plan, token=token, filename=upload.name,
        seconds=result.seconds,
    )  # fmt: skip


@require_POST
def import_confirm(request: SignedInRequest) -> HttpResponse:
    """Write the previewed upload, all or nothing."""
    _may_import(request)
    token = request.POST.get("token", "")
    stashed = unstash_upload(user=request.user, token=token)
    if stashed is None:
        messages.error(request, "That upload is no longer waiting (a day at most): upload again.")
        return redirect("imports:page")
    data, meta = stashed
    try:
        result = import_run(
            user=request.user, data=data, filename=meta["filename"], kind=meta["kind"],
            program=meta["program"], expected_digest=request.POST.get("digest", ""),
        )  # fmt: skip
    except (UploadError, ImportRefused) as error:
        plan = getattr(error, "plan", None)
        messages.error(request, "Nothing was imported: see the rows below.")
        return _page(
            request, ImportForm(), plan=plan, token=token, filename=meta["filename"],
            upload_error=None if plan else str(error), status=409,
        )  # fmt: skip
    discard_upload(token)
    counts = result.plan.counts()
    summary = "; ".join(
        f"{kind}: " + ", ".join(f"{n} {action}d" if action != "unchanged" else f"{n} unchanged"
                                for action, n in sorted(by_action.items()))
        for kind, by_action in counts.items()
    )  # fmt: skip
    messages.success(request, f"Imported {meta['filename']}: {summary}.")
    return redirect("programs:list")


@require_GET
def template_download(request: SignedInRequest, kind: str, extension: str) -> HttpResponse:
    """A template to fill in: one sheet per kind as CSV, or the three in one workbook."""
    _may_import(request)
    if extension == "xlsx":
        response = HttpResponse(columns.template_xlsx(), content_type=XLSX)
        name = "pulse-import.xlsx"
    elif kind in columns.KINDS:
        response = HttpResponse(columns.template_csv(kind), content_type="text/csv; charset=utf-8")
        name = f"pulse-{kind}.csv"
    else:
        raise PermissionDenied("No such template.")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
