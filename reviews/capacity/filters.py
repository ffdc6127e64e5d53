"""Query-string filters of capacity (django-filter): the API's, and the requests page's.

Programs and teams are named by slug, people by username. In the API an invalid value (an
unknown choice, a malformed date) answers 400 with a message for the parameter; the page
leaves it out. The capacity requests page filters with ``CapacityRequestListFilter``, a
subclass of the API's ``CapacityRequestFilter``, so a filter added there is one edit for both.
"""

from typing import Any

import django_filters as filters
from django import forms
from django.db.models import QuerySet

from core.list_pages import PageFilterMixin
from programs.models import Team
from reviews.models import (
    CapacityBudget,
    CapacityRequest,
    CapacityRequestState,
    ResourceKind,
    quarter_validator,
)


class CapacityBudgetFilter(filters.FilterSet):
    team = filters.CharFilter(field_name="team__slug", help_text="Team slug.")
    quarter = filters.CharFilter(help_text="e.g. 2026-Q4.")
    resource_kind = filters.MultipleChoiceFilter(choices=ResourceKind.choices)

    class Meta:
        model = CapacityBudget
        fields = ["team", "quarter", "resource_kind"]


class CapacityRequestFilter(filters.FilterSet):
    team = filters.CharFilter(field_name="team__slug", help_text="Team slug.")
    program = filters.CharFilter(field_name="program__slug", help_text="Program slug.")
    quarter = filters.CharFilter(help_text="e.g. 2026-Q4.")
    state = filters.MultipleChoiceFilter(choices=CapacityRequestState.choices)
    resource_kind = filters.MultipleChoiceFilter(choices=ResourceKind.choices)
    requester = filters.CharFilter(field_name="requester__username", help_text="Username.")
    needed_by = filters.DateFromToRangeFilter(
        help_text="`needed_by_after` / `needed_by_before` (inclusive, YYYY-MM-DD)."
    )

    class Meta:
        model = CapacityRequest
        fields = ["team", "program", "quarter", "state", "resource_kind", "requester", "needed_by"]


class CapacityRequestListFilter(PageFilterMixin, CapacityRequestFilter):
    """The requests page's filters: the API's team, state, resource and quarter, newest first;
    teams named in a select, a malformed quarter left out."""

    # The page filters by these through the API only.
    program = None
    requester = None
    needed_by = None

    class Meta(CapacityRequestFilter.Meta):
        fields = ["team", "state", "resource_kind", "quarter"]

    ANY = {"team": "All teams", "state": "Any state", "resource_kind": "Any resource"}

    @property
    def form(self) -> forms.Form:
        if not hasattr(self, "_form"):
            form = super().form
            form.fields["team"].label = "Team"
            form.fields["state"].label = "State"
            form.fields["resource_kind"].label = "Resource"
            self.select(form, "team", list(Team.objects.values_list("slug", "name")))
            self.select(form, "state")
            self.select(form, "resource_kind")
            quarter = form.fields["quarter"]
            quarter.label = "Quarter"
            quarter.validators.append(quarter_validator)
            quarter.widget.attrs["placeholder"] = "2026-Q4"
        return self._form

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return super().filter_queryset(queryset).order_by("-created_at", "-id")
