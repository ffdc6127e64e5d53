"""Serializers of the launch-review API: output shapes, and input shapes that feed the services.

Input serializers only parse and check shapes; they never save. Programs are named by slug,
people by username, reviews and items by id.
"""

from rest_framework import serializers

from core.api import InputSerializer, VersionedInputSerializer
from programs.api.serializers import VisibleProgramField
from programs.models import Milestone, Program
from reviews.api import read_only_username as _username
from reviews.launch.selectors import visible_reviews
from reviews.models import (
    AnswerStatus,
    ChecklistTemplate,
    LaunchReview,
    LaunchReviewItem,
    LaunchTier,
    ReviewArea,
    ReviewComment,
    SignOff,
    SignOffDecision,
)


class VisibleReviewField(serializers.PrimaryKeyRelatedField):
    """A launch review by id, among those the caller may see (others 'do not exist')."""

    def __init__(self, **kwargs):
        super().__init__(queryset=LaunchReview.objects.all(), **kwargs)

    def get_queryset(self):
        return visible_reviews(self.context["request"].user).select_related("program")


class LaunchReviewSerializer(serializers.ModelSerializer):
    """A launch review with its answer counts."""

    program: serializers.SlugRelatedField[Program] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    author = _username()
    template: serializers.StringRelatedField[ChecklistTemplate] = serializers.StringRelatedField(
        help_text="The checklist version it copied."
    )
    item_count = serializers.IntegerField(read_only=True)
    answered_count = serializers.IntegerField(
        read_only=True, help_text="Items done or not applicable."
    )
    open_required_count = serializers.IntegerField(
        read_only=True, help_text="Required items neither done nor not applicable."
    )

    class Meta:
        model = LaunchReview
        fields = [
            "id", "program", "milestone", "title", "launch_date", "tier", "template", "author",
            "state", "item_count", "answered_count", "open_required_count", "submitted_at",
            "decided_at", "launched_at", "version", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


class LaunchReviewInputSerializer(InputSerializer):
    """A new launch review (draft) of a program; the tier's active checklist is copied in."""

    refused_fields = {
        "state": "Change the state with the actions (submit, resubmit, launch, withdraw).",
        "author": "The author is the caller.",
    }

    program = VisibleProgramField()
    title = serializers.CharField(max_length=200)
    launch_date = serializers.DateField()
    tier = serializers.ChoiceField(choices=LaunchTier.choices)
    milestone = serializers.PrimaryKeyRelatedField(
        queryset=Milestone.objects.all(), required=False, allow_null=True,
        help_text="A milestone of the same program.",
    )  # fmt: skip


class LaunchReviewUpdateSerializer(VersionedInputSerializer):
    refused_fields = {
        "state": "Change the state with the actions (submit, resubmit, launch, withdraw).",
        "tier": "The tier picked the checklist: start a new review for another tier.",
        "program": "A review stays with its program.",
    }

    title = serializers.CharField(max_length=200, required=False)
    launch_date = serializers.DateField(required=False)
    milestone = serializers.PrimaryKeyRelatedField(
        queryset=Milestone.objects.all(), required=False, allow_null=True
    )


class LaunchReviewItemSerializer(serializers.ModelSerializer):
    answered_by = _username()

    class Meta:
        model = LaunchReviewItem
        fields = [
            "id", "review", "area", "question", "guidance", "required", "order", "status",
            "not_applicable_reason", "evidence", "notes", "answered_by", "answered_at",
            "version", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields
        extra_kwargs = {"evidence": {"help_text": "Links (http or https)."}}


class AnswerFieldsSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=AnswerStatus.choices)
    not_applicable_reason = serializers.CharField(
        required=False, allow_blank=True, help_text="Required when not applicable."
    )
    evidence = serializers.ListField(
        child=serializers.URLField(max_length=500), required=False, max_length=20,
        help_text="Links (http or https), at most 20.",
    )  # fmt: skip
    notes = serializers.CharField(required=False, allow_blank=True)


class ItemAnswerSerializer(AnswerFieldsSerializer, VersionedInputSerializer):
    """An answer to one item."""

    refused_fields = {
        name: "Copied from the checklist; it cannot be changed."
        for name in ("question", "guidance", "required", "area", "order", "review")
    }


class BulkAnswerEntrySerializer(AnswerFieldsSerializer, InputSerializer):
    item = serializers.IntegerField(help_text="An item id of this review.")
    version = serializers.IntegerField(
        required=False, min_value=1,
        help_text="The item's version you based this on (optional; stale: 409).",
    )  # fmt: skip


class BulkAnswerSerializer(InputSerializer):
    """Answers to several items of one review, applied all or nothing."""

    answers = BulkAnswerEntrySerializer(many=True, allow_empty=False)


class SignOffSerializer(serializers.ModelSerializer):
    reviewer = _username()

    class Meta:
        model = SignOff
        fields = [
            "id", "review", "area", "reviewer", "decision", "comment", "superseded", "created_at",
        ]  # fmt: skip
        read_only_fields = fields
        extra_kwargs = {
            "superseded": {
                "help_text": "Replaced by a later sign-off of the area, or by a changed answer."
            }
        }


class SignOffInputSerializer(InputSerializer):
    """A reviewer's decision on one area (you are the reviewer)."""

    review = VisibleReviewField()
    area = serializers.ChoiceField(choices=ReviewArea.choices)
    decision = serializers.ChoiceField(choices=SignOffDecision.choices)
    comment = serializers.CharField(
        required=False, allow_blank=True, help_text="Required when requesting changes."
    )


class ReviewCommentSerializer(serializers.ModelSerializer):
    author = _username()

    class Meta:
        model = ReviewComment
        fields = ["id", "review", "author", "area", "body", "created_at"]
        read_only_fields = fields


class ReviewCommentInputSerializer(InputSerializer):
    review = VisibleReviewField()
    area = serializers.ChoiceField(choices=ReviewArea.choices, required=False, allow_blank=True)
    body = serializers.CharField()
