"""The operational-reviews API: reviews, their agenda, and action items.

Same rules as the rest of the API (``core.api``):
- everyone signed in reads reviews; action items and agenda entries of a confidential program
  the caller may not see are left out (an item answers 404);
- TPMs, leadership and admins create and change reviews and action items (403 otherwise);
  an action item's owner may also close or reopen it;
- every change to an existing object says which version it was based on: If-Match with the
  ETag (stale: 412) or ``version`` in the body (stale: 409); with neither, 428;
- an illegal state change answers 400 with the reason, from the one transition table.

The agenda is built by ``reviews.ops.agenda``; its health sections come from metrics
through the builder registered with ``reviews.ops.agenda.register_agenda_builder``.
"""

from django.contrib.auth import get_user_model
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from core.api import InputSerializer, ReadWriteViewSet, VersionedInputSerializer
from programs.api.serializers import VisibleProgramField
from programs.models import Portfolio, Program
from reviews.api import TRANSITIONS_NOTE, TransitionSerializer
from reviews.api import read_only_username as _read_person
from reviews.models import ActionItem, OperationalReview
from reviews.ops import services
from reviews.ops.agenda import review_agenda
from reviews.ops.filters import ActionItemFilter, OperationalReviewFilter
from reviews.ops.selectors import action_item_list, with_item_counts

User = get_user_model()

RUN_DENIED = "TPMs, leadership and admins run operational reviews."
CLOSE_DENIED = "TPMs, leadership, admins and the item's owner close it."


def _person(**kwargs) -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(
        slug_field="username", queryset=User.objects.filter(is_active=True), **kwargs
    )


# --- Serializers ----------------------------------------------------------------------------


class OperationalReviewSerializer(serializers.ModelSerializer):
    portfolio: serializers.SlugRelatedField[Portfolio] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    facilitator = _read_person()
    created_by = _read_person(help_text="Empty when the weekly schedule created it.")
    action_item_count = serializers.IntegerField(read_only=True, help_text="Agreed in it.")
    closed_item_count = serializers.IntegerField(read_only=True, help_text="Closed in it.")

    class Meta:
        model = OperationalReview
        fields = [
            "id", "date", "title", "portfolio", "state", "notes", "facilitator", "created_by",
            "started_at", "closed_at", "action_item_count", "closed_item_count", "version",
            "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


class OperationalReviewInputSerializer(InputSerializer):
    date = serializers.DateField()
    title = serializers.CharField(max_length=200)
    portfolio = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Portfolio.objects.all(),
        required=False,
        allow_null=True,
        help_text="Portfolio slug; empty for a review of every program.",
    )
    notes = serializers.CharField(required=False, allow_blank=True, help_text="Markdown.")
    facilitator = _person(required=False, allow_null=True, help_text="Username.")


class OperationalReviewUpdateSerializer(OperationalReviewInputSerializer, VersionedInputSerializer):
    pass


class ActionItemSerializer(serializers.ModelSerializer):
    owner = _read_person()
    program: serializers.SlugRelatedField[Program] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    created_in: serializers.PrimaryKeyRelatedField[OperationalReview] = (
        serializers.PrimaryKeyRelatedField(read_only=True, help_text="Review id.")
    )
    closed_in: serializers.PrimaryKeyRelatedField[OperationalReview] = (
        serializers.PrimaryKeyRelatedField(read_only=True, help_text="Review id.")
    )
    closed_by = _read_person()

    class Meta:
        model = ActionItem
        fields = [
            "id", "title", "owner", "due_date", "program", "state", "created_in", "closed_in",
            "closed_by", "closed_at", "version", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


class ActionItemInputSerializer(InputSerializer):
    review = serializers.PrimaryKeyRelatedField(
        queryset=OperationalReview.objects.all(), help_text="The review agreeing it (id)."
    )
    title = serializers.CharField(max_length=300)
    owner = _person(help_text="Username.")
    due_date = serializers.DateField()
    program = VisibleProgramField(required=False, allow_null=True, help_text="Program slug.")


class ActionItemUpdateSerializer(VersionedInputSerializer):
    title = serializers.CharField(max_length=300, required=False)
    owner = _person(required=False, help_text="Username.")
    due_date = serializers.DateField(required=False)
    program = VisibleProgramField(required=False, allow_null=True, help_text="Program slug.")


class ActionItemTransitionSerializer(VersionedInputSerializer):
    review = serializers.PrimaryKeyRelatedField(
        queryset=OperationalReview.objects.all(),
        required=False,
        allow_null=True,
        help_text="The review it is closed in (id), if closed in a meeting.",
    )


# --- Viewsets -------------------------------------------------------------------------------


def _transition(summary: str, response):
    return extend_schema(summary=summary, description=TRANSITIONS_NOTE, responses=response)


@extend_schema_view(
    list=extend_schema(summary="List operational reviews"),
    retrieve=extend_schema(summary="An operational review (ETag header)"),
    create=extend_schema(summary="Schedule an operational review (TPMs, leadership, admins)"),
    update=extend_schema(summary="Replace a review's date, title, scope, notes, facilitator"),
    partial_update=extend_schema(summary="Change a review's date, title, scope, notes"),
)
class OperationalReviewViewSet(ReadWriteViewSet):
    queryset = OperationalReview.objects.all()  # the model, for the schema
    serializer_class = OperationalReviewSerializer
    filterset_class = OperationalReviewFilter
    input_serializers = {
        "create": OperationalReviewInputSerializer,
        "update": OperationalReviewUpdateSerializer,
        "partial_update": OperationalReviewUpdateSerializer,
        "start": TransitionSerializer,
        "close": TransitionSerializer,
    }
    versioned_actions = ("update", "partial_update", "start", "close")
    search_fields = ["title", "notes"]
    ordering_fields = ["date", "created_at", "state"]
    ordering = ["-date", "-id"]

    def base_queryset(self):
        return with_item_counts(OperationalReview.objects.all()).select_related("created_by")

    def check_can_create(self) -> None:
        if not services.can_run_reviews(self.request.user):
            raise PermissionDenied(RUN_DENIED)

    def perform_create_service(self, data):
        return services.operational_review_create(user=self.request.user, **data)

    def check_can_write(self, instance) -> None:
        self.check_can_create()

    def perform_service(self, action_name, *, instance, data, version):
        if action_name in ("update", "partial_update"):
            return services.operational_review_update(
                review=instance, user=self.request.user, version=version, **data
            )
        return services.operational_review_transition(
            review=instance, user=self.request.user, action=action_name, version=version
        )

    @_transition("Start the review", OperationalReviewSerializer)
    @action(detail=True, methods=["post"])
    def start(self, request, *args, **kwargs):
        return self.versioned_write()

    @_transition("Close the review: its agenda is frozen as it is now", OperationalReviewSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, *args, **kwargs):
        return self.versioned_write()

    @extend_schema(
        summary="The review's agenda",
        description=(
            "Sections `worsened`, `watermelons`, `overdue_updates`, `launches`, `capacity`, "
            "`overdue_actions`, each with its items; programs you may not see are left out. "
            "Live until the review is closed, then as it was when closed (`frozen`)."
        ),
        responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description="The agenda.")},
    )
    @action(detail=True, methods=["get"])
    def agenda(self, request, *args, **kwargs):
        review = self.get_object()
        return Response(review_agenda(review=review, user=request.user))


@extend_schema_view(
    list=extend_schema(summary="List action items of programs you may see"),
    retrieve=extend_schema(summary="An action item (ETag header)"),
    create=extend_schema(summary="Agree an action item in a review (TPMs, leadership, admins)"),
    update=extend_schema(summary="Replace an action item's title, owner, due date, program"),
    partial_update=extend_schema(summary="Change an action item's title, owner, due date"),
)
class ActionItemViewSet(ReadWriteViewSet):
    queryset = ActionItem.objects.all()  # the model, for the schema; get_queryset filters
    serializer_class = ActionItemSerializer
    filterset_class = ActionItemFilter
    input_serializers = {
        "create": ActionItemInputSerializer,
        "update": ActionItemUpdateSerializer,
        "partial_update": ActionItemUpdateSerializer,
        "close": ActionItemTransitionSerializer,
        "reopen": ActionItemTransitionSerializer,
    }
    versioned_actions = ("update", "partial_update", "close", "reopen")
    search_fields = ["title"]
    ordering_fields = ["due_date", "created_at", "state"]
    ordering = ["due_date", "id"]

    def base_queryset(self):
        return ActionItem.objects.select_related(
            "owner", "program", "created_in", "closed_in", "closed_by"
        )

    def get_queryset(self):
        return action_item_list(user=self.request.user)

    def check_can_create(self) -> None:
        if not services.can_run_reviews(self.request.user):
            raise PermissionDenied(RUN_DENIED)

    def perform_create_service(self, data):
        review = data.pop("review")
        return services.action_item_create(review=review, user=self.request.user, **data)

    def check_can_write(self, instance) -> None:
        if self.action in ("close", "reopen"):
            if not services.can_close_action_item(self.request.user, instance):
                raise PermissionDenied(CLOSE_DENIED)
        else:
            self.check_can_create()

    def perform_service(self, action_name, *, instance, data, version):
        if action_name in ("update", "partial_update"):
            return services.action_item_update(
                item=instance, user=self.request.user, version=version, **data
            )
        return services.action_item_transition(
            item=instance,
            user=self.request.user,
            action=action_name,
            version=version,
            review=data.get("review"),
        )

    @_transition("Close an action item (runners and its owner)", ActionItemSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, *args, **kwargs):
        return self.versioned_write()

    @_transition("Reopen a closed action item (runners and its owner)", ActionItemSerializer)
    @action(detail=True, methods=["post"])
    def reopen(self, request, *args, **kwargs):
        return self.versioned_write()
