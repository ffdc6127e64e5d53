"""Filters of the program lists: one FilterSet for the API and the programs page.

``ProgramFilter`` is what ``GET /api/v1/programs/`` accepts. The programs page filters with
the same FilterSet (``ProgramListFilter``), adding what only a page has: a search box, a sort,
and selects that name portfolios, people and teams instead of typing their slugs. A filter
added to ``ProgramFilter`` is one edit for both.
"""

import django_filters as filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from core.forms import person_label
from core.grades import Grade
from core.list_pages import PageFilterMixin
from core.roles import Role
from programs.models import Phase, Portfolio, Program, Team
from programs.selectors import HEALTH_FAMILY_CHOICES, SORTS

User = get_user_model()


class ProgramFilter(filters.FilterSet):
    portfolio = filters.CharFilter(field_name="portfolio__slug", help_text="Portfolio slug.")
    phase = filters.MultipleChoiceFilter(choices=Phase.choices, help_text="Repeat for several.")
    tpm = filters.CharFilter(field_name="tpm__username", help_text="The TPM's username.")
    team = filters.CharFilter(field_name="teams__slug", help_text="A team's slug.")
    health_grade = filters.MultipleChoiceFilter(choices=Grade.choices)
    confidential = filters.BooleanFilter()
    watermelon = filters.BooleanFilter(
        field_name="health_watermelon", help_text="Reported healthier than computed."
    )
    cause = filters.MultipleChoiceFilter(
        field_name="health_cause",
        choices=HEALTH_FAMILY_CHOICES,
        help_text="The family deciding a yellow or red grade. Repeat for several.",
    )
    stale = filters.BooleanFilter(field_name="health_stale", help_text="No current status update.")

    class Meta:
        model = Program
        fields = [
            "portfolio", "phase", "tpm", "team", "health_grade", "confidential", "watermelon",
            "cause", "stale", "priority",
        ]  # fmt: skip


SORT_LABELS = {
    "name": "Name (A–Z)",
    "-name": "Name (Z–A)",
    "target": "Target date (soonest)",
    "-target": "Target date (latest)",
    "score": "Health score (lowest)",
    "-score": "Health score (highest)",
    "updated": "Last update (stalest)",
    "-updated": "Last update (newest)",
    "priority": "Priority",
}


class ProgramListFilter(PageFilterMixin, ProgramFilter):
    """The programs page's filters: the API's, with search, sort and named choices.

    An invalid value (a stale bookmark) is left out of the filtering, not shown as an error.
    """

    q = filters.CharFilter(
        label="Search",
        method="filter_search",
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Name or slug"}),
    )
    sort = filters.ChoiceFilter(
        label="Sort by",
        method="filter_sort",
        choices=list(SORT_LABELS.items()),
        empty_label=None,
    )
    # The page filters by these through links and the API, not through its filter bar.
    confidential = None
    watermelon = None
    stale = None

    class Meta(ProgramFilter.Meta):
        fields = ["q", "portfolio", "phase", "tpm", "team", "health_grade", "cause", "sort"]

    # The label of each select's "no filter" choice.
    ANY = {
        "portfolio": "All portfolios",
        "phase": "Any phase",
        "tpm": "Any TPM",
        "team": "All teams",
        "health_grade": "Any grade",
        "cause": "Any cause",
    }

    # The page's labels. Set on the form's fields, not on the filters: the filters are shared
    # with the API's FilterSet, and a filter caches its form field (with the label it had) the
    # first time anything, such as the API's schema, asks for it.
    LABELS = {
        "portfolio": "Portfolio",
        "tpm": "TPM",
        "team": "Team",
        "health_grade": "Health",
        "cause": "Cause",
    }

    # The sort shapes the page without narrowing it (what the empty state says).
    PAGE_ONLY = ("sort",)

    @property
    def form(self) -> forms.Form:
        if not hasattr(self, "_form"):
            form = super().form
            for name, label in self.LABELS.items():
                form.fields[name].label = label
            # Selects name what the API takes by slug or username; a value not among them
            # (a portfolio since renamed) fails its field and is left out, as any stale value.
            self.select(form, "portfolio", list(Portfolio.objects.values_list("slug", "name")))
            self.select(form, "team", list(Team.objects.values_list("slug", "name")))
            self.select(form, "tpm", [(user.username, person_label(user)) for user in _tpms()])
            for name in ("phase", "health_grade", "cause"):
                self.select(form, name)
        return self._form

    @property
    def sort_key(self) -> str:
        """The sort in effect (the list's column headers show it)."""
        return self.cleaned.get("sort") or "name"

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if text := value.strip():
            return queryset.filter(Q(name__icontains=text) | Q(slug__icontains=text))
        return queryset

    def filter_sort(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.order_by(*SORTS.get(value, SORTS["name"]))

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        queryset = super().filter_queryset(queryset)
        if not self.form.cleaned_data.get("sort"):
            queryset = queryset.order_by(*SORTS["name"])
        return queryset


def _tpms() -> QuerySet:
    """People who run a program or may: the TPM select's choices."""
    return (
        User.objects.filter(Q(tpm_programs__isnull=False) | Q(groups__name=Role.TPM))
        .distinct()
        .order_by("first_name", "last_name", "username")
    )
