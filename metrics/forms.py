"""Browser forms for success metrics and their readings."""

from django import forms
from django.utils import timezone

from core.forms import DateInput, form_field
from core.grades import Grade
from metrics.dashboard import CAUSES, FLAGS, SORT_LABELS, DashboardFilters
from metrics.models import MetricReading, SuccessMetric
from programs.models import Portfolio
from reviews.models import ResourceKind


class SuccessMetricForm(forms.ModelForm):
    class Meta:
        model = SuccessMetric
        fields = [
            "name", "unit", "direction", "baseline_value", "target_value", "baseline_date",
            "target_date", "reading_interval_days",
        ]  # fmt: skip
        widgets = {"baseline_date": DateInput, "target_date": DateInput}
        help_texts = {
            "baseline_value": "Where it stands when the program starts measuring.",
            "target_value": "Where the program promises it will be by the target date.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].widget.attrs["placeholder"] = "e.g. Hosts on kernel 6.12"
        if not self.is_bound:
            self.initial.setdefault("baseline_date", timezone.localdate())


class MetricReadingForm(forms.ModelForm):
    class Meta:
        model = MetricReading
        fields = ["value", "measured_on", "source"]
        widgets = {"measured_on": DateInput}
        labels = {"measured_on": "Measured on"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].widget.attrs["placeholder"] = "Dashboard, query or person"
        if not self.is_bound:
            self.initial.setdefault("measured_on", timezone.localdate())


class DashboardFilterForm(forms.Form):
    """The dashboard's scope and table filters, all in the query string (a shareable view)."""

    # Not a field: the dashboard view sets the chosen portfolio (or None) for its header.
    selected_portfolio: "Portfolio | None"

    portfolio = forms.ChoiceField(label="Portfolio", required=False)
    team = forms.ChoiceField(label="Team", required=False)
    grade = forms.ChoiceField(
        label="Health",
        required=False,
        choices=[("", "Any grade"), *Grade.choices, ("none", "Not scored")],
    )
    flag = forms.ChoiceField(
        label="Show", required=False, choices=[("", "All programs"), *FLAGS.items()]
    )
    cause = forms.ChoiceField(
        label="Cause", required=False, choices=[("", "Any cause"), *CAUSES.items()]
    )
    sort = forms.ChoiceField(label="Sort by", required=False, choices=list(SORT_LABELS.items()))
    kind = forms.ChoiceField(
        label="Capacity resource",
        required=False,
        choices=[("", "Most requested"), *ResourceKind.choices],
    )

    def __init__(self, *args, portfolios=(), teams=(), **kwargs):
        super().__init__(*args, **kwargs)
        form_field(self, "portfolio", forms.ChoiceField).choices = [
            ("", "All portfolios"),
            *((p.slug, p.name) for p in portfolios),
        ]
        form_field(self, "team", forms.ChoiceField).choices = [
            ("", "All teams"),
            *((t.slug, t.name) for t in teams),
        ]

    def filters(self) -> DashboardFilters:
        """The valid filters; an invalid value (a stale link) is dropped, not an error."""
        self.is_valid()
        data = {
            name: self.cleaned_data.get(name, "") for name in self.fields if name not in self.errors
        }
        return DashboardFilters(
            portfolio=data.get("portfolio", ""),
            team=data.get("team", ""),
            grade=data.get("grade", ""),
            flag=data.get("flag", ""),
            cause=data.get("cause", ""),
            sort=data.get("sort") or "score",
            capacity_kind=data.get("kind", ""),
        )
