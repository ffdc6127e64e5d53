"""The playbooks API: thin viewsets that parse, check permission and call a service or selector.

- everyone signed in reads every playbook and version (nothing in them is confidential);
- TPMs and admins create playbooks; owners and admins publish versions, change details and
  mark a playbook reviewed (``programs.playbooks.rules``), else 403;
- a change to a playbook's details says which version it was based on: If-Match with the
  ETag (stale: 412) or ``version`` in the body (stale: 409); with neither, 428;
- publishing says which version *number* the text was based on (``based_on``): if another was
  published since, 409 with the current number, and nothing is written.
"""

from functools import cached_property

from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied

from core.api import ReadWriteViewSet
from core.schema import error_response
from programs.playbooks import services
from programs.playbooks.api import serializers
from programs.playbooks.filters import PlaybookFilter
from programs.playbooks.models import Playbook, PlaybookVersion
from programs.playbooks.selectors import with_listing

SLUG = OpenApiParameter(
    "playbook_slug", OpenApiTypes.STR, OpenApiParameter.PATH, description="The playbook's slug."
)


@extend_schema_view(
    list=extend_schema(summary="List playbooks with their current version"),
    retrieve=extend_schema(summary="A playbook (ETag header)"),
    create=extend_schema(summary="Create a playbook and publish its version 1 (TPMs, admins)"),
    update=extend_schema(summary="Replace a playbook's details (owners, admins)"),
    partial_update=extend_schema(summary="Change a playbook's details (owners, admins)"),
)
class PlaybookViewSet(ReadWriteViewSet):
    queryset = Playbook.objects.all()
    serializer_class = serializers.PlaybookSerializer
    filterset_class = PlaybookFilter
    lookup_field = "slug"
    input_serializers = {
        "create": serializers.PlaybookInputSerializer,
        "update": serializers.PlaybookUpdateSerializer,
        "partial_update": serializers.PlaybookUpdateSerializer,
        "reviewed": serializers.ReviewedInputSerializer,
    }
    versioned_actions = ("update", "partial_update", "reviewed")
    search_fields = ["title", "summary", "slug"]
    ordering_fields = ["title", "review_by", "updated_at", "created_at"]
    ordering = ["title", "id"]

    def base_queryset(self):
        return with_listing(Playbook.objects.all())

    def check_can_create(self) -> None:
        if not self.request.user.has_perm("playbooks.add_playbook"):
            raise PermissionDenied(services.CREATE_DENIED)

    def perform_create_service(self, data):
        return services.playbook_create(user=self.request.user, **data)

    def check_can_write(self, instance) -> None:
        if not self.request.user.has_perm("playbooks.change_playbook", instance):
            raise PermissionDenied(services.EDIT_DENIED)

    def perform_service(self, action_name, *, instance, data, version):
        if action_name == "reviewed":
            return services.playbook_mark_reviewed(
                playbook=instance, user=self.request.user, version=version
            )
        return services.playbook_update(
            playbook=instance, user=self.request.user, version=version, **data
        )

    @extend_schema(
        summary="Mark a playbook reviewed: its review-by date moves six months on",
        description="Owners and admins. Send If-Match with the ETag from GET, or `version` in "
        "the body.",
        responses=serializers.PlaybookSerializer,
    )
    @action(detail=True, methods=["post"])
    def reviewed(self, request, *args, **kwargs):
        return self.versioned_write()


@extend_schema_view(
    list=extend_schema(summary="A playbook's versions, newest first", parameters=[SLUG]),
    retrieve=extend_schema(summary="One version of a playbook, with its text", parameters=[SLUG]),
    create=extend_schema(
        summary="Publish a new version (owners, admins)",
        description="`based_on` is the number of the version the text started from: when "
        "another version was published since, nothing is written and the answer is 409 with "
        "`current_version`, the number to compare with and build on.",
        parameters=[SLUG],
        responses={201: serializers.PlaybookVersionSerializer, 409: error_response(409)},
    ),
)
class PlaybookVersionViewSet(ReadWriteViewSet):
    """Versions are immutable: read them, or publish the next."""

    queryset = PlaybookVersion.objects.all()
    serializer_class = serializers.PlaybookVersionSerializer
    input_serializers = {"create": serializers.PublishInputSerializer}
    http_method_names = ["get", "post", "head", "options"]
    lookup_field = "number"
    lookup_value_regex = "[^/]+"
    ordering_fields = ["number", "published_at"]
    ordering = ["-number"]

    @cached_property
    def playbook(self) -> Playbook:
        return get_object_or_404(
            Playbook.objects.select_related("current_version").prefetch_related("owners"),
            slug=self.kwargs["playbook_slug"],
        )

    def base_queryset(self):
        return PlaybookVersion.objects.select_related("playbook", "author")

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return PlaybookVersion.objects.none()
        return self.base_queryset().filter(playbook=self.playbook)

    def get_object(self):
        number = self.kwargs.get("number", "")
        if not str(number).isdigit():
            raise Http404("No such version.")
        return get_object_or_404(self.get_queryset(), number=int(number))

    def check_can_create(self) -> None:
        if not self.request.user.has_perm("playbooks.change_playbook", self.playbook):
            raise PermissionDenied(services.EDIT_DENIED)

    def perform_create_service(self, data):
        return services.playbook_publish(playbook=self.playbook, user=self.request.user, **data)
