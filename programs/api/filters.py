"""Query-string filters for every list of the programs API (django-filter).

The programs' own FilterSet lives in ``programs.filters``: the programs page uses it too.

Programs, portfolios and teams are named by slug, people by username. Invalid values
(an unknown choice, a malformed date) answer 400 with a message for the parameter.
"""

import django_filters as filters
from django.db.models import Q
from django.utils import timezone

from programs.models import (
    OPEN_MILESTONE_STATES,
    Decision,
    MembershipRole,
    Milestone,
    MilestoneDateChange,
    MilestoneState,
    MoveCategory,
    ProgramMembership,
    ReportedHealth,
    Risk,
    RiskState,
    StatusUpdate,
    Team,
)


class MembershipFilter(filters.FilterSet):
    program = filters.CharFilter(field_name="program__slug", help_text="Program slug.")
    user = filters.CharFilter(field_name="user__username", help_text="Username.")
    role = filters.MultipleChoiceFilter(choices=MembershipRole.choices)

    class Meta:
        model = ProgramMembership
        fields = ["program", "user", "role"]


class MilestoneFilter(filters.FilterSet):
    program = filters.CharFilter(field_name="program__slug", help_text="Program slug.")
    state = filters.MultipleChoiceFilter(choices=MilestoneState.choices)
    critical = filters.BooleanFilter()
    owner_team = filters.CharFilter(field_name="owner_team__slug", help_text="Team slug.")
    overdue = filters.BooleanFilter(
        method="filter_overdue", help_text="Open milestones whose target date has passed."
    )
    target_date = filters.DateFromToRangeFilter(
        help_text="`target_date_after` / `target_date_before` (inclusive, YYYY-MM-DD)."
    )

    class Meta:
        model = Milestone
        fields = ["program", "state", "critical", "owner_team", "overdue", "target_date"]

    def filter_overdue(self, queryset, name, value):
        overdue = Q(state__in=OPEN_MILESTONE_STATES, target_date__lt=timezone.localdate())
        return queryset.filter(overdue) if value else queryset.exclude(overdue)


class MilestoneDateChangeFilter(filters.FilterSet):
    program = filters.CharFilter(field_name="milestone__program__slug", help_text="Program slug.")
    changed_at = filters.DateFromToRangeFilter(
        help_text="`changed_at_after` / `changed_at_before`."
    )
    category = filters.MultipleChoiceFilter(choices=MoveCategory.choices)

    class Meta:
        model = MilestoneDateChange
        fields = ["milestone", "program", "changed_at", "category"]


class StatusUpdateFilter(filters.FilterSet):
    program = filters.CharFilter(field_name="program__slug", help_text="Program slug.")
    reported_health = filters.MultipleChoiceFilter(choices=ReportedHealth.choices)
    author = filters.CharFilter(field_name="author__username", help_text="Username.")
    created = filters.DateFromToRangeFilter(
        field_name="created_at", help_text="`created_after` / `created_before` (YYYY-MM-DD)."
    )

    class Meta:
        model = StatusUpdate
        fields = ["program", "reported_health", "author", "created"]


class RiskFilter(filters.FilterSet):
    program = filters.CharFilter(field_name="program__slug", help_text="Program slug.")
    state = filters.MultipleChoiceFilter(choices=RiskState.choices)
    owner = filters.CharFilter(field_name="owner__username", help_text="Username.")
    min_exposure = filters.NumberFilter(
        field_name="exposure_score", lookup_expr="gte", help_text="Likelihood × impact ≥ this."
    )

    class Meta:
        model = Risk
        fields = ["program", "state", "owner", "min_exposure"]


class DecisionFilter(filters.FilterSet):
    program = filters.CharFilter(field_name="program__slug", help_text="Program slug.")
    decided_on = filters.DateFromToRangeFilter(
        help_text="`decided_on_after` / `decided_on_before`."
    )

    class Meta:
        model = Decision
        fields = ["program", "decided_on"]


class TeamFilter(filters.FilterSet):
    member = filters.CharFilter(field_name="members__username", help_text="Username.")

    class Meta:
        model = Team
        fields = ["member"]
