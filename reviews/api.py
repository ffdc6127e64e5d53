"""What the three workflows' APIs share: the state-change input, notes of their schema,
how people are shown and which programs a caller may see."""

from django.db.models import QuerySet
from rest_framework import serializers
from rest_framework.request import Request

from core.api import VersionedInputSerializer
from programs.selectors import visible_programs

CONCURRENCY_NOTE = "Send If-Match with the ETag from GET, or `version` in the body."
TRANSITIONS_NOTE = "Illegal from the current state: 400 with the reason. " + CONCURRENCY_NOTE


def read_only_username(**kwargs) -> serializers.SlugRelatedField:
    """A person shown by username."""
    return serializers.SlugRelatedField(slug_field="username", read_only=True, **kwargs)


def visible_program_ids(request: Request) -> QuerySet:
    """The ids of the programs the caller may see, as a subquery."""
    return visible_programs(request.user).values("pk")


class TransitionSerializer(VersionedInputSerializer):
    """A state change: only the version it is based on (or If-Match)."""
