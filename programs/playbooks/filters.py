"""Query-string filters of playbooks (django-filter): the API's, and the playbooks page's.

People are named by username. In the API an invalid value answers 400 with a message for the
parameter; the page leaves it out. The page's ``PlaybookListFilter`` adds a search box and
"mine" / "mine, overdue", which read the signed-in user and today.
"""

import datetime

import django_filters as filters
from django import forms
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from core.list_pages import PageFilterMixin
from programs.playbooks.models import GovernedWorkflow, Playbook


def _owned_by(queryset: QuerySet[Playbook], user_filter: Q) -> QuerySet[Playbook]:
    owners = Playbook.owners.through.objects.filter(user_filter, playbook=OuterRef("pk"))
    return queryset.filter(Exists(owners))


class PlaybookFilter(filters.FilterSet):
    governs = filters.MultipleChoiceFilter(
        choices=GovernedWorkflow.choices, help_text="The workflow it governs; repeat for several."
    )
    owner = filters.CharFilter(method="filter_owner", help_text="An owner's username.")
    overdue = filters.BooleanFilter(
        method="filter_overdue", help_text="Past its review-by date (true) or not (false)."
    )
    review_by = filters.DateFromToRangeFilter(
        help_text="`review_by_after` / `review_by_before` (inclusive, YYYY-MM-DD)."
    )

    class Meta:
        model = Playbook
        fields = ["governs", "owner", "overdue", "review_by"]

    def __init__(self, *args, today: datetime.date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today or timezone.localdate()

    def filter_owner(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return _owned_by(queryset, Q(user__username=value)) if value else queryset

    def filter_overdue(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return queryset
        late = Q(review_by__lt=self.today)
        return queryset.filter(late if value else ~late)


MINE_CHOICES = [("mine", "Mine"), ("overdue", "Mine, overdue")]


class PlaybookListFilter(PageFilterMixin, PlaybookFilter):
    """The playbooks page's filters: a search, the workflow, and "mine" / "mine, overdue"."""

    q = filters.CharFilter(
        label="Search",
        method="filter_search",
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Title or summary"}),
    )
    mine = filters.ChoiceFilter(choices=MINE_CHOICES, method="filter_mine", label="Owner")

    # The page offers these through "mine" and the API only.
    owner = None
    overdue = None
    review_by = None

    class Meta(PlaybookFilter.Meta):
        fields = ["q", "governs", "mine"]

    ANY = {"governs": "Any workflow", "mine": "Anyone's"}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    @property
    def form(self) -> forms.Form:
        if not hasattr(self, "_form"):
            form = super().form
            form.fields["governs"].label = "Governs"
            self.select(form, "governs")
            self.select(form, "mine")
        return self._form

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if text := value.strip():
            return queryset.filter(
                Q(title__icontains=text) | Q(summary__icontains=text) | Q(slug__icontains=text)
            )
        return queryset

    def filter_mine(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if not value or self.user is None:
            return queryset
        mine = _owned_by(queryset, Q(user=self.user))
        if value == "overdue":
            mine = mine.filter(review_by__lt=self.today)
        return mine

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        queryset = super().filter_queryset(queryset)
        if self.form.cleaned_data.get("mine") == "overdue":
            return queryset.order_by("review_by", "title", "id")
        return queryset.order_by("title", "id")
