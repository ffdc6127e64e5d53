"""Query-string filters of launch reviews (django-filter): the API's, and the launches page's.

Programs are named by slug, people by username, reviews by id. In the API an invalid value
(an unknown choice, a malformed date) answers 400 with a message for the parameter; the page
leaves it out. The launches page filters with ``LaunchReviewListFilter``, a subclass of the
API's ``LaunchReviewFilter``, so a filter added there is one edit for both.
"""

from typing import Any

import django_filters as filters
from django import forms
from django.db.models import Q, QuerySet

from core.forms import DateInput
from core.list_pages import PageFilterMixin
from reviews.models import (
    AnswerStatus,
    LaunchReview,
    LaunchReviewItem,
    LaunchReviewState,
    LaunchTier,
    ReviewArea,
    ReviewComment,
    SignOff,
    SignOffDecision,
)


class LaunchReviewFilter(filters.FilterSet):
    program = filters.CharFilter(field_name="program__slug", help_text="Program slug.")
    state = filters.MultipleChoiceFilter(
        choices=LaunchReviewState.choices, help_text="Repeat for several."
    )
    tier = filters.ChoiceFilter(choices=LaunchTier.choices)
    author = filters.CharFilter(field_name="author__username", help_text="Username.")
    launch_date = filters.DateFromToRangeFilter(
        help_text="`launch_date_after` / `launch_date_before` (inclusive, YYYY-MM-DD)."
    )

    class Meta:
        model = LaunchReview
        fields = ["program", "state", "tier", "author", "launch_date", "milestone"]


class LaunchReviewListFilter(PageFilterMixin, LaunchReviewFilter):
    """The launches page's filters: the API's, with a search box; withdrawn reviews are left
    out unless the state asks for them; by launch date."""

    q = filters.CharFilter(
        label="Search",
        method="filter_search",
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Launch or program"}),
    )
    # The API's ``launch_date`` range takes ``launch_date_after``/``launch_date_before``; the
    # page gives each bound its own labelled input under the same names (inclusive, as there).
    launch_date = None
    launch_date_after = filters.DateFilter(
        field_name="launch_date", lookup_expr="gte", label="Launching from", widget=DateInput
    )
    launch_date_before = filters.DateFilter(
        field_name="launch_date", lookup_expr="lte", label="Launching until", widget=DateInput
    )

    # The page filters by these through the API only.
    program = None
    author = None

    class Meta(LaunchReviewFilter.Meta):
        fields = ["q", "state", "tier", "launch_date_after", "launch_date_before"]

    ANY = {"state": "Any but withdrawn", "tier": "Any tier"}

    @property
    def form(self) -> forms.Form:
        if not hasattr(self, "_form"):
            form = super().form
            form.fields["state"].label = "State"
            form.fields["tier"].label = "Tier"
            self.select(form, "state")
            self.select(form, "tier", [(str(tier), f"Tier {tier}") for tier in LaunchTier.values])
        return self._form

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if text := value.strip():
            return queryset.filter(Q(title__icontains=text) | Q(program__name__icontains=text))
        return queryset

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        queryset = super().filter_queryset(queryset)
        if not self.form.cleaned_data.get("state"):
            queryset = queryset.exclude(state=LaunchReviewState.WITHDRAWN)
        return queryset.order_by("launch_date", "id")


class LaunchReviewItemFilter(filters.FilterSet):
    area = filters.MultipleChoiceFilter(choices=ReviewArea.choices)
    status = filters.MultipleChoiceFilter(choices=AnswerStatus.choices)
    required = filters.BooleanFilter()

    class Meta:
        model = LaunchReviewItem
        fields = ["review", "area", "status", "required"]


class SignOffFilter(filters.FilterSet):
    area = filters.MultipleChoiceFilter(choices=ReviewArea.choices)
    decision = filters.ChoiceFilter(choices=SignOffDecision.choices)
    reviewer = filters.CharFilter(field_name="reviewer__username", help_text="Username.")
    superseded = filters.BooleanFilter()

    class Meta:
        model = SignOff
        fields = ["review", "area", "decision", "reviewer", "superseded"]


class ReviewCommentFilter(filters.FilterSet):
    class Meta:
        model = ReviewComment
        fields = ["review"]
