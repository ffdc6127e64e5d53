"""Browser forms of the playbook pages. Forms parse and validate; services write.

The publish form carries the version number the text was based on (``based_on``), and the
details form the row's ``version``, so a stale write is refused instead of overwriting.
"""

from django import forms

from core.forms import DateInput, VersionedFormMixin, active_people, person_label
from core.models import SHORT_TEXT
from programs.playbooks.models import PLAYBOOK_BODY_LIMIT, GovernedWorkflow, Playbook

BODY_HELP = (
    "Markdown: ## headings (each one a link target, e.g. #rollback), lists, tables, links. "
    "Scripts and styles are removed."
)


class PeopleField(forms.ModelMultipleChoiceField):
    """Pick people by name (falls back to the username)."""

    def label_from_instance(self, obj) -> str:
        return person_label(obj)


def _governs_field() -> forms.ChoiceField:
    return forms.ChoiceField(
        required=False,
        label="Governs",
        choices=[("", "No workflow"), *GovernedWorkflow.choices],
        help_text="The workflow whose pages link to this playbook (one playbook each).",
    )


def _owners_field() -> PeopleField:
    return PeopleField(
        queryset=active_people(),
        label="Owners",
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text="They publish new versions and confirm it on its review-by date.",
    )


class _Details(forms.Form):
    title = forms.CharField(max_length=200)
    summary = forms.CharField(
        required=False,
        max_length=SHORT_TEXT,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="One or two sentences: what it is for, shown in lists.",
    )
    review_by = forms.DateField(
        label="Review by", widget=DateInput, help_text="When its owners next confirm it."
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["governs"] = _governs_field()
        self.fields["owners"] = _owners_field()


class PlaybookCreateForm(_Details):
    """A new playbook and its first version."""

    slug = forms.SlugField(
        max_length=80,
        label="Address",
        help_text="Its web address: /playbooks/<address>/ (letters, digits, hyphens). "
        "It never changes.",
    )
    body = forms.CharField(
        label="Text",
        max_length=PLAYBOOK_BODY_LIMIT,
        widget=forms.Textarea(attrs={"rows": 18, "class": "textarea-document"}),
        help_text=BODY_HELP,
    )
    field_order = ["title", "slug", "summary", "governs", "owners", "review_by", "body"]

    def clean_slug(self) -> str:
        slug = self.cleaned_data["slug"]
        if Playbook.objects.filter(slug=slug).exists():
            raise forms.ValidationError("Another playbook has this address.")
        return slug


class PlaybookEditForm(VersionedFormMixin, _Details):
    """The playbook's details (its text changes by publishing)."""

    field_order = ["title", "summary", "governs", "owners", "review_by"]

    def __init__(self, *args, playbook: Playbook, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.update(
                version=playbook.version,
                title=playbook.title,
                summary=playbook.summary,
                governs=playbook.governs,
                review_by=playbook.review_by,
                owners=[owner.pk for owner in playbook.owners.all()],
            )


class PublishForm(forms.Form):
    """A new version: the whole text, what changed, and the number it was based on."""

    based_on = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    body = forms.CharField(
        label="Text",
        max_length=PLAYBOOK_BODY_LIMIT,
        widget=forms.Textarea(attrs={"rows": 22, "class": "textarea-document"}),
        help_text=BODY_HELP,
    )
    change_note = forms.CharField(
        label="What changed and why",
        max_length=SHORT_TEXT,
        widget=forms.TextInput(attrs={"placeholder": "e.g. Lead time raised to one quarter"}),
        help_text="Shown in the version history next to your name.",
    )


class MarkReviewedForm(VersionedFormMixin):
    """An owner confirms the playbook is still right."""
