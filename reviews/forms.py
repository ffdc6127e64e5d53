"""Browser forms of the reviews pages. Forms parse and validate; services write.

Edit and action forms carry the object's ``version`` so a stale write is refused by the
service instead of silently overwriting someone else's change.
"""

from django import forms
from django.utils import timezone

from programs.forms import DateInput, VersionedFormMixin
from programs.models import Program, Team
from reviews.models import (
    AnswerStatus,
    CapacityRequest,
    CapacityRequestState,
    LaunchReview,
    LaunchReviewState,
    LaunchTier,
    ResourceKind,
    ReviewArea,
    SignOffDecision,
    quarter_of,
    quarter_validator,
)

# --- Launch reviews -------------------------------------------------------------------------


class LaunchReviewForm(forms.ModelForm):
    """Start a launch review of a program: the tier picks the checklist."""

    class Meta:
        model = LaunchReview
        fields = ["title", "launch_date", "tier", "milestone"]
        widgets = {"launch_date": DateInput, "tier": forms.RadioSelect}
        labels = {"title": "What is launching", "launch_date": "Launch date"}
        help_texts = {
            "tier": "Tier 1 asks the most. The checklist is copied into the review when you "
            "create it.",
        }

    def __init__(self, *args, program: Program, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["milestone"].queryset = program.milestones.order_by("target_date", "id")
        self.fields["milestone"].empty_label = "No milestone"
        if "tier" in self.fields:
            self.fields["tier"].choices = LaunchTier.choices


class LaunchReviewEditForm(VersionedFormMixin, LaunchReviewForm):
    """Change what is launching, when, or the milestone it delivers (the tier stays)."""

    class Meta(LaunchReviewForm.Meta):
        fields = ["title", "launch_date", "milestone"]


class ItemAnswerForm(VersionedFormMixin):
    """One checklist answer; evidence is one link per line."""

    status = forms.ChoiceField(choices=AnswerStatus.choices, widget=forms.RadioSelect)
    not_applicable_reason = forms.CharField(required=False, label="Why it does not apply")
    evidence = forms.CharField(
        required=False,
        label="Evidence links",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="One link per line (http or https).",
    )
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def clean_evidence(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["evidence"].splitlines() if line.strip()]


class SignOffForm(forms.Form):
    """A reviewer's decision on one of their areas."""

    area = forms.ChoiceField(choices=ReviewArea.choices, widget=forms.HiddenInput)
    decision = forms.ChoiceField(choices=SignOffDecision.choices, widget=forms.RadioSelect)
    comment = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required when you request changes: say what must change.",
    )


class CommentForm(forms.Form):
    body = forms.CharField(label="Comment", widget=forms.Textarea(attrs={"rows": 3}))


class TransitionForm(forms.Form):
    """A state change, bound to the version the user saw."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class LaunchFilterForm(forms.Form):
    """The launches page's filters, all in the query string."""

    q = forms.CharField(
        label="Search",
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Launch or program"}),
    )
    state = forms.ChoiceField(
        label="State",
        required=False,
        choices=[("", "Any but withdrawn"), *LaunchReviewState.choices],
    )
    tier = forms.TypedChoiceField(
        label="Tier",
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "Any tier"), *((value, f"Tier {value}") for value in LaunchTier.values)],
    )
    launch_after = forms.DateField(label="Launching from", required=False, widget=DateInput)
    launch_before = forms.DateField(label="Launching until", required=False, widget=DateInput)

    def filters(self) -> dict:
        """The valid filters; an invalid value (a stale bookmark) is ignored, not an error."""
        if self.is_valid():
            return self.cleaned_data
        return {name: value for name, value in self.cleaned_data.items() if name not in self.errors}


# --- Capacity -------------------------------------------------------------------------------


class CapacityRequestForm(forms.ModelForm):
    """File a capacity request for one of your teams, for a program you can see."""

    class Meta:
        model = CapacityRequest
        fields = [
            "team", "program", "resource_kind", "amount", "environment", "region", "needed_by",
            "justification",
        ]  # fmt: skip
        widgets = {
            "needed_by": DateInput,
            "justification": forms.Textarea(attrs={"rows": 5}),
        }
        labels = {"resource_kind": "Resource", "needed_by": "Needed by"}
        help_texts = {"needed_by": "Its quarter decides which budget the request draws on."}

    def __init__(self, *args, teams, programs, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams
        self.fields["program"].queryset = programs.order_by("name")
        self.fields["team"].empty_label = "Choose your team"
        self.fields["program"].empty_label = "Choose a program"
        kinds = [choice for choice in self.fields["resource_kind"].choices if choice[0]]
        self.fields["resource_kind"].choices = [("", "Choose a resource"), *kinds]

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if amount is not None and amount <= 0:
            raise forms.ValidationError("Ask for more than zero.")
        return amount


class CapacityRequestEditForm(VersionedFormMixin, CapacityRequestForm):
    """Change a draft request, based on the version the user loaded."""


class CapacityDecisionForm(VersionedFormMixin):
    """Approve (all or part) or deny a request; over budget needs an override reason."""

    DECISIONS = [("approve", "Approve"), ("deny", "Deny")]

    decision = forms.ChoiceField(choices=DECISIONS, widget=forms.RadioSelect, initial="approve")
    approved_amount = forms.DecimalField(
        required=False,
        min_value=0,
        max_digits=14,
        decimal_places=2,
        help_text="Leave empty to approve the full amount; less approves part of it.",
    )
    note = forms.CharField(
        label="Decision note", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    override_reason = forms.CharField(
        label="Budget override reason",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Only when the approval takes the team over its quarter's budget; recorded.",
    )

    def __init__(self, *args, instance: CapacityRequest, **kwargs):
        self.instance = instance
        super().__init__(*args, **kwargs)


class CapacityFilterForm(forms.Form):
    team = forms.ChoiceField(label="Team", required=False)
    state = forms.ChoiceField(
        label="State", required=False, choices=[("", "Any state"), *CapacityRequestState.choices]
    )
    resource_kind = forms.ChoiceField(
        label="Resource", required=False, choices=[("", "Any resource"), *ResourceKind.choices]
    )
    quarter = forms.CharField(
        label="Quarter",
        required=False,
        validators=[quarter_validator],
        widget=forms.TextInput(attrs={"placeholder": "2026-Q4"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].choices = [("", "All teams"), *Team.objects.values_list("slug", "name")]

    def filters(self) -> dict:
        if self.is_valid():
            return self.cleaned_data
        return {name: value for name, value in self.cleaned_data.items() if name not in self.errors}


def current_quarter() -> str:
    return quarter_of(timezone.localdate())
