"""Query-string filters of operational reviews (django-filter): the API's, and the list page's.

In the API an invalid value (an unknown choice, a malformed date) answers 400 with a message
for the parameter; the page leaves it out. The reviews page filters with
``OperationalReviewListFilter``, a subclass of the API's ``OperationalReviewFilter``, so a
filter added there is one edit for both.
"""

import datetime
from typing import Any

import django_filters as filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone

from core.list_pages import PageFilterMixin
from programs.models import Portfolio
from reviews.models import ActionItem, ActionItemState, OperationalReview, OperationalReviewState
from reviews.ops.selectors import carried_over


class OperationalReviewFilter(filters.FilterSet):
    date = filters.DateFromToRangeFilter(
        help_text="`date_after` / `date_before` (inclusive, YYYY-MM-DD)."
    )
    state = filters.MultipleChoiceFilter(choices=OperationalReviewState.choices)
    portfolio = filters.CharFilter(field_name="portfolio__slug", help_text="Portfolio slug.")

    class Meta:
        model = OperationalReview
        fields = ["date", "state", "portfolio"]


class ActionItemFilter(filters.FilterSet):
    owner = filters.CharFilter(field_name="owner__username", help_text="Username.")
    state = filters.ChoiceFilter(choices=ActionItemState.choices)
    due_date = filters.DateFromToRangeFilter(
        help_text="`due_date_after` / `due_date_before` (inclusive, YYYY-MM-DD)."
    )
    program = filters.CharFilter(field_name="program__slug", help_text="Program slug.")
    review = filters.NumberFilter(
        method="on_review",
        help_text="Review id: the items on that review (agreed in it or carried over to it).",
    )

    class Meta:
        model = ActionItem
        fields = ["owner", "state", "due_date", "program", "review"]

    def on_review(self, queryset, name, value):
        review = OperationalReview.objects.filter(pk=value).first()
        return queryset.filter(carried_over(review)) if review else queryset.none()


WHEN = [("upcoming", "Open and upcoming"), ("past", "Past")]


class OperationalReviewListFilter(PageFilterMixin, OperationalReviewFilter):
    """The reviews page's filters: open and upcoming reviews (soonest first: any not closed yet,
    so Monday's review still in progress on Tuesday, and all from today on) or past ones
    (closed and before today, latest first), by the API's state and portfolio, the portfolio named in a select."""

    when = filters.ChoiceFilter(label="Show", choices=WHEN, method="filter_when", empty_label=None)
    # The page narrows by date through ``when``; the API takes a date range.
    date = None

    class Meta(OperationalReviewFilter.Meta):
        fields = ["when", "state", "portfolio"]

    ANY = {"state": "Any state", "portfolio": "All portfolios"}
    # ``when`` picks a half of the list, it does not narrow it.
    PAGE_ONLY = ("when",)

    def __init__(self, *args: Any, today: datetime.date | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today or timezone.localdate()

    @property
    def form(self) -> forms.Form:
        if not hasattr(self, "_form"):
            form = super().form
            form.fields["state"].label = "State"
            form.fields["portfolio"].label = "Portfolio"
            self.select(form, "state")
            self.select(
                form,
                "portfolio",
                list(Portfolio.objects.order_by("name").values_list("slug", "name")),
            )
        return self._form

    @property
    def showing(self) -> str:
        """The half of the list in effect (upcoming unless past is asked for)."""
        return self.cleaned.get("when") or "upcoming"

    def filter_when(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        past = Q(date__lt=self.today, state=OperationalReviewState.CLOSED)
        if value == "past":
            return queryset.filter(past).order_by("-date", "-id")
        return queryset.exclude(past).order_by("date", "id")

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        queryset = super().filter_queryset(queryset)
        if not self.form.cleaned_data.get("when"):
            queryset = self.filter_when(queryset, "when", "upcoming")
        return queryset
