"""Browser forms for success metrics and their readings."""

from django import forms
from django.utils import timezone

from core.forms import DateInput
from metrics.models import MetricReading, SuccessMetric


class SuccessMetricForm(forms.ModelForm):
    class Meta:
        model = SuccessMetric
        fields = [
            "name", "unit", "direction", "baseline_value", "target_value", "baseline_date",
            "target_date",
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
