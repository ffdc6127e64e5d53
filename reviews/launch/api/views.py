"""The launch-review API: thin viewsets that parse, check permission and call a service or selector.

The rules of the programs API hold here too (``programs.api.views``):
- reads show only what ``programs.selectors.visible_programs`` lets the caller see: a review,
  item, sign-off or comment of a confidential program the caller may not see answers
  404 and is absent from lists;
- writes need the same permission as in the browser (``reviews.rules``), else 403;
- every change to an existing object says which version it was based on: If-Match with the
  ETag (stale: 412) or ``version`` in the body (stale: 409); with neither, 428. State changes
  are POST actions and take the same precondition;
- an illegal state change answers 400 with the reason, from the one transition table.

Bulk answers from CI (``POST /launch-reviews/{id}/answers/``) are safely repeatable with an
``Idempotency-Key`` header (``reviews.idempotency``).
"""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from core.api import ReadWriteViewSet
from core.schema import error_response
from reviews.api import TRANSITIONS_NOTE, TransitionSerializer, visible_program_ids
from reviews.idempotency import IDEMPOTENCY_KEY, idempotent
from reviews.launch import filters, services
from reviews.launch.api import serializers
from reviews.launch.selectors import with_progress
from reviews.models import LaunchReview, LaunchReviewItem, ReviewComment, SignOff
from reviews.rules import can_comment_on, sign_off_refusal

CHANGE_DENIED = "Only the review's author, the program's leads and admins change it."


def _transition_schema(summary: str, description: str = ""):
    return extend_schema(
        summary=summary,
        description=(description + " " if description else "") + TRANSITIONS_NOTE,
        responses=serializers.LaunchReviewSerializer,
    )


@extend_schema_view(
    list=extend_schema(summary="List launch reviews of the programs you may see"),
    retrieve=extend_schema(summary="A launch review (ETag header)"),
    create=extend_schema(summary="Start a launch review (draft); the tier's checklist is copied"),
    update=extend_schema(summary="Replace a launch review's title, launch date and milestone"),
    partial_update=extend_schema(summary="Change a launch review's title, date or milestone"),
)
class LaunchReviewViewSet(ReadWriteViewSet):
    queryset = LaunchReview.objects.all()  # the model, for the schema; get_queryset filters
    serializer_class = serializers.LaunchReviewSerializer
    filterset_class = filters.LaunchReviewFilter
    input_serializers = {
        "create": serializers.LaunchReviewInputSerializer,
        "update": serializers.LaunchReviewUpdateSerializer,
        "partial_update": serializers.LaunchReviewUpdateSerializer,
        "submit": TransitionSerializer,
        "start_review": TransitionSerializer,
        "resubmit": TransitionSerializer,
        "launch": TransitionSerializer,
        "withdraw": TransitionSerializer,
        "answers": serializers.BulkAnswerSerializer,
    }
    versioned_actions = (
        "update", "partial_update", "submit", "start_review", "resubmit", "launch", "withdraw",
    )  # fmt: skip
    search_fields = ["title", "program__name"]
    ordering_fields = ["launch_date", "created_at", "title", "state"]
    ordering = ["launch_date", "id"]

    def base_queryset(self):
        return with_progress(LaunchReview.objects.all()).select_related("template")

    def get_queryset(self):
        return self.base_queryset().filter(program__in=visible_program_ids(self.request))

    def perform_create_service(self, data):
        program = data.pop("program")
        if not self.request.user.has_perm("reviews.add_launchreview", program):
            raise PermissionDenied("Members of the program start its launch reviews.")
        return services.launch_review_create(program=program, user=self.request.user, **data)

    def check_can_write(self, instance) -> None:
        if self.action == "start_review":
            return  # a reviewer's action: the service checks they cover one of its areas
        if not self.request.user.has_perm("reviews.change_launchreview", instance):
            raise PermissionDenied(CHANGE_DENIED)

    def perform_service(self, action_name, *, instance, data, version):
        if action_name in ("update", "partial_update"):
            return services.launch_review_update(
                review=instance, user=self.request.user, version=version, **data
            )
        return services.launch_review_transition(
            review=instance, user=self.request.user, action=action_name, version=version
        )

    @_transition_schema(
        "Submit a draft for review",
        "Refused with the list of required items still open (`missing`). Adds the reviewers "
        "of its areas to the program and e-mails them.",
    )
    @action(detail=True, methods=["post"])
    def submit(self, request, *args, **kwargs):
        return self.versioned_write()

    @_transition_schema("Start reviewing (a reviewer of one of its areas)")
    @action(detail=True, methods=["post"], url_path="start-review")
    def start_review(self, request, *args, **kwargs):
        return self.versioned_write()

    @_transition_schema("Resubmit after changes were requested")
    @action(detail=True, methods=["post"])
    def resubmit(self, request, *args, **kwargs):
        return self.versioned_write()

    @_transition_schema("Mark an approved review as launched")
    @action(detail=True, methods=["post"])
    def launch(self, request, *args, **kwargs):
        return self.versioned_write()

    @_transition_schema("Withdraw a review")
    @action(detail=True, methods=["post"])
    def withdraw(self, request, *args, **kwargs):
        return self.versioned_write()

    @extend_schema(
        summary="Answer several checklist items at once (CI tooling), all or nothing",
        description="Safely repeatable with an `Idempotency-Key` header: the same key and body "
        "return the stored answer without writing again; the same key with another body is "
        "refused with 422. Each answer may carry the item's `version` (stale: 409).",
        parameters=[IDEMPOTENCY_KEY],
        responses={
            200: serializers.LaunchReviewItemSerializer(many=True),
            409: error_response(409),
            422: error_response(422),
        },
    )
    @action(detail=True, methods=["post"])
    def answers(self, request, *args, **kwargs):
        review = self.get_object()
        self.check_can_write(review)

        def perform() -> Response:
            entries = self.parse()["answers"]
            items = {
                item.pk: item for item in review.items.filter(pk__in=[e["item"] for e in entries])
            }
            unknown = [entry["item"] for entry in entries if entry["item"] not in items]
            if unknown:
                raise ValidationError(
                    {"answers": [f"Item {pk} is not an item of this review." for pk in unknown]}
                )
            answered = services.launch_review_answer_many(
                review=review,
                user=request.user,
                answers=[{**entry, "item": items[entry["item"]]} for entry in entries],
            )
            return Response(serializers.LaunchReviewItemSerializer(answered, many=True).data)

        return idempotent(request, scope=f"launch-review-answers:{review.pk}", perform=perform)


@extend_schema_view(
    list=extend_schema(summary="List checklist items of the launch reviews you may see"),
    retrieve=extend_schema(summary="A checklist item with its answer (ETag header)"),
    update=extend_schema(summary="Answer a checklist item"),
    partial_update=extend_schema(summary="Change part of a checklist item's answer"),
)
class LaunchReviewItemViewSet(ReadWriteViewSet):
    """Checklist items, copied from the template; only their answers change."""

    queryset = LaunchReviewItem.objects.all()  # the model, for the schema; get_queryset filters
    serializer_class = serializers.LaunchReviewItemSerializer
    filterset_class = filters.LaunchReviewItemFilter
    input_serializers = {
        "update": serializers.ItemAnswerSerializer,
        "partial_update": serializers.ItemAnswerSerializer,
    }
    http_method_names = ["get", "put", "patch", "head", "options"]
    search_fields = ["question"]
    ordering_fields = ["order", "area", "status", "updated_at"]
    ordering = ["review", "order", "id"]

    def base_queryset(self):
        return LaunchReviewItem.objects.select_related("answered_by")

    def get_queryset(self):
        return self.base_queryset().filter(review__program__in=visible_program_ids(self.request))

    def check_can_write(self, instance) -> None:
        review = LaunchReview.objects.select_related("program").get(pk=instance.review_id)
        if not self.request.user.has_perm("reviews.change_launchreview", review):
            raise PermissionDenied(CHANGE_DENIED)

    def perform_service(self, action_name, *, instance, data, version):
        current = {
            "status": instance.status,
            "not_applicable_reason": instance.not_applicable_reason,
            "evidence": instance.evidence,
            "notes": instance.notes,
        }
        return services.launch_review_item_answer(
            item=instance, user=self.request.user, version=version, **{**current, **data}
        )


@extend_schema_view(
    list=extend_schema(summary="List sign-offs of the launch reviews you may see"),
    retrieve=extend_schema(summary="A sign-off"),
    create=extend_schema(
        summary="Sign an area off or request changes (reviewers of the area)",
        description="Requesting changes sends the review back to its author; the approval of "
        "the last area with required items approves the review. Not your own review (403).",
    ),
)
class SignOffViewSet(ReadWriteViewSet):
    queryset = SignOff.objects.all()  # the model, for the schema; get_queryset filters
    serializer_class = serializers.SignOffSerializer
    filterset_class = filters.SignOffFilter
    input_serializers = {"create": serializers.SignOffInputSerializer}
    http_method_names = ["get", "post", "head", "options"]
    ordering_fields = ["created_at", "area"]
    ordering = ["created_at", "id"]

    def base_queryset(self):
        return SignOff.objects.select_related("reviewer")

    def get_queryset(self):
        return self.base_queryset().filter(review__program__in=visible_program_ids(self.request))

    def perform_create_service(self, data):
        review = data.pop("review")
        refusal = sign_off_refusal(self.request.user, review, data["area"])
        if refusal:
            raise PermissionDenied(refusal)
        return services.launch_review_sign_off(review=review, user=self.request.user, **data)


@extend_schema_view(
    list=extend_schema(summary="List comments on the launch reviews you may see"),
    retrieve=extend_schema(summary="A comment"),
    create=extend_schema(summary="Comment on a review (its author, leads and reviewers)"),
)
class ReviewCommentViewSet(ReadWriteViewSet):
    queryset = ReviewComment.objects.all()  # the model, for the schema; get_queryset filters
    serializer_class = serializers.ReviewCommentSerializer
    filterset_class = filters.ReviewCommentFilter
    input_serializers = {"create": serializers.ReviewCommentInputSerializer}
    http_method_names = ["get", "post", "head", "options"]
    ordering_fields = ["created_at"]
    ordering = ["created_at", "id"]

    def base_queryset(self):
        return ReviewComment.objects.select_related("author")

    def get_queryset(self):
        return self.base_queryset().filter(review__program__in=visible_program_ids(self.request))

    def perform_create_service(self, data):
        review = data.pop("review")
        if not can_comment_on(self.request.user, review):
            raise PermissionDenied("The author, the program's leads and its reviewers comment.")
        return services.review_comment_add(review=review, user=self.request.user, **data)
