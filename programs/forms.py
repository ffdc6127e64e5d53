"""Browser forms for the programs domain.

Forms parse and validate input; views pass ``cleaned_data`` to the services, which do the
writing. Edit forms carry the object's ``version`` in a hidden field so a stale write is
refused by the service instead of silently overwriting someone else's change.
"""

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils import timezone

from core.forms import (  # noqa: F401 - re-exported for the programs views
    DateInput,
    PersonChoiceField,
    VersionedFormMixin,
    active_people,
    add_service_error,
    form_field,
    person_label,
)
from core.roles import Role
from programs.models import (
    Decision,
    MembershipRole,
    Milestone,
    MilestoneState,
    MoveCategory,
    Program,
    ReportedHealth,
    Risk,
    StatusUpdate,
    Team,
)
from programs.selectors import visible_programs

User = get_user_model()


# --- Programs -------------------------------------------------------------------------------


class ProgramForm(forms.ModelForm):
    """Create a program. The TPM defaults to the person creating it."""

    tpm = PersonChoiceField(label="TPM", queryset=User.objects.none())
    sponsor = PersonChoiceField(
        label="Executive sponsor", queryset=User.objects.none(), required=False
    )
    teams = forms.ModelMultipleChoiceField(
        queryset=Team.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Program
        fields = [
            "name",
            "portfolio",
            "phase",
            "priority",
            "tpm",
            "sponsor",
            "teams",
            "start_date",
            "target_date",
            "update_cadence_days",
            "confidential",
            "problem_statement",
            "success_criteria",
        ]
        widgets = {
            "start_date": DateInput,
            "target_date": DateInput,
            "problem_statement": forms.Textarea(attrs={"rows": 5}),
            "success_criteria": forms.Textarea(attrs={"rows": 5}),
        }
        labels = {"update_cadence_days": "Update cadence (days)"}
        help_texts = {
            "problem_statement": "Markdown. Why this program exists: the problem, in a paragraph.",
            "success_criteria": "Markdown. How we will know it worked.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        people = active_people()
        tpms = people.filter(groups__name__in=[Role.TPM, Role.ADMIN])
        if self.instance.pk:
            tpms = people.filter(
                Q(groups__name__in=[Role.TPM, Role.ADMIN]) | Q(pk=self.instance.tpm_id)
            )
        form_field(self, "tpm", forms.ModelChoiceField).queryset = tpms.distinct()
        form_field(self, "sponsor", forms.ModelChoiceField).queryset = people
        form_field(self, "sponsor", forms.ModelChoiceField).empty_label = "No sponsor yet"
        form_field(self, "portfolio", forms.ModelChoiceField).empty_label = "Choose a portfolio"
        if not self.instance.pk and not self.is_bound:
            self.initial.setdefault("start_date", timezone.localdate())


class ProgramEditForm(VersionedFormMixin, ProgramForm):
    """Edit a program, based on the version the user loaded."""


# --- Milestones -----------------------------------------------------------------------------


class MilestoneChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.program.name} — {obj.name} ({obj.target_date:%Y-%m-%d})"


def dependency_choices(*, user, exclude: Milestone | None = None) -> QuerySet[Milestone]:
    """Milestones a milestone may depend on: any in a program the user can see."""
    milestones = (
        Milestone.objects.filter(program__in=visible_programs(user))
        .select_related("program")
        .order_by("program__name", "target_date", "id")
    )
    if exclude is not None:
        milestones = milestones.exclude(pk=exclude.pk)
    return milestones


class MilestoneForm(forms.ModelForm):
    """Add a milestone. Its baseline is its first target unless the plan says otherwise."""

    depends_on = MilestoneChoiceField(
        label="Depends on",
        queryset=Milestone.objects.none(),
        required=False,
        help_text="Milestones (in any program) that must land first.",
    )

    class Meta:
        model = Milestone
        fields = [
            "name",
            "target_date",
            "baseline_date",
            "owner_team",
            "state",
            "critical",
            "depends_on",
            "description",
        ]
        widgets = {
            "target_date": DateInput,
            "baseline_date": DateInput,
            "description": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {"critical": "Critical path", "owner_team": "Owner team"}
        help_texts = {
            "baseline_date": "The agreed date, set once. Leave empty to use the target date.",
            "critical": "A slip here slips the program.",
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if "baseline_date" in self.fields:
            self.fields["baseline_date"].required = False
        form_field(self, "state", forms.ChoiceField).choices = [
            choice for choice in MilestoneState.choices if choice[0] != MilestoneState.DONE
        ]
        form_field(self, "depends_on", forms.ModelChoiceField).queryset = dependency_choices(
            user=user, exclude=self.instance if self.instance.pk else None
        )

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data  # what ModelForm.clean returns, never None
        if cleaned.get("target_date") and not cleaned.get("baseline_date"):
            cleaned["baseline_date"] = cleaned["target_date"]
        return cleaned


class MilestoneEditForm(VersionedFormMixin, MilestoneForm):
    """Edit a milestone's details. Dates move through the move form, with a reason."""

    class Meta(MilestoneForm.Meta):
        fields = ["name", "owner_team", "state", "critical", "depends_on", "description"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.state == MilestoneState.DONE:
            form_field(self, "state", forms.ChoiceField).choices = MilestoneState.choices


class MilestoneMoveForm(VersionedFormMixin):
    """Move a milestone's target date. The reason is required: slips are data."""

    target_date = forms.DateField(label="New target date", widget=DateInput)
    # A native select: arrow keys and type-ahead work, and the empty first choice makes the
    # TPM pick one instead of leaving the first category by accident.
    category = forms.ChoiceField(
        label="Kind of reason",
        choices=[("", "Choose one"), *MoveCategory.choices],
        help_text="What slips are grouped by in the insights. The reason below says the rest.",
        error_messages={
            "required": "Choose what kind of reason moves the date.",
            "invalid_choice": "“%(value)s” is not a reason category.",
        },
    )
    reason = forms.CharField(
        label="Reason",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why the date moves. It is kept in the milestone's ledger and in reports.",
        error_messages={
            "required": "Say why the date moves: slips are reported with their reasons."
        },
    )

    def __init__(self, *args, instance: Milestone, **kwargs):
        self.instance = instance
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("target_date", instance.target_date)


class MilestoneCompleteForm(VersionedFormMixin):
    """Confirm a milestone is done, on the day it landed."""

    completed_date = forms.DateField(
        label="Completed on", widget=DateInput, help_text="Today unless it landed earlier."
    )

    def __init__(self, *args, instance: Milestone, **kwargs):
        self.instance = instance
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("completed_date", timezone.localdate())

    def clean_completed_date(self):
        completed = self.cleaned_data["completed_date"]
        if completed > timezone.localdate():
            raise ValidationError("The completion date cannot be in the future.")
        return completed


# --- Status updates -------------------------------------------------------------------------


class StatusUpdateForm(forms.ModelForm):
    """The weekly update. Health defaults to what was reported last time."""

    class Meta:
        model = StatusUpdate
        fields = [
            "reported_health",
            "summary",
            "highlights",
            "risks_and_blockers",
            "asks",
            "next_steps",
        ]
        widgets = {
            "reported_health": forms.RadioSelect,
            "summary": forms.Textarea(attrs={"rows": 4}),
            "highlights": forms.Textarea(attrs={"rows": 3}),
            "risks_and_blockers": forms.Textarea(attrs={"rows": 3}),
            "asks": forms.Textarea(attrs={"rows": 2}),
            "next_steps": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {
            "reported_health": "How is it going?",
            "risks_and_blockers": "Risks and blockers",
            "asks": "Asks of leadership",
            "next_steps": "Next steps",
        }

    def __init__(self, *args, previous: StatusUpdate | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        form_field(self, "reported_health", forms.ChoiceField).choices = ReportedHealth.choices
        if not self.is_bound:
            self.initial.setdefault(
                "reported_health", previous.reported_health if previous else ReportedHealth.ON_TRACK
            )


# --- Risks and decisions --------------------------------------------------------------------

LIKELIHOOD_CHOICES = [
    (1, "1 — rare"),
    (2, "2 — unlikely"),
    (3, "3 — possible"),
    (4, "4 — likely"),
    (5, "5 — almost certain"),
]
IMPACT_CHOICES = [
    (1, "1 — minor"),
    (2, "2 — moderate"),
    (3, "3 — significant"),
    (4, "4 — major"),
    (5, "5 — severe"),
]


class RiskForm(forms.ModelForm):
    """Add a risk to the RAID log."""

    likelihood = forms.TypedChoiceField(choices=LIKELIHOOD_CHOICES, coerce=int, initial=3)
    impact = forms.TypedChoiceField(choices=IMPACT_CHOICES, coerce=int, initial=3)
    owner = PersonChoiceField(queryset=User.objects.none(), required=False)

    class Meta:
        model = Risk
        fields = [
            "title",
            "likelihood",
            "impact",
            "owner",
            "state",
            "due_date",
            "description",
            "mitigation",
        ]
        widgets = {
            "due_date": DateInput,
            "description": forms.Textarea(attrs={"rows": 3}),
            "mitigation": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {"due_date": "Mitigation due"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        form_field(self, "owner", forms.ModelChoiceField).queryset = active_people()
        form_field(self, "owner", forms.ModelChoiceField).empty_label = "Nobody yet"


class RiskEditForm(VersionedFormMixin, RiskForm):
    """Edit a risk, based on the version the user loaded."""


class VersionConfirmForm(VersionedFormMixin):
    """A confirmation step for an irreversible action, bound to the version the user saw."""

    def __init__(self, *args, instance, **kwargs):
        self.instance = instance
        super().__init__(*args, **kwargs)


class DecisionForm(forms.ModelForm):
    """Record a decision: what, why, when and by whom."""

    decided_by = PersonChoiceField(queryset=User.objects.none(), required=False)

    class Meta:
        model = Decision
        fields = ["title", "decided_on", "decided_by", "outcome", "context"]
        widgets = {
            "decided_on": DateInput,
            "outcome": forms.Textarea(attrs={"rows": 3}),
            "context": forms.Textarea(attrs={"rows": 4}),
        }
        labels = {"decided_on": "Decided on", "decided_by": "Decided by"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        form_field(self, "decided_by", forms.ModelChoiceField).queryset = active_people()
        form_field(self, "decided_by", forms.ModelChoiceField).empty_label = "Not recorded"
        if not self.is_bound and not self.instance.pk:
            self.initial.setdefault("decided_on", timezone.localdate())


class DecisionEditForm(VersionedFormMixin, DecisionForm):
    """Edit a decision, based on the version the user loaded."""


# --- Members ---------------------------------------------------------------------------------


class MembershipForm(forms.Form):
    """Add a person to the program, or change their role."""

    member = PersonChoiceField(queryset=User.objects.none(), label="Person")
    role = forms.ChoiceField(choices=MembershipRole.choices, initial=MembershipRole.CONTRIBUTOR)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        form_field(self, "member", forms.ModelChoiceField).queryset = active_people()
        self.fields["role"].help_text = (
            "TPMs, engineering leads and PMs edit the program; contributors, sponsors and "
            "reviewers read it (also when it is confidential)."
        )
