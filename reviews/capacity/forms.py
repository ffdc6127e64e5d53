"""Browser forms of the capacity pages. Forms parse and validate; services write.

Edit and decision forms carry the request's ``version`` so a stale write is refused by the
service instead of silently overwriting someone else's change.
"""

from django import forms
from django.utils import timezone

from core.forms import form_field
from programs.forms import DateInput, VersionedFormMixin
from reviews.models import CapacityRequest, ResourceKind, quarter_of


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
        team = form_field(self, "team", forms.ModelChoiceField)
        team.queryset = teams
        team.empty_label = "Choose your team"
        program = form_field(self, "program", forms.ModelChoiceField)
        program.queryset = programs.order_by("name")
        program.empty_label = "Choose a program"
        # The model field's kinds, under a prompt instead of its "---------".
        form_field(self, "resource_kind", forms.ChoiceField).choices = [
            ("", "Choose a resource"),
            *ResourceKind.choices,
        ]

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


def current_quarter() -> str:
    return quarter_of(timezone.localdate())
