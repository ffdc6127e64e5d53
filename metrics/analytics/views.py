"""/insights/export/: start an analysts' bulk export, watch its progress, download the zip.

Admins and leadership only (the zip holds confidential programs' data; see
``metrics.analytics.export``). A download is served to the export's owner only: anyone else
gets 404, as for an export that does not exist.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from core.types import SignedInRequest
from metrics.analytics import export
from metrics.models import AnalyticsExport

RECENT = 5


def _allowed(request: SignedInRequest) -> None:
    if not export.may_export(request.user):
        raise PermissionDenied("The export holds every program's data: admins and leadership only.")


def _own(request: SignedInRequest, pk: int) -> AnalyticsExport:
    job = export.export_of(user=request.user, pk=pk)
    if job is None:
        raise Http404("No such export.")
    return job


@require_http_methods(["GET", "HEAD", "POST"])
def export_page(request: SignedInRequest) -> HttpResponse:
    _allowed(request)
    unavailable = export.unavailable_reason()
    if request.method == "POST" and not unavailable:
        export.export_start(user=request.user)
        messages.success(request, "Export started: this page shows its progress.")
        return redirect("insights:export")
    jobs = export.exports_recent(user=request.user, limit=RECENT)
    return render(
        request,
        "metrics/analytics/export.html",
        {"jobs": jobs, "unavailable": unavailable, "nav_section": "insights"},
        status=503 if unavailable and request.method == "POST" else 200,
    )


@require_http_methods(["GET", "HEAD"])
def export_progress(request: SignedInRequest, pk: int) -> HttpResponse:
    """One export's row, polled by htmx every 2 s while it is queued or running."""
    _allowed(request)
    return render(request, "metrics/analytics/_export_row.html", {"job": _own(request, pk)})


@require_http_methods(["GET", "HEAD"])
def export_download(request: SignedInRequest, pk: int) -> FileResponse:
    _allowed(request)
    job = _own(request, pk)
    path = export.export_file(job)
    if path is None:
        raise Http404("This export is not ready, or has been deleted.")
    return FileResponse(
        path.open("rb"), as_attachment=True, filename=path.name, content_type="application/zip"
    )
