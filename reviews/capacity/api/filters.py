"""Query-string filters of the capacity API (django-filter).

Programs and teams are named by slug, people by username. Invalid values (an unknown choice,
a malformed date) answer 400 with a message for the parameter.
"""

import django_filters as filters

from reviews.models import CapacityBudget, CapacityRequest, CapacityRequestState, ResourceKind


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
