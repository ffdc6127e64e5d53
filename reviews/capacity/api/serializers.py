"""Serializers of the capacity API: output shapes, and input shapes that feed the services.

Input serializers only parse and check shapes; they never save. Programs and teams are named
by slug, people by username, budgets and requests by id.
"""

from rest_framework import serializers

from core.api import InputSerializer, VersionedInputSerializer
from programs.api.serializers import VisibleProgramField
from programs.models import Program, Team
from reviews.api import read_only_username as _username
from reviews.models import CapacityBudget, CapacityRequest, ResourceKind, quarter_validator


class CapacityBudgetSerializer(serializers.ModelSerializer):
    team: serializers.SlugRelatedField[Team] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    unit = serializers.CharField(read_only=True)

    class Meta:
        model = CapacityBudget
        fields = [
            "id", "team", "quarter", "resource_kind", "unit", "amount", "version", "created_at",
            "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


class CapacityBudgetInputSerializer(InputSerializer):
    team = serializers.SlugRelatedField(slug_field="slug", queryset=Team.objects.all())
    quarter = serializers.CharField(max_length=7, validators=[quarter_validator])
    resource_kind = serializers.ChoiceField(choices=ResourceKind.choices)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0)


class CapacityBudgetUpdateSerializer(VersionedInputSerializer):
    refused_fields = {
        name: "Create another budget instead." for name in ("team", "quarter", "resource_kind")
    }

    amount = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0)


class CapacityRequestSerializer(serializers.ModelSerializer):
    team: serializers.SlugRelatedField[Team] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    program: serializers.SlugRelatedField[Program] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    requester = _username()
    decided_by = _username()
    unit = serializers.CharField(read_only=True)

    class Meta:
        model = CapacityRequest
        fields = [
            "id", "team", "program", "requester", "resource_kind", "unit", "amount",
            "environment", "region", "needed_by", "quarter", "justification", "state",
            "approved_amount", "decision_note", "override_reason", "auto_approved",
            "decided_by", "submitted_at", "decided_at", "fulfilled_at", "version",
            "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


class CapacityRequestUpdateSerializer(VersionedInputSerializer):
    """A draft's fields (you stay its requester)."""

    refused_fields = {
        "state": "Change the state with the actions (submit, approve, deny, fulfill).",
        "approved_amount": "Set by the approve action.",
        "requester": "The requester is the caller.",
    }

    team = serializers.SlugRelatedField(slug_field="slug", queryset=Team.objects.all())
    resource_kind = serializers.ChoiceField(choices=ResourceKind.choices)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0)
    environment = serializers.CharField(max_length=60)
    region = serializers.CharField(max_length=60)
    needed_by = serializers.DateField()
    justification = serializers.CharField()


class CapacityRequestInputSerializer(CapacityRequestUpdateSerializer):
    program = VisibleProgramField()
    version = None  # type: ignore[assignment]  # DRF drops an inherited field set to None


class CapacityApproveSerializer(VersionedInputSerializer):
    approved_amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=0, required=False, allow_null=True,
        help_text="Default: the amount asked. Less approves part of it.",
    )  # fmt: skip
    note = serializers.CharField(required=False, allow_blank=True)
    override_reason = serializers.CharField(
        required=False, allow_blank=True,
        help_text="Required when the approval takes the team over its quarter's budget.",
    )  # fmt: skip


class CapacityDenySerializer(VersionedInputSerializer):
    note = serializers.CharField(help_text="Why it is denied.")
