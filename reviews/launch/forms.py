"""Browser forms of the launch-review pages. Forms parse and validate; services write.

Edit and action forms carry the object's ``version`` so a stale write is refused by the
service instead of silently overwriting someone else's change.
"""

from django import forms

from core.forms import form_field
from programs.forms import DateInput, VersionedFormMixin
from programs.models import Program
from reviews.models import (
    AnswerStatus,
    LaunchReview,
    LaunchTier,
    ReviewArea,
    SignOffDecision,
)


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
        milestone = form_field(self, "milestone", forms.ModelChoiceField)
        milestone.queryset = program.milestones.order_by("target_date", "id")
        milestone.empty_label = "No milestone"
        if "tier" in self.fields:
            form_field(self, "tier", forms.ChoiceField).choices = LaunchTier.choices


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
