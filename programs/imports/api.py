"""``POST /api/v1/imports/``: the import page's upload, preview and write in one request.

``dry_run`` (the default is to write) answers what each row would do (200); a write answers
201 with what was done, or 422 with every refused row when any row is refused (nothing is
written). A file that cannot be read at all answers 400, like any invalid field.
"""

from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers as S
from rest_framework import status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import InputSerializer
from core.schema import error_response
from core.types import SignedInApiRequest
from programs.imports.forms import KIND_CHOICES
from programs.imports.planning import ImportPlan
from programs.imports.reading import AUTO, JIRA, UploadError, size_refusal
from programs.imports.services import ImportRefused, import_run


class ImportInputSerializer(InputSerializer):
    file = S.FileField(help_text="CSV (UTF-8) or XLSX, up to 5 MB (IMPORT_MAX_BYTES).")
    kind = S.ChoiceField(
        choices=KIND_CHOICES, default=AUTO,
        help_text="What the file holds; auto tells each sheet by its title or its columns.",
    )  # fmt: skip
    program = S.CharField(
        required=False, allow_blank=True, max_length=200,
        help_text="For a Jira export: the slug or name of the program its epics become "
        "milestones of.",
    )  # fmt: skip
    dry_run = S.BooleanField(
        default=False, help_text="Check and describe every row without writing anything."
    )

    def validate_file(self, upload):
        if too_big := size_refusal(upload.size):
            raise S.ValidationError(too_big)
        return upload

    def validate(self, attrs):
        if attrs.get("kind") == JIRA and not attrs.get("program"):
            raise S.ValidationError({"program": ["Name the program the Jira epics go to."]})
        return attrs


class CellErrorSerializer(S.Serializer):
    sheet = S.CharField()
    row = S.IntegerField(help_text="The row in the file (the header is row 1); 0: the file.")
    column = S.CharField(allow_blank=True)
    message = S.CharField()


class RowSerializer(S.Serializer):
    sheet = S.CharField()
    row = S.IntegerField(source="number")
    kind = S.ChoiceField(choices=["programs", "milestones", "risks"])
    action = S.ChoiceField(choices=["create", "update", "unchanged", "error"])
    label = S.CharField()  # type: ignore[assignment]  # a field, popped by the metaclass
    changes = S.ListField(child=S.CharField())
    errors = CellErrorSerializer(many=True)  # type: ignore[assignment]  # likewise


class ImportResultSerializer(S.Serializer):
    dry_run = S.BooleanField()
    written = S.BooleanField(help_text="Whether the rows were written (never partly).")
    valid = S.BooleanField(help_text="Whether every row can be imported.")
    counts = S.DictField(
        child=S.DictField(child=S.IntegerField()),
        help_text='Rows by kind and action, e.g. {"milestones": {"create": 12}}.',
    )
    errors = CellErrorSerializer(many=True)  # type: ignore[assignment]  # likewise
    rows = RowSerializer(many=True)


def _answer(plan: ImportPlan, *, dry_run: bool, written: bool) -> dict:
    return ImportResultSerializer(
        {
            "dry_run": dry_run, "written": written, "valid": plan.valid,
            "counts": plan.counts(), "errors": plan.errors, "rows": plan.rows,
        }
    ).data  # fmt: skip


class ImportView(APIView):
    parser_classes = [MultiPartParser]

    def get_input_serializer_class(self):
        return ImportInputSerializer

    @extend_schema(
        summary="Import programs, milestones and risks from CSV or XLSX, or epics from Jira",
        request={"multipart/form-data": ImportInputSerializer},
        responses={
            200: OpenApiResponse(ImportResultSerializer, description="The dry run's plan."),
            201: OpenApiResponse(ImportResultSerializer, description="Written, all of it."),
            400: error_response(400),
            403: error_response(403),
            422: OpenApiResponse(
                ImportResultSerializer, description="Rows refused: nothing was written."
            ),
        },
    )
    def post(self, request: SignedInApiRequest) -> Response:
        if not request.user.has_perm("programs.add_program"):
            raise PermissionDenied("Only TPMs and admins import programs.")
        serializer = ImportInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        upload = data["file"]
        try:
            result = import_run(
                user=request.user, data=upload.read(), filename=upload.name, kind=data["kind"],
                program=data.get("program", ""), dry_run=data["dry_run"],
            )  # fmt: skip
        except UploadError as error:
            raise S.ValidationError({"file": [str(error)]}) from error
        except ImportRefused as refused:
            return Response(
                _answer(refused.plan, dry_run=False, written=False),
                status=status.HTTP_422_UNPROCESSABLE_ENTITY,
            )
        return Response(
            _answer(result.plan, dry_run=data["dry_run"], written=result.written),
            status=status.HTTP_200_OK if data["dry_run"] else status.HTTP_201_CREATED,
        )
