"""The upload form of the import page."""

from django import forms

from programs.imports.reading import AUTO, JIRA, size_refusal

KIND_CHOICES = [
    (AUTO, "Pulse template (programs, milestones and risks: told by the sheet)"),
    ("programs", "Programs"),
    ("milestones", "Milestones"),
    ("risks", "Risks"),
    (JIRA, "Jira CSV export (epics become milestones of one program)"),
]


class ImportForm(forms.Form):
    file = forms.FileField(
        label="File", help_text="CSV (UTF-8) or XLSX, up to 5 MB.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
    )  # fmt: skip
    kind = forms.ChoiceField(
        label="What it holds", choices=KIND_CHOICES, initial=AUTO, required=False
    )
    program = forms.CharField(
        label="Program (for a Jira export)",
        required=False,
        max_length=200,
        help_text="The slug or name of the program the epics become milestones of.",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if too_big := size_refusal(upload.size):
            raise forms.ValidationError(too_big)
        return upload

    def clean_kind(self) -> str:
        return self.cleaned_data.get("kind") or AUTO

    def clean(self):
        data = super().clean() or {}
        if data.get("kind") == JIRA and not data.get("program"):
            self.add_error("program", "Name the program the Jira epics become milestones of.")
        return data
