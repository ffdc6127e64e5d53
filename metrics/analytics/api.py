"""/api/v1/analytics/exports/: the analysts' bulk export through the API.

POST starts one (202 with the job's URL); GET on that URL shows its progress and, when ready,
the URL of its zip. Admins and leadership only (403 otherwise); a job is visible to the user who
started it only (404 for anyone else). Without PostgreSQL's analytics views, POST answers 409
with the reason.
"""

from typing import Any

from django.http import FileResponse, Http404
from django.urls import path, reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from core.schema import ErrorSerializer
from metrics.analytics import export
from metrics.models import AnalyticsExport


class AnalyticsExportSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField(
        help_text="The zip, once `state` is `done`; null before."
    )
    percent = serializers.IntegerField(read_only=True)

    class Meta:
        model = AnalyticsExport
        fields = [
            "id", "url", "state", "created_at", "started_at", "finished_at", "views_total",
            "views_done", "rows_written", "percent", "size_bytes", "error", "download_url",
        ]  # fmt: skip
        read_only_fields = fields

    def _absolute(self, name: str, pk: int) -> str:
        return self.context["request"].build_absolute_uri(reverse(name, args=[pk]))

    def get_url(self, job: AnalyticsExport) -> str:
        return self._absolute("analytics-export", job.pk)

    def get_download_url(self, job: AnalyticsExport) -> str | None:
        if job.state != "done":
            return None
        return self._absolute("analytics-export-download", job.pk)


def _allowed(request: Any) -> None:
    if not export.may_export(request.user):
        raise PermissionDenied("The export holds every program's data: admins and leadership only.")


def _own(request: Any, pk: str) -> AnalyticsExport:
    # Any path segment reaches the view, so a malformed id is a JSON 404 like an unknown one.
    if not pk.isdigit():
        raise Http404("No such export.")
    job = export.export_of(user=request.user, pk=int(pk))
    if job is None:
        raise Http404("No such export.")
    return job


PK = OpenApiParameter("pk", int, OpenApiParameter.PATH, description="The export's id.")


class Unavailable(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "export_unavailable"


class ExportStartView(APIView):
    @extend_schema(
        summary="Start an export of the analytics views",
        description="Queues a bulk export (CSV and Parquet of every `analytics.*` view, in one "
        "zip with the data dictionary; see docs/analytics.md). Poll the answer's `url` until "
        "`state` is `done`, then fetch `download_url`. Admins and leadership only.",
        request=None,
        responses={
            202: AnalyticsExportSerializer,
            409: OpenApiResponse(
                ErrorSerializer,
                description="This database has no analytics views (SQLite, or not migrated).",
            ),
        },
    )
    def post(self, request: Any) -> Response:
        _allowed(request)
        try:
            job = export.export_start(user=request.user)
        except export.ExportUnavailable as exc:
            raise Unavailable(str(exc)) from exc
        data = AnalyticsExportSerializer(job, context={"request": request}).data
        return Response(data, status=status.HTTP_202_ACCEPTED, headers={"Location": data["url"]})


class ExportDetailView(APIView):
    @extend_schema(
        summary="An export's progress",
        description="State (`queued`, `running`, `done`, `failed`), views and rows written so "
        "far, and the zip's URL when done. Only the user who started it sees it.",
        parameters=[PK],
        responses={200: AnalyticsExportSerializer},
    )
    def get(self, request: Any, pk: str) -> Response:
        _allowed(request)
        job = _own(request, pk)
        return Response(AnalyticsExportSerializer(job, context={"request": request}).data)


class ExportDownloadView(APIView):
    @extend_schema(
        summary="Download an export's zip",
        description="`csv/<view>.csv`, `parquet/<view>.parquet` and `README.md` (the data "
        "dictionary). 404 until the export is done, after it is deleted, and for anyone but "
        "the user who started it.",
        parameters=[PK],
        responses={
            (200, "application/zip"): OpenApiResponse(OpenApiTypes.BINARY, description="The zip."),
        },
    )
    def get(self, request: Any, pk: str) -> FileResponse:
        _allowed(request)
        path_ = export.export_file(_own(request, pk))
        if path_ is None:
            raise Http404("This export is not ready, or has been deleted.")
        return FileResponse(
            path_.open("rb"),
            as_attachment=True,
            filename=path_.name,
            content_type="application/zip",
        )


urlpatterns = [
    path("analytics/exports/", ExportStartView.as_view(), name="analytics-exports"),
    path("analytics/exports/<str:pk>/", ExportDetailView.as_view(), name="analytics-export"),
    path(
        "analytics/exports/<str:pk>/download/",
        ExportDownloadView.as_view(),
        name="analytics-export-download",
    ),
]
