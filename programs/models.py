"""What is being delivered: portfolios, teams, programs and everything a TPM keeps current."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import ExpressionWrapper, F, Q
from django.urls import reverse
from simple_history.models import HistoricalRecords

from core.grades import Grade
from core.models import SHORT_TEXT, BoundedTextField, TimeStampedModel, VersionedModel

User = settings.AUTH_USER_MODEL


class Portfolio(VersionedModel):
    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=120, unique=True)
    description = BoundedTextField(blank=True)
    leader = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="led_portfolios"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Team(VersionedModel):
    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=120, unique=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="teams")
    # Who speaks for the team: asked to acknowledge the plans of the programs it takes part in.
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="teams_led",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Phase(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    PLANNING = "planning", "Planning"
    EXECUTING = "executing", "Executing"
    LAUNCHING = "launching", "Launching"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


class PriorityTier(models.IntegerChoices):
    P0 = 0, "P0 — company critical"
    P1 = 1, "P1 — org critical"
    P2 = 2, "P2 — important"
    P3 = 3, "P3 — opportunistic"


class Program(VersionedModel):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    # Indexed by (portfolio, phase) below, which serves lookups by portfolio alone too.
    portfolio = models.ForeignKey(
        Portfolio, on_delete=models.PROTECT, related_name="programs", db_index=False
    )
    tpm = models.ForeignKey(User, on_delete=models.PROTECT, related_name="tpm_programs")
    sponsor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="sponsored_programs"
    )
    teams = models.ManyToManyField(Team, blank=True, related_name="programs")
    phase = models.CharField(max_length=20, choices=Phase, default=Phase.PROPOSED)
    priority = models.PositiveSmallIntegerField(choices=PriorityTier, default=PriorityTier.P2)
    start_date = models.DateField()
    target_date = models.DateField()
    problem_statement = BoundedTextField(blank=True, help_text="Markdown.")
    success_criteria = BoundedTextField(blank=True, help_text="Markdown.")
    confidential = models.BooleanField(
        default=False,
        help_text="Visible only to members, reviewers of its launches and leadership.",
    )
    update_cadence_days = models.PositiveSmallIntegerField(
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
        help_text="How often a status update is expected, in days.",
    )
    # Latest computed health, denormalised from metrics.HealthSnapshot for fast listing.
    health_score = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    health_grade = models.CharField(
        max_length=10, choices=Grade.choices, blank=True, editable=False
    )
    # When the score was last written: after an edit, or when a full recompute found it changed
    # (an unchanged score is not rewritten, so its row and time stay as they were).
    health_computed_at = models.DateTimeField(null=True, blank=True, editable=False)
    health_watermelon = models.BooleanField(
        default=False,
        editable=False,
        help_text="A current update says on track while the computed grade is yellow or red.",
    )
    health_stale = models.BooleanField(
        default=False, editable=False, help_text="No current status update (flagged stale)."
    )
    # The family of the reason that decides a yellow or red grade (schedule, launch_readiness,
    # dependencies, risk, freshness, outcomes): lists and the API filter programs by cause.
    health_cause = models.CharField(max_length=20, blank=True, editable=False)
    # Set when a change's recompute could not be enqueued (Redis down): a sweep every minute
    # rescores the program once the broker is back, so no change is ever left unscored.
    health_pending_since = models.DateTimeField(null=True, blank=True, editable=False)
    last_update_at = models.DateTimeField(null=True, blank=True, editable=False)

    history = HistoricalRecords(
        excluded_fields=[
            "health_score",
            "health_grade",
            "health_computed_at",
            "health_watermelon",
            "health_stale",
            "health_cause",
            "health_pending_since",
            "last_update_at",
            "updated_at",
        ]  # fmt: skip
    )

    # Not a field: the program list page sets it on each row it shows ("3 days").
    last_update_age: str

    class Meta:
        ordering = ["name"]
        indexes = [
            models.Index(fields=["portfolio", "phase"]),
            models.Index(fields=["health_grade"]),
            models.Index(fields=["target_date"]),
            # The sweep's lookup: almost always empty, so the index is too.
            models.Index(
                fields=["health_pending_since"],
                condition=Q(health_pending_since__isnull=False),
                name="program_health_pending",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(target_date__gte=F("start_date")),
                name="program_target_after_start",
                violation_error_message="The target date cannot be before the start date.",
            ),
            models.CheckConstraint(
                condition=Q(update_cadence_days__gte=1) & Q(update_cadence_days__lte=90),
                name="program_cadence_range",
                violation_error_message="The update cadence must be between 1 and 90 days.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("programs:detail", kwargs={"slug": self.slug})

    @property
    def is_closed(self) -> bool:
        return self.phase in (Phase.DONE, Phase.CANCELLED)


class MembershipRole(models.TextChoices):
    TPM = "tpm", "TPM"
    ENG_LEAD = "eng_lead", "Engineering lead"
    PM = "pm", "Product manager"
    SPONSOR = "sponsor", "Sponsor"
    CONTRIBUTOR = "contributor", "Contributor"
    # Reads the program (confidential included) to review its launches; edits nothing.
    REVIEWER = "reviewer", "Reviewer"


# Members with these roles may edit the program and everything in it.
EDITOR_ROLES = (MembershipRole.TPM, MembershipRole.ENG_LEAD, MembershipRole.PM)


class ProgramMembership(TimeStampedModel):
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="program_memberships")
    role = models.CharField(
        max_length=20, choices=MembershipRole, default=MembershipRole.CONTRIBUTOR
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["program", "role", "user"]
        constraints = [
            models.UniqueConstraint(fields=["program", "user"], name="membership_unique_person"),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} on {self.program}"


class MilestoneState(models.TextChoices):
    PLANNED = "planned", "Planned"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    BLOCKED = "blocked", "Blocked"
    CANCELLED = "cancelled", "Cancelled"


OPEN_MILESTONE_STATES = (MilestoneState.PLANNED, MilestoneState.IN_PROGRESS, MilestoneState.BLOCKED)


# How far a milestone's target lies after its baseline (a duration): the dashboard orders
# open milestones by it, and an index of Milestone holds the same expression.
SLIP = ExpressionWrapper(F("target_date") - F("baseline_date"), output_field=models.DurationField())


class Milestone(VersionedModel):
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="milestones")
    name = models.CharField(max_length=200)
    description = BoundedTextField(blank=True)
    owner_team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="milestones"
    )
    # Set once when the plan is agreed; slips are measured against it and it never moves.
    baseline_date = models.DateField()
    target_date = models.DateField()
    completed_date = models.DateField(null=True, blank=True)
    state = models.CharField(max_length=20, choices=MilestoneState, default=MilestoneState.PLANNED)
    critical = models.BooleanField(default=False)
    depends_on = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="dependents"
    )
    # How many entries the date-change ledger holds for it, kept by ``milestone_move`` (the
    # ledger's only writer, append-only): the health engine reads it for 200,000 milestones at
    # a time, where counting the ledger was half the cost of loading its inputs.
    times_moved = models.PositiveIntegerField(default=0, editable=False)

    history = HistoricalRecords(
        excluded_fields=["updated_at", "times_moved"], m2m_fields=[depends_on]
    )

    # Not a field: the program page sets it on each milestone it shows (0 when not overdue).
    days_overdue: int

    class Meta:
        ordering = ["target_date", "id"]
        indexes = [
            # The default order of every milestone list (the API's pages of 100): read in
            # order from the index instead of sorting every milestone (issue 18).
            models.Index(fields=["target_date", "id"], name="milestone_default_order"),
            # The dashboard's biggest slips: open milestones by how far their target lies
            # after their baseline, read in that order (``SLIP`` is the same expression).
            models.Index(
                SLIP.desc(),
                F("target_date"),
                F("id"),
                condition=Q(state__in=OPEN_MILESTONE_STATES, target_date__gt=F("baseline_date")),
                name="milestone_open_slips",
            ),
            models.Index(fields=["program", "state", "target_date"]),
            models.Index(fields=["state", "target_date"]),
            # Each program's open critical milestones by date: the next one is the health
            # forecast's subject, found for a chunk of programs without reading the others.
            models.Index(
                fields=["program", "target_date", "id"],
                condition=Q(critical=True, state__in=OPEN_MILESTONE_STATES),
                name="milestone_open_critical",
            ),
            # Insights' waits between teams: an upstream milestone still open, or finished after
            # its baseline, read by date (PostgreSQL ORs the two into one bitmap scan).
            models.Index(
                fields=["baseline_date"],
                condition=Q(state__in=OPEN_MILESTONE_STATES),
                name="milestone_open_by_baseline",
            ),
            models.Index(
                fields=["completed_date"],
                condition=Q(completed_date__gt=F("baseline_date")),
                name="milestone_finished_late",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(state="done", completed_date__isnull=False) | ~Q(state="done"),
                name="milestone_done_has_date",
                violation_error_message="A done milestone needs its completion date.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return (
            reverse("programs:detail", kwargs={"slug": self.program.slug}) + f"#milestone-{self.pk}"
        )

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_MILESTONE_STATES

    @property
    def slip_days(self) -> int:
        """Days the current target lies after the baseline (negative when pulled in)."""
        return (self.target_date - self.baseline_date).days


class MoveCategory(models.TextChoices):
    """Why a date moved, in a few words the insights can group by (the free text says more)."""

    DEPENDENCY = "dependency", "Dependency"
    SCOPE = "scope", "Scope"
    STAFFING = "staffing", "Staffing"
    VENDOR = "vendor", "Vendor"
    INCIDENT = "incident", "Incident"
    ESTIMATE = "estimate", "Estimate"
    OTHER = "other", "Other"


class MilestoneDateChange(models.Model):
    """The ledger of target-date moves: slips are data, never overwritten."""

    milestone = models.ForeignKey(Milestone, on_delete=models.CASCADE, related_name="date_changes")
    # The milestone's program and owning team when it moved, kept on the row: the insights'
    # slips per team and quarter read a year of moves without joining every milestone (issue 15
    # benchmark). ``save`` fills them from the milestone; bulk writers pass them.
    program = models.ForeignKey(
        Program, null=True, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    owner_team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    changed_at = models.DateTimeField(auto_now_add=True)
    from_date = models.DateField()
    to_date = models.DateField()
    # No default: ``milestone_move`` requires one, and moves recorded before categories
    # existed were migrated to "other" rather than guessed from their text.
    category = models.CharField(max_length=20, choices=MoveCategory)
    reason = BoundedTextField(max_length=SHORT_TEXT)

    class Meta:
        ordering = ["-changed_at", "-id"]
        indexes = [
            models.Index(fields=["milestone", "changed_at"]),
            models.Index(fields=["program", "changed_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(from_date=F("to_date")), name="date_change_moves_the_date"
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="date_change_has_reason"),
            # The analytics views and the insights group by it: no value outside the list.
            models.CheckConstraint(
                condition=Q(category__in=MoveCategory.values), name="date_change_category_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.milestone}: {self.from_date} → {self.to_date}"

    def save(self, *args, **kwargs) -> None:
        if self.program_id is None:
            self.program_id = self.milestone.program_id
            self.owner_team_id = self.milestone.owner_team_id
        super().save(*args, **kwargs)

    @property
    def delta_days(self) -> int:
        return (self.to_date - self.from_date).days


class ReportedHealth(models.TextChoices):
    ON_TRACK = "on_track", "On track"
    AT_RISK = "at_risk", "At risk"
    OFF_TRACK = "off_track", "Off track"


class StatusUpdate(VersionedModel):
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="status_updates")
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="status_updates")
    reported_health = models.CharField(max_length=20, choices=ReportedHealth)
    summary = BoundedTextField(help_text="Markdown. The one paragraph leadership reads.")
    highlights = BoundedTextField(blank=True, help_text="Markdown.")
    risks_and_blockers = BoundedTextField(blank=True, help_text="Markdown.")
    asks = BoundedTextField(blank=True, help_text="Markdown. What you need from leadership.")
    next_steps = BoundedTextField(blank=True, help_text="Markdown.")

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["-created_at", "-id"]
        # The order above within a program: its latest update is the index's first entry.
        indexes = [models.Index(fields=["program", "-created_at", "-id"])]
        get_latest_by = "created_at"

    def __str__(self) -> str:
        return f"{self.program} — {self.created_at:%Y-%m-%d}"


class RiskState(models.TextChoices):
    OPEN = "open", "Open"
    MITIGATING = "mitigating", "Mitigating"
    ACCEPTED = "accepted", "Accepted"
    CLOSED = "closed", "Closed"


class Risk(VersionedModel):
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="risks")
    title = models.CharField(max_length=200)
    description = BoundedTextField(blank=True, help_text="Markdown.")
    likelihood = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text="1 (rare) to 5 (almost certain).",
    )
    impact = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text="1 (minor) to 5 (severe).",
    )
    owner = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="owned_risks"
    )
    mitigation = BoundedTextField(blank=True, help_text="Markdown.")
    due_date = models.DateField(null=True, blank=True, help_text="When the mitigation is due.")
    state = models.CharField(max_length=20, choices=RiskState, default=RiskState.OPEN)
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["state", "-likelihood", "-impact", "id"]
        indexes = [models.Index(fields=["program", "state"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(likelihood__gte=1, likelihood__lte=5),
                name="risk_likelihood_1_to_5",
                violation_error_message="Likelihood must be between 1 and 5.",
            ),
            models.CheckConstraint(
                condition=Q(impact__gte=1, impact__lte=5),
                name="risk_impact_1_to_5",
                violation_error_message="Impact must be between 1 and 5.",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def exposure(self) -> int:
        """Likelihood × impact, 1 to 25."""
        return self.likelihood * self.impact


class Decision(VersionedModel):
    """The D of the RAID log: what was decided, why, and by whom."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="decisions")
    title = models.CharField(max_length=200)
    context = BoundedTextField(blank=True, help_text="Markdown. The options and trade-offs.")
    outcome = BoundedTextField(help_text="Markdown. What was decided.")
    decided_on = models.DateField()
    decided_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="decisions"
    )
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["-decided_on", "-id"]
        indexes = [models.Index(fields=["program", "-decided_on"])]

    def __str__(self) -> str:
        return self.title
