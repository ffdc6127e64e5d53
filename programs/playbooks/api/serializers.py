"""Serializers of the playbooks API: output shapes, and input shapes that feed the services.

Playbooks are named by slug, people by username, versions by number. Input serializers only
parse and check shapes; they never save.
"""

from django.contrib.auth import get_user_model
from django.utils import timezone
from rest_framework import serializers

from core.api import InputSerializer, VersionedInputSerializer
from core.models import SHORT_TEXT
from programs.playbooks.models import (
    PLAYBOOK_BODY_LIMIT,
    GovernedWorkflow,
    Playbook,
    PlaybookVersion,
)

User = get_user_model()
GOVERNS_HELP = "The workflow whose pages link to it (at most one playbook each); empty: none."


def _username(**kwargs) -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(slug_field="username", read_only=True, **kwargs)


class PlaybookVersionSummarySerializer(serializers.ModelSerializer):
    """A version without its text (the playbook's current one, in lists)."""

    author = _username()

    class Meta:
        model = PlaybookVersion
        fields = ["number", "published_at", "author", "change_note"]
        read_only_fields = fields


class PlaybookVersionSerializer(serializers.ModelSerializer):
    """A published version with its whole text (Markdown)."""

    playbook: serializers.SlugRelatedField[Playbook] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    author = _username()

    class Meta:
        model = PlaybookVersion
        fields = ["playbook", "number", "body", "change_note", "author", "published_at"]
        read_only_fields = fields


class PlaybookSerializer(serializers.ModelSerializer):
    """A playbook's details and its current version (the text: ``/versions/{number}/``)."""

    owners = _username(many=True)
    current_version = PlaybookVersionSummarySerializer(read_only=True, allow_null=True)
    overdue = serializers.SerializerMethodField(help_text="Past its review-by date.")

    class Meta:
        model = Playbook
        fields = [
            "slug", "title", "summary", "governs", "owners", "review_by", "overdue",
            "current_version", "version", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_overdue(self, playbook: Playbook) -> bool:
        return playbook.review_by < timezone.localdate()


def _owners(**kwargs) -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(
        slug_field="username",
        queryset=User.objects.filter(is_active=True),
        many=True,
        allow_empty=False,
        help_text="Usernames of its owners (at least one): they publish and review it.",
        **kwargs,
    )


class PlaybookInputSerializer(InputSerializer):
    """A new playbook and the text of its version 1 (you are its author)."""

    refused_fields = {
        "current_version": "Publish versions at /api/v1/playbooks/{slug}/versions/.",
        "version": "A new playbook has no version to base on.",
    }

    slug = serializers.SlugField(max_length=80, help_text="Its address; it never changes.")
    title = serializers.CharField(max_length=200)
    summary = serializers.CharField(max_length=SHORT_TEXT, required=False, allow_blank=True)
    governs = serializers.ChoiceField(
        choices=GovernedWorkflow.choices, required=False, allow_blank=True, help_text=GOVERNS_HELP
    )
    owners = _owners()
    review_by = serializers.DateField()
    body = serializers.CharField(max_length=PLAYBOOK_BODY_LIMIT, help_text="Markdown.")
    change_note = serializers.CharField(max_length=SHORT_TEXT, required=False, allow_blank=True)


class PlaybookUpdateSerializer(VersionedInputSerializer):
    """The details of a playbook; only the fields sent change."""

    refused_fields = {
        "body": "The text changes by publishing: POST /api/v1/playbooks/{slug}/versions/.",
        "slug": "A playbook's address never changes.",
        "current_version": "Publish versions at /api/v1/playbooks/{slug}/versions/.",
    }

    title = serializers.CharField(max_length=200, required=False)
    summary = serializers.CharField(max_length=SHORT_TEXT, required=False, allow_blank=True)
    governs = serializers.ChoiceField(
        choices=GovernedWorkflow.choices, required=False, allow_blank=True, help_text=GOVERNS_HELP
    )
    owners = _owners(required=False)
    review_by = serializers.DateField(required=False)


class PublishInputSerializer(InputSerializer):
    """A new version: the whole text, what changed, and the number it was based on."""

    based_on = serializers.IntegerField(
        min_value=0,
        help_text="The number of the version you started from (the current one when you read "
        "it). If another was published since, the write is refused with 409.",
    )
    body = serializers.CharField(max_length=PLAYBOOK_BODY_LIMIT, help_text="Markdown.")
    change_note = serializers.CharField(max_length=SHORT_TEXT, help_text="What changed and why.")


class ReviewedInputSerializer(VersionedInputSerializer):
    """An owner confirms the playbook: only the version it is based on (or If-Match)."""
