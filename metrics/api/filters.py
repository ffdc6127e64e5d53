"""Query-string filters and ordering of the metrics API (django-filter, DRF ordering).

Programs and portfolios are named by slug, metrics by id. Invalid values (an unknown
choice, a malformed date or number) answer 400 with a message for the parameter.
"""

import django_filters as filters
from django.db.models import F, Q
from rest_framework.filters import OrderingFilter

from core.grades import Grade
from metrics.models import Direction, HealthSnapshot, MetricReading, SuccessMetric
from programs.api.serializers import HEALTH_FAMILY_CHOICES
from programs.models import Program

CAUSE_HELP = (
    "The family deciding a yellow or red grade (e.g. launch_readiness). Repeat for several."
)


class SuccessMetricFilter(filters.FilterSet):
    program = filters.CharFilter(field_name="program__slug", help_text="Program slug.")
    portfolio = filters.CharFilter(
        field_name="program__portfolio__slug", help_text="Portfolio slug."
    )
    direction = filters.ChoiceFilter(choices=Direction.choices)

    class Meta:
        model = SuccessMetric
        fields = ["program", "portfolio", "direction"]


class MetricReadingFilter(filters.FilterSet):
    metric = filters.NumberFilter(field_name="metric_id", help_text="Success metric id.")
    program = filters.CharFilter(field_name="metric__program__slug", help_text="Program slug.")
    measured_on = filters.DateFromToRangeFilter(
        help_text="`measured_on_after` / `measured_on_before` (inclusive, YYYY-MM-DD)."
    )

    class Meta:
        model = MetricReading
        fields = ["metric", "program", "measured_on"]


class ProgramHealthFilter(filters.FilterSet):
    grade = filters.MultipleChoiceFilter(
        field_name="health_grade", choices=Grade.choices, help_text="Repeat for several."
    )
    watermelon = filters.BooleanFilter(
        field_name="health_watermelon", help_text="Reported healthier than computed."
    )
    cause = filters.MultipleChoiceFilter(
        field_name="health_cause", choices=HEALTH_FAMILY_CHOICES, help_text=CAUSE_HELP
    )
    stale = filters.BooleanFilter(field_name="health_stale", help_text="No current status update.")
    portfolio = filters.CharFilter(field_name="portfolio__slug", help_text="Portfolio slug.")
    min_score = filters.NumberFilter(
        field_name="health_score", lookup_expr="gte", help_text="Score at least this (0-100)."
    )
    max_score = filters.NumberFilter(
        field_name="health_score", lookup_expr="lte", help_text="Score at most this (0-100)."
    )

    class Meta:
        model = Program
        fields = ["grade", "watermelon", "cause", "stale", "portfolio", "min_score", "max_score"]


class HealthSnapshotFilter(filters.FilterSet):
    program = filters.CharFilter(field_name="program__slug", help_text="Program slug.")
    day = filters.DateFromToRangeFilter(
        help_text="`day_after` / `day_before` (inclusive, YYYY-MM-DD)."
    )
    grade = filters.MultipleChoiceFilter(choices=Grade.choices, help_text="Repeat for several.")
    watermelon = filters.BooleanFilter()
    stale = filters.BooleanFilter(help_text="No current status update that day.")
    cause = filters.MultipleChoiceFilter(
        choices=HEALTH_FAMILY_CHOICES, method="filter_cause", help_text=CAUSE_HELP
    )

    class Meta:
        model = HealthSnapshot
        fields = ["program", "day", "grade", "watermelon", "stale", "cause"]

    def filter_cause(self, queryset, name, value):
        """Yellow and red snapshots whose first reason (the deciding one) is of these families;
        a reason stored before reasons were structured names its family ``component``."""
        if not value:
            return queryset
        first = Q(reasons__0__family__in=value) | Q(reasons__0__component__in=value)
        return queryset.exclude(grade=Grade.GREEN).filter(first)


class NamedOrderingFilter(OrderingFilter):
    """``?ordering=`` by public names that a view maps to model fields, empty values last.

    A view lists the public names in ``ordering_fields`` and maps any that differ from the
    model field in ``ordering_sources`` (e.g. ``{"score": "health_score"}``). Rows without a
    value (a program never scored) sort last in either direction, and ties fall back to the
    primary key so pages never overlap.
    """

    def filter_queryset(self, request, queryset, view):
        ordering = self.get_ordering(request, queryset, view)
        if not ordering:
            return queryset
        sources = getattr(view, "ordering_sources", {})
        expressions = []
        for term in ordering:
            name = term.removeprefix("-")
            field = F(sources.get(name, name))
            descending = term.startswith("-")
            expressions.append(
                field.desc(nulls_last=True) if descending else field.asc(nulls_last=True)
            )
        return queryset.order_by(*expressions, "pk")
