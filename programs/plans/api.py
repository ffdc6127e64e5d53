"""The plans API, nested under the program: /api/v1/programs/{slug}/plan/...

The rules of the pages hold: a program the caller may not see answers 404; starting and
publishing need the program's edit permission (403); acknowledging is for the parties asked
(403). Publishing says which version it was based on (``based_on``: stale, 409 with the
current version); acknowledging says which round it read (``round``: stale, 409).
"""

from typing import Any, cast

from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers as S
from rest_framework import status
from rest_framework.exceptions import PermissionDenied
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import InputSerializer
from core.schema import error_response
from core.types import SignedInApiRequest
from programs.models import Program
from programs.plans import selectors, services
from programs.plans.models import Plan, PlanTemplate, PlanTemplateSection, PlanVersion
from programs.selectors import visible_programs

# --- Serializers ---------------------------------------------------------------------------------


class PlanTemplateSectionSerializer(S.ModelSerializer):
    class Meta:
        model = PlanTemplateSection
        fields = ["key", "title", "guidance", "kind", "live", "material"]


class PlanTemplateSerializer(S.ModelSerializer):
    sections = PlanTemplateSectionSerializer(many=True, read_only=True)

    class Meta:
        model = PlanTemplate
        fields = ["id", "name", "version", "description", "sections"]


class PlanVersionSerializer(S.ModelSerializer):
    author: S.SlugRelatedField = S.SlugRelatedField(slug_field="username", read_only=True)
    sections = S.DictField(
        child=S.JSONField(),
        help_text="Each section's Markdown by key; a per-team section maps team slugs to "
        "Markdown. Live sections (milestones, risks…) are read from the program.",
    )
    material_changes = S.ListField(
        child=S.CharField(), help_text="The material sections this version changed."
    )

    class Meta:
        model = PlanVersion
        fields = ["number", "sections", "change_note", "author", "published_at", "material_changes"]


class RoundSerializer(S.Serializer):
    id = S.IntegerField()
    version = S.IntegerField(source="version.number")
    reason = S.CharField()
    opened_at = S.DateTimeField()


class PartySerializer(S.Serializer):
    party = S.CharField(help_text="A team's name, or Sponsor.")
    team = S.CharField(source="team_slug", help_text="The team's slug; empty for the sponsor.")
    asked = S.CharField(source="asked.username")
    acknowledged_at = S.DateTimeField(allow_null=True)
    last_agreed = S.IntegerField(
        allow_null=True, help_text="The latest version this party acknowledged, in any round."
    )


class AlignmentSerializer(S.Serializer):
    round = RoundSerializer(allow_null=True, help_text="The latest round of asking.")
    parties = PartySerializer(many=True)
    teams_without_lead = S.ListField(child=S.CharField())


class PlanSerializer(S.Serializer):
    program = S.CharField(source="plan.program.slug")
    template = PlanTemplateSerializer(source="plan.template")
    published = S.IntegerField(source="plan.published", help_text="The latest version (0: none).")
    current = PlanVersionSerializer(source="version", allow_null=True)
    alignment = AlignmentSerializer()


class PlanStartSerializer(InputSerializer):
    template = S.PrimaryKeyRelatedField(queryset=PlanTemplate.objects.filter(active=True))


class PlanPublishSerializer(InputSerializer):
    based_on = S.IntegerField(
        min_value=0, help_text="The version you edited (0 for the first): stale answers 409."
    )
    sections = S.DictField(child=S.JSONField())
    change_note = S.CharField(required=False, allow_blank=True, max_length=2000)


class AcknowledgeSerializer(InputSerializer):
    round = S.IntegerField(min_value=1, help_text="The round you read: stale answers 409.")


# --- Views ---------------------------------------------------------------------------------------


def _program(request: SignedInApiRequest, slug: str) -> Program:
    program = visible_programs(request.user).filter(slug=slug).first()
    if program is None:
        raise Http404
    return program


def _plan(program: Program) -> Plan:
    plan = selectors.plan_of(program)
    if plan is None:
        raise Http404
    return plan


def _valid(serializer_class: type[S.Serializer], data: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _editor(request: SignedInApiRequest, program: Program) -> None:
    if not request.user.has_perm("programs.change_program", program):
        raise PermissionDenied("Only the program's TPM, its leads and admins change its plan.")


class PlanView(APIView):
    @extend_schema(
        summary="A program's plan: its latest version and who has agreed",
        responses={200: PlanSerializer, 404: error_response(404)},
    )
    def get(self, request: SignedInApiRequest, slug: str) -> Response:
        plan = _plan(_program(request, slug))
        page = selectors.plan_page(plan=plan, viewer=request.user)
        return Response(PlanSerializer(page).data)

    @extend_schema(
        summary="Start the program's plan from an active template (nothing published yet)",
        request=PlanStartSerializer,
        responses={
            201: PlanSerializer, 400: error_response(400), 403: error_response(403),
            404: error_response(404),
        },
    )  # fmt: skip
    def post(self, request: SignedInApiRequest, slug: str) -> Response:
        program = _program(request, slug)
        _editor(request, program)
        data = _valid(PlanStartSerializer, request.data)
        plan = services.plan_start(program=program, template=data["template"], user=request.user)
        page = selectors.plan_page(plan=plan, viewer=request.user)
        return Response(PlanSerializer(page).data, status=status.HTTP_201_CREATED)


class PlanVersionsView(ListAPIView):
    serializer_class = PlanVersionSerializer
    queryset = PlanVersion.objects.none()  # for the schema; get_queryset reads the plan's

    def get_queryset(self) -> Any:
        plan = _plan(_program(cast(SignedInApiRequest, self.request), self.kwargs["slug"]))
        return plan.versions.select_related("author").order_by("-number")

    @extend_schema(summary="The plan's published versions, newest first")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Publish the next version of the plan",
        description="A change to a material section (or the first version) asks each team "
        "lead and the sponsor to acknowledge it again.",
        request=PlanPublishSerializer,
        responses={
            201: PlanVersionSerializer, 400: error_response(400), 403: error_response(403),
            404: error_response(404), 409: error_response(409),
        },
    )  # fmt: skip
    def post(self, request: SignedInApiRequest, slug: str) -> Response:
        program = _program(request, slug)
        plan = _plan(program)
        _editor(request, program)
        data = _valid(PlanPublishSerializer, request.data)
        version = services.plan_publish(
            plan=plan,
            user=request.user,
            based_on=data["based_on"],
            sections=data["sections"],
            change_note=data.get("change_note", ""),
        )
        return Response(PlanVersionSerializer(version).data, status=status.HTTP_201_CREATED)


class PlanVersionView(APIView):
    @extend_schema(
        summary="One published version of the plan",
        responses={200: PlanVersionSerializer, 404: error_response(404)},
    )
    def get(self, request: SignedInApiRequest, slug: str, number: str) -> Response:
        plan = _plan(_program(request, slug))
        # The path takes any segment, so that a wrong one is a JSON 404, not the HTML page.
        wanted = selectors.version_number(number)
        version = (
            plan.versions.select_related("author").filter(number=wanted).first()
            if wanted is not None
            else None
        )
        if version is None:
            raise Http404
        return Response(PlanVersionSerializer(version).data)


class PlanAcknowledgementsView(APIView):
    @extend_schema(
        summary="Who has acknowledged the plan's latest round",
        responses={200: AlignmentSerializer, 404: error_response(404)},
    )
    def get(self, request: SignedInApiRequest, slug: str) -> Response:
        plan = _plan(_program(request, slug))
        return Response(AlignmentSerializer(selectors.alignment(plan)).data)

    @extend_schema(
        summary="Acknowledge the plan for every party you were asked for",
        request=AcknowledgeSerializer,
        responses={
            200: OpenApiResponse(AlignmentSerializer, "The alignment after it."),
            400: error_response(400), 403: error_response(403), 404: error_response(404),
            409: error_response(409),
        },
    )  # fmt: skip
    def post(self, request: SignedInApiRequest, slug: str) -> Response:
        plan = _plan(_program(request, slug))
        data = _valid(AcknowledgeSerializer, request.data)
        services.plan_acknowledge(plan=plan, user=request.user, round_id=data["round"])
        return Response(AlignmentSerializer(selectors.alignment(plan)).data)


class PlanTemplatesView(ListAPIView):
    """The active plan templates a plan may start from."""

    serializer_class = PlanTemplateSerializer
    queryset = PlanTemplate.objects.filter(active=True).prefetch_related("sections")

    @extend_schema(summary="Plan templates a plan may start from")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> Any:
        return super().get_queryset().order_by("name", "pk")
