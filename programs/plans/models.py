"""Program plans: a template's sections, a program's published versions, and who agreed.

``PlanTemplate`` (admin-managed, versioned like checklist templates: one active version per
name) lists ``PlanTemplateSection``s. A program's ``Plan`` is made from one template version;
each publish adds an immutable ``PlanVersion`` holding the text of every section (Markdown;
a per-team section holds one text per team). Live sections (milestones, risks, success
metrics, dependencies) are not copied: the plan renders the program's own records in place.

Alignment: publishing a version that changes something material (a section the template
marks material, e.g. scope or success criteria; or the first publish) opens an
``AlignmentRound``, which asks each taking-part team's lead and the sponsor to acknowledge
(``PlanAcknowledgement``). A material change outside the text (a critical milestone moved)
opens a new round on the same version. Each party's latest acknowledgement says which
version it agreed to.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from core.models import SHORT_TEXT, BoundedTextField, TimeStampedModel, VersionedModel
from programs.models import Program, Team

User = settings.AUTH_USER_MODEL


class SectionKind(models.TextChoices):
    MARKDOWN = "markdown", "Markdown"
    PER_TEAM = "per_team", "Markdown per team"


class LiveBlock(models.TextChoices):
    """A block of the program's own records rendered in a section (see ``plans.live``)."""

    NONE = "", "None"
    MILESTONES = "milestones", "Milestones"
    RISKS = "risks", "Risks"
    SUCCESS_METRICS = "success_metrics", "Success metrics"
    DEPENDENCIES = "dependencies", "Dependencies"


class PlanTemplate(TimeStampedModel):
    """The sections of a kind of program's plan. Plans keep the version they were made from;
    an edit to sections in use is made as a new version ("Copy as a new version")."""

    name = models.CharField(max_length=120)
    version = models.PositiveIntegerField(default=1)
    description = models.CharField(
        max_length=300, blank=True, help_text="Which programs it suits, shown when choosing."
    )
    active = models.BooleanField(
        default=False, help_text="New plans can start from the active version (one per name)."
    )

    class Meta:
        ordering = ["name", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["name", "version"], name="plan_template_name_version"),
            models.UniqueConstraint(
                fields=["name"],
                condition=Q(active=True),
                name="plan_template_one_active_per_name",
                violation_error_message="Another version of this template is already active.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class PlanTemplateSection(models.Model):
    template = models.ForeignKey(PlanTemplate, on_delete=models.CASCADE, related_name="sections")
    position = models.PositiveSmallIntegerField()
    key = models.SlugField(max_length=40, help_text="Stable name of the section in a version.")
    title = models.CharField(max_length=120)
    guidance = models.CharField(
        max_length=SHORT_TEXT, blank=True, help_text="What to write: shown beside the editor."
    )
    kind = models.CharField(max_length=20, choices=SectionKind, default=SectionKind.MARKDOWN)
    live = models.CharField(max_length=20, choices=LiveBlock, blank=True, default="")
    material = models.BooleanField(
        default=False,
        help_text="A change to it asks the teams and the sponsor to acknowledge the plan again.",
    )

    class Meta:
        ordering = ["template", "position"]
        constraints = [
            models.UniqueConstraint(fields=["template", "key"], name="plan_section_key_once"),
            models.UniqueConstraint(
                fields=["template", "position"], name="plan_section_position_once"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Plan(VersionedModel):
    """A program's canonical plan: the template it follows and its published versions."""

    program = models.OneToOneField(Program, on_delete=models.CASCADE, related_name="plan")
    template = models.ForeignKey(PlanTemplate, on_delete=models.PROTECT, related_name="plans")
    published = models.PositiveIntegerField(
        default=0, editable=False, help_text="The number of the latest published version."
    )
    # Kept by the services: when the latest alignment round opened, while anyone it asked has
    # not acknowledged (None: everyone has, or nobody was asked). Health and the ops agenda
    # read it without scanning the rounds.
    awaiting_since = models.DateTimeField(null=True, blank=True, editable=False)
    awaiting = models.PositiveSmallIntegerField(
        default=0, editable=False, help_text="Parties yet to acknowledge the latest round."
    )

    history = HistoricalRecords(excluded_fields=["updated_at"])

    def __str__(self) -> str:
        return f"Plan of {self.program}"


class PlanVersion(models.Model):
    """One published version: immutable. ``sections`` maps a section's key to its Markdown, or
    (a per-team section) to ``{team slug: Markdown}``."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    sections = models.JSONField(default=dict)
    change_note = models.CharField(max_length=SHORT_TEXT, blank=True)
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    published_at = models.DateTimeField()
    # Which material sections changed from the version before (empty: none, or the first).
    material_changes = models.JSONField(default=list, blank=True)
    # All the text, for search (plans.search): the sections' Markdown joined.
    text = BoundedTextField(blank=True, max_length=200_000, editable=False)

    class Meta:
        ordering = ["plan", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="plan_version_once"),
        ]

    def __str__(self) -> str:
        return f"{self.plan} v{self.number}"


class AlignmentRound(models.Model):
    """One asking of every party to acknowledge a version, and why it was asked."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="rounds")
    version = models.ForeignKey(PlanVersion, on_delete=models.CASCADE, related_name="rounds")
    reason = models.CharField(max_length=300)
    opened_at = models.DateTimeField()

    class Meta:
        ordering = ["plan", "-opened_at", "-pk"]
        indexes = [models.Index(fields=["plan", "-opened_at"])]

    def __str__(self) -> str:
        return f"{self.version}: {self.reason}"


class PlanAcknowledgement(TimeStampedModel):
    """A party asked to acknowledge a round: a team (asked of its lead) or, with no team, the
    sponsor. ``acknowledged_at`` is set when they do."""

    round = models.ForeignKey(
        AlignmentRound, on_delete=models.CASCADE, related_name="acknowledgements"
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    asked = models.ForeignKey(User, on_delete=models.CASCADE, related_name="plan_asks")
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["round", "team__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "team"], condition=Q(team__isnull=False),
                name="plan_ack_once_per_team",
            ),
            models.UniqueConstraint(
                fields=["round"], condition=Q(team__isnull=True), name="plan_ack_sponsor_once"
            ),
        ]  # fmt: skip
        indexes = [
            models.Index(
                fields=["asked"], condition=Q(acknowledged_at__isnull=True), name="plan_ack_pending"
            )
        ]

    def __str__(self) -> str:
        return f"{self.party} on {self.round.version}"

    @property
    def party(self) -> str:
        return self.team.name if self.team_id and self.team else "Sponsor"

    def clean(self) -> None:
        if self.acknowledged_at and not self.acknowledged_by_id:
            raise ValidationError({"acknowledged_by": "Say who acknowledged."})
