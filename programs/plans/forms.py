"""The plan's forms: start from a template, edit-and-publish, acknowledge."""

from typing import Any

from django import forms

from core.models import LONG_TEXT, SHORT_TEXT
from programs.plans.models import PlanTemplate
from programs.plans.selectors import SectionView


class PlanStartForm(forms.Form):
    template = forms.ModelChoiceField(
        queryset=PlanTemplate.objects.filter(active=True).order_by("name"),
        empty_label=None,
        widget=forms.RadioSelect,
        help_text="The sections the plan will have. Admins manage templates.",
    )


class PlanPublishForm(forms.Form):
    """One textarea per Markdown section, one per team of a per-team section, a change note
    and the version the editor started from (checked by the service)."""

    based_on = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    change_note = forms.CharField(
        max_length=SHORT_TEXT,
        required=False,
        widget=forms.TextInput(
            attrs={"placeholder": "e.g. Network's scope now includes the edge PoPs"}
        ),
        help_text="What changed, for the history and the people asked to acknowledge.",
    )

    def __init__(self, *args: Any, sections: list[SectionView], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.section_views = sections
        for section in sections:
            if section.per_team:
                for team in section.teams:
                    self.fields[self.field_name(section.key, team.slug)] = self._text_field(
                        f"{section.title}: {team.team}", team.text, rows=3
                    )
            else:
                self.fields[self.field_name(section.key)] = self._text_field(
                    section.title, section.text, rows=8 if section.key == "problem" else 5
                )
        if not self.is_bound:  # the sections' text as published; ``initial`` keeps based_on
            for name, field in self.fields.items():
                self.initial.setdefault(name, field.initial)

    @staticmethod
    def field_name(key: str, team: str = "") -> str:
        return f"section__{key}" + (f"__{team}" if team else "")

    @staticmethod
    def _text_field(label: str, initial: str, *, rows: int) -> forms.CharField:
        return forms.CharField(
            label=label,
            required=False,
            initial=initial,
            max_length=LONG_TEXT,
            strip=True,
            widget=forms.Textarea(attrs={"rows": rows, "class": "markdown-input"}),
        )

    def groups(self) -> list[tuple[SectionView, list[forms.BoundField]]]:
        """Each section with its bound fields, for the template."""
        result = []
        for section in self.section_views:
            names = (
                [self.field_name(section.key, t.slug) for t in section.teams]
                if section.per_team
                else [self.field_name(section.key)]
            )
            result.append((section, [self[name] for name in names]))
        return result

    def sections_data(self) -> dict[str, Any]:
        """The cleaned text as the service takes it."""
        data: dict[str, Any] = {}
        for section in self.section_views:
            if section.per_team:
                data[section.key] = {
                    t.slug: self.cleaned_data.get(self.field_name(section.key, t.slug), "")
                    for t in section.teams
                }
            else:
                data[section.key] = self.cleaned_data.get(self.field_name(section.key), "")
        return data


class PlanAcknowledgeForm(forms.Form):
    round = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
