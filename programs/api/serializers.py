"""Serializers of the programs API: output shapes, and input shapes that feed the services.

Input serializers only parse and check shapes; they never save. Views pass their
``validated_data`` to a ``programs.services`` function. References are by natural key:
programs, portfolios and teams by slug, people by username, milestones by id.
"""

from django.contrib.auth import get_user_model
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api import InputSerializer, VersionedInputSerializer
from core.grades import Grade
from core.types import User
from programs.models import (
    Decision,
    MembershipRole,
    Milestone,
    MilestoneDateChange,
    MilestoneState,
    MoveCategory,
    Phase,
    Portfolio,
    PriorityTier,
    Program,
    ProgramMembership,
    ReportedHealth,
    Risk,
    RiskState,
    StatusUpdate,
    Team,
)
from programs.selectors import HEALTH_FAMILY_CHOICES, ListedProgram, visible_programs

HEALTH_CAUSE_HELP = (
    "The family of the signal that decides a yellow or red grade (where to look first); "
    "empty when green or not yet computed."
)
HEALTH_STALE_HELP = (
    "No current status update (older than two update cadences, or none on a program older "
    "than that): flagged stale, never watermelon."
)


def _username(**kwargs) -> serializers.SlugRelatedField:
    """A person, by username."""
    return serializers.SlugRelatedField(
        slug_field="username", queryset=get_user_model().objects.filter(is_active=True), **kwargs
    )


class VisibleProgramField(serializers.SlugRelatedField):
    """A program by slug, among those the caller may see (others 'do not exist')."""

    def __init__(self, **kwargs):
        super().__init__(slug_field="slug", queryset=Program.objects.all(), **kwargs)

    def get_queryset(self):
        return visible_programs(self.context["request"].user)


class VisibleMilestoneField(serializers.PrimaryKeyRelatedField):
    """A milestone by id, in any program the caller may see."""

    def __init__(self, **kwargs):
        super().__init__(queryset=Milestone.objects.all(), **kwargs)

    def get_queryset(self):
        programs = visible_programs(self.context["request"].user)
        return Milestone.objects.filter(program__in=programs.values("pk"))


# --- Portfolios and teams -----------------------------------------------------------------


class PortfolioSerializer(serializers.ModelSerializer):
    leader: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )

    class Meta:
        model = Portfolio
        fields = ["slug", "name", "description", "leader", "version", "created_at", "updated_at"]
        read_only_fields = fields


class PortfolioInputSerializer(InputSerializer):
    name = serializers.CharField(max_length=120)
    slug = serializers.SlugField(
        max_length=120, required=False, help_text="Default: from the name."
    )
    description = serializers.CharField(required=False, allow_blank=True)
    leader = _username(required=False, allow_null=True)


class PortfolioUpdateSerializer(PortfolioInputSerializer, VersionedInputSerializer):
    pass


class TeamSerializer(serializers.ModelSerializer):
    members: serializers.ManyRelatedField = serializers.SlugRelatedField(
        slug_field="username", many=True, read_only=True
    )  # type: ignore[assignment]  # many=True makes a ManyRelatedField; the stubs miss it
    lead: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="username",
        read_only=True,
        help_text="Who acknowledges program plans for the team (set in the admin).",
    )

    class Meta:
        model = Team
        fields = ["slug", "name", "lead", "members", "version", "created_at", "updated_at"]
        read_only_fields = fields


class TeamInputSerializer(InputSerializer):
    name = serializers.CharField(max_length=120)
    slug = serializers.SlugField(
        max_length=120, required=False, help_text="Default: from the name."
    )
    members = _username(many=True, required=False)


class TeamUpdateSerializer(TeamInputSerializer, VersionedInputSerializer):
    pass


# --- Programs and memberships -------------------------------------------------------------


class NextMilestoneSerializer(serializers.Serializer):
    name = serializers.CharField()
    target_date = serializers.DateField()


class ProgramSerializer(serializers.ModelSerializer):
    """A program as lists and details show it, with its latest computed and reported health."""

    portfolio: serializers.SlugRelatedField[Portfolio] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    tpm: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    sponsor: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    teams: serializers.ManyRelatedField = serializers.SlugRelatedField(
        slug_field="slug", many=True, read_only=True
    )  # type: ignore[assignment]  # many=True makes a ManyRelatedField; the stubs miss it
    health_grade = serializers.ChoiceField(
        choices=Grade.choices,
        allow_blank=True,
        read_only=True,
        help_text="Latest computed grade; empty until health was first computed.",
    )
    health_stale = serializers.BooleanField(read_only=True, help_text=HEALTH_STALE_HELP)
    health_cause = serializers.ChoiceField(
        choices=HEALTH_FAMILY_CHOICES, allow_blank=True, read_only=True, help_text=HEALTH_CAUSE_HELP
    )
    latest_reported_health = serializers.ChoiceField(
        choices=ReportedHealth.choices,
        allow_null=True,
        read_only=True,
        default=None,
        help_text="The reported health of the latest status update, if any.",
    )
    next_milestone = serializers.SerializerMethodField()

    class Meta:
        model = Program
        fields = [
            "slug", "name", "portfolio", "tpm", "sponsor", "teams", "phase", "priority",
            "start_date", "target_date", "problem_statement", "success_criteria",
            "confidential", "update_cadence_days", "health_score", "health_grade",
            "health_computed_at", "health_watermelon", "health_stale", "health_cause",
            "latest_reported_health", "next_milestone", "last_update_at", "version",
            "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(NextMilestoneSerializer(allow_null=True))
    def get_next_milestone(self, program: ListedProgram) -> dict | None:
        """The earliest open milestone (from the list annotations), or null."""
        name = getattr(program, "next_milestone_name", None)
        if name is None:
            return None
        return {"name": name, "target_date": program.next_milestone_date}


class ProgramListSerializer(ProgramSerializer):
    """A program in a list: everything but the Markdown brief (read it on the detail)."""

    class Meta(ProgramSerializer.Meta):
        fields = [
            f
            for f in ProgramSerializer.Meta.fields
            if f not in ("problem_statement", "success_criteria")
        ]
        read_only_fields = fields


class ProgramInputSerializer(InputSerializer):
    """A new program. Its slug comes from its name; its TPM becomes a member."""

    refused_fields = {
        name: "Computed by Pulse; it cannot be set."
        for name in (
            "slug",
            "health_score",
            "health_grade",
            "health_computed_at",
            "health_watermelon",
            "health_stale",
            "health_cause",
        )
    }

    name = serializers.CharField(max_length=200)
    portfolio = serializers.SlugRelatedField(slug_field="slug", queryset=Portfolio.objects.all())
    tpm = _username()
    sponsor = _username(required=False, allow_null=True)
    teams = serializers.SlugRelatedField(
        slug_field="slug", queryset=Team.objects.all(), many=True, required=False
    )
    phase = serializers.ChoiceField(choices=Phase.choices, required=False)
    priority = serializers.ChoiceField(choices=PriorityTier.choices, required=False)
    start_date = serializers.DateField()
    target_date = serializers.DateField()
    problem_statement = serializers.CharField(required=False, allow_blank=True)
    success_criteria = serializers.CharField(required=False, allow_blank=True)
    confidential = serializers.BooleanField(required=False)
    update_cadence_days = serializers.IntegerField(required=False, min_value=1, max_value=90)

    def validate(self, attrs):
        start = attrs.get("start_date", getattr(self.instance, "start_date", None))
        target = attrs.get("target_date", getattr(self.instance, "target_date", None))
        if start and target and target < start:
            raise serializers.ValidationError(
                {"target_date": ["The target date cannot be before the start date."]}
            )
        return attrs


class ProgramUpdateSerializer(ProgramInputSerializer, VersionedInputSerializer):
    pass


class MembershipSerializer(serializers.ModelSerializer):
    program: serializers.SlugRelatedField[Program] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    user: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    name = serializers.CharField(source="user.get_full_name", read_only=True)

    class Meta:
        model = ProgramMembership
        fields = ["id", "program", "user", "name", "role", "created_at"]
        read_only_fields = fields


class MembershipInputSerializer(InputSerializer):
    program = VisibleProgramField()
    user = _username()
    role = serializers.ChoiceField(choices=MembershipRole.choices)


# --- Milestones ---------------------------------------------------------------------------


class MilestoneSerializer(serializers.ModelSerializer):
    program: serializers.SlugRelatedField[Program] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    owner_team: serializers.SlugRelatedField[Team] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    depends_on: serializers.ManyRelatedField = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True
    )  # type: ignore[assignment]  # many=True makes a ManyRelatedField; the stubs miss it
    slip_days = serializers.IntegerField(
        read_only=True, help_text="Days the target lies after the baseline (negative: earlier)."
    )
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = Milestone
        fields = [
            "id", "program", "name", "description", "owner_team", "baseline_date",
            "target_date", "completed_date", "state", "critical", "depends_on", "slip_days",
            "overdue", "version", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_overdue(self, milestone: Milestone) -> bool:
        """Open and past its target date."""
        return milestone.is_open and milestone.target_date < timezone.localdate()


class MilestoneInputSerializer(InputSerializer):
    """A new milestone; its baseline is its first target date unless given."""

    program = VisibleProgramField()
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True)
    owner_team = serializers.SlugRelatedField(
        slug_field="slug", queryset=Team.objects.all(), required=False, allow_null=True
    )
    baseline_date = serializers.DateField(required=False)
    target_date = serializers.DateField()
    completed_date = serializers.DateField(required=False, allow_null=True)
    state = serializers.ChoiceField(choices=MilestoneState.choices, required=False)
    critical = serializers.BooleanField(required=False)
    depends_on = VisibleMilestoneField(many=True, required=False)


class MilestoneUpdateSerializer(VersionedInputSerializer):
    """Details of a milestone; its dates move only through the move action."""

    refused_fields = {
        "target_date": "Move the date with POST /api/v1/milestones/{id}/move/ and a reason.",
        "baseline_date": "The baseline is set once, when the plan is agreed.",
        "completed_date": "Complete the milestone with POST /api/v1/milestones/{id}/complete/.",
        "program": "A milestone stays in its program.",
    }

    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True)
    owner_team = serializers.SlugRelatedField(
        slug_field="slug", queryset=Team.objects.all(), required=False, allow_null=True
    )
    state = serializers.ChoiceField(choices=MilestoneState.choices, required=False)
    critical = serializers.BooleanField(required=False)
    depends_on = VisibleMilestoneField(many=True, required=False)


class MilestoneMoveSerializer(VersionedInputSerializer):
    target_date = serializers.DateField(help_text="The new target date.")
    category = serializers.ChoiceField(
        choices=MoveCategory.choices,
        help_text="The kind of reason, what slips are grouped by; `reason` says the rest.",
    )
    reason = serializers.CharField(
        allow_blank=True, help_text="Why the date moves; recorded in the slip ledger."
    )


class MilestoneCompleteSerializer(VersionedInputSerializer):
    completed_date = serializers.DateField(
        required=False, allow_null=True, help_text="Default: today. Not in the future."
    )


class MilestoneDateChangeSerializer(serializers.ModelSerializer):
    program: serializers.SlugRelatedField[Program] = serializers.SlugRelatedField(
        source="milestone.program", slug_field="slug", read_only=True
    )
    changed_by: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    delta_days = serializers.IntegerField(read_only=True, help_text="Positive: a slip.")

    class Meta:
        model = MilestoneDateChange
        fields = [
            "id", "milestone", "program", "changed_by", "changed_at", "from_date", "to_date",
            "delta_days", "category", "reason",
        ]  # fmt: skip
        read_only_fields = fields


# --- Status updates, risks, decisions -----------------------------------------------------


class StatusUpdateSerializer(serializers.ModelSerializer):
    program: serializers.SlugRelatedField[Program] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    author: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )

    class Meta:
        model = StatusUpdate
        fields = [
            "id", "program", "author", "reported_health", "summary", "highlights",
            "risks_and_blockers", "asks", "next_steps", "version", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


class StatusUpdateUpdateSerializer(VersionedInputSerializer):
    reported_health = serializers.ChoiceField(choices=ReportedHealth.choices)
    summary = serializers.CharField()
    highlights = serializers.CharField(required=False, allow_blank=True)
    risks_and_blockers = serializers.CharField(required=False, allow_blank=True)
    asks = serializers.CharField(required=False, allow_blank=True)
    next_steps = serializers.CharField(required=False, allow_blank=True)


class StatusUpdateInputSerializer(StatusUpdateUpdateSerializer):
    """The weekly update; its author is the caller."""

    program = VisibleProgramField()
    version = None  # type: ignore[assignment]  # DRF drops an inherited field set to None


class RiskSerializer(serializers.ModelSerializer):
    program: serializers.SlugRelatedField[Program] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    owner: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    exposure = serializers.IntegerField(read_only=True, help_text="Likelihood × impact, 1 to 25.")

    class Meta:
        model = Risk
        fields = [
            "id", "program", "title", "description", "likelihood", "impact", "exposure",
            "owner", "mitigation", "due_date", "state", "closed_at", "version", "created_at",
            "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


class RiskUpdateSerializer(VersionedInputSerializer):
    refused_fields = {"closed_at": "Set by closing the risk.", "program": "A risk stays put."}

    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True)
    likelihood = serializers.IntegerField(min_value=1, max_value=5, help_text="1 to 5.")
    impact = serializers.IntegerField(min_value=1, max_value=5, help_text="1 to 5.")
    owner = _username(required=False, allow_null=True)
    mitigation = serializers.CharField(required=False, allow_blank=True)
    due_date = serializers.DateField(required=False, allow_null=True)
    state = serializers.ChoiceField(choices=RiskState.choices, required=False)


class RiskInputSerializer(RiskUpdateSerializer):
    program = VisibleProgramField()
    version = None  # type: ignore[assignment]  # DRF drops an inherited field set to None


class RiskCloseSerializer(VersionedInputSerializer):
    pass


class DecisionSerializer(serializers.ModelSerializer):
    program: serializers.SlugRelatedField[Program] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    decided_by: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    recorded_by: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )

    class Meta:
        model = Decision
        fields = [
            "id", "program", "title", "context", "outcome", "decided_on", "decided_by",
            "recorded_by", "version", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


class DecisionUpdateSerializer(VersionedInputSerializer):
    refused_fields = {"recorded_by": "The person who recorded it is the caller."}

    title = serializers.CharField(max_length=200)
    # A declared field, which DRF moves off the class; the stubs take it for Field.context.
    context = serializers.CharField(required=False, allow_blank=True)  # type: ignore[assignment]
    outcome = serializers.CharField()
    decided_on = serializers.DateField()
    decided_by = _username(required=False, allow_null=True)


class DecisionInputSerializer(DecisionUpdateSerializer):
    program = VisibleProgramField()
    version = None  # type: ignore[assignment]  # DRF drops an inherited field set to None
