"""Browser forms of the operational-review pages. Forms parse; ``reviews.ops.services`` writes.

Edit and action forms carry the object's ``version`` so a stale write is refused by the
service (a form-wide error) instead of silently overwriting someone else's change.
"""

from django import forms

from core.forms import DateInput, PersonChoiceField, VersionedFormMixin, active_people, form_field
from programs.models import Portfolio, Program
from reviews.models import OperationalReview


class OperationalReviewForm(forms.ModelForm):
    facilitator = PersonChoiceField(queryset=active_people(), required=False)

    class Meta:
        model = OperationalReview
        fields = ["date", "title", "portfolio", "facilitator"]
        widgets: dict[str, type[forms.Widget] | forms.Widget] = {"date": DateInput}
        labels = {"portfolio": "Portfolio"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        portfolio = form_field(self, "portfolio", forms.ModelChoiceField)
        portfolio.queryset = Portfolio.objects.order_by("name")
        portfolio.empty_label = "Every program"
        form_field(self, "facilitator", forms.ModelChoiceField).queryset = active_people()

    def validate_unique(self):
        """The service validates (one review a day per scope) and reports on the form."""

    def validate_constraints(self, exclude=None):
        """As above: the service's full_clean checks the constraints."""


class OperationalReviewEditForm(VersionedFormMixin, OperationalReviewForm):
    class Meta(OperationalReviewForm.Meta):
        fields = ["date", "title", "portfolio", "facilitator", "notes"]
        widgets = {"date": DateInput, "notes": forms.Textarea(attrs={"rows": 12})}
        labels = {"portfolio": "Portfolio", "notes": "Notes"}


class ActionItemForm(forms.Form):
    title = forms.CharField(max_length=300, label="Action")
    owner = PersonChoiceField(queryset=active_people(), label="Owner")
    due_date = forms.DateField(widget=DateInput, label="Due")
    # Quoted: Django's form fields are generic only in the stubs.
    program: "forms.ModelChoiceField[Program]" = forms.ModelChoiceField(
        queryset=None, required=False, label="Program"
    )

    def __init__(self, *args, programs, **kwargs):
        super().__init__(*args, **kwargs)
        form_field(self, "owner", forms.ModelChoiceField).queryset = active_people()
        program = form_field(self, "program", forms.ModelChoiceField)
        program.queryset = programs.order_by("name")
        program.empty_label = "None"


class DecisionForm(forms.Form):
    program: "forms.ModelChoiceField[Program]" = forms.ModelChoiceField(
        queryset=None, label="Program"
    )
    title = forms.CharField(max_length=200, label="Decision")
    outcome = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="Outcome")

    def __init__(self, *args, programs, **kwargs):
        super().__init__(*args, **kwargs)
        form_field(self, "program", forms.ModelChoiceField).queryset = programs.order_by("name")
