"""Query-string filters of the launch-review API (django-filter).

Programs are named by slug, people by username, reviews by id. Invalid values
(an unknown choice, a malformed date) answer 400 with a message for the parameter.
"""

import django_filters as filters

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
