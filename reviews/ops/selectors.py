"""Every read of operational reviews and action items that a page or endpoint makes.

Everyone signed in reads reviews; what a review shows about a program follows the program's
visibility (``programs.selectors.visible_programs``): an action item or decision of a
confidential program the reader may not see is left out. Each function runs a fixed number
of queries whatever the data size. The agenda itself is built by ``reviews.ops.agenda``.
"""

import datetime
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from programs.models import Decision
from programs.selectors import visible_programs
from reviews.models import ActionItem, ActionItemState, OperationalReview

if TYPE_CHECKING:
    from reviews.ops.filters import OperationalReviewListFilter


def visible_action_items(user) -> QuerySet[ActionItem]:
    """Action items about no program or about a program the user may read."""
    return ActionItem.objects.filter(
        Q(program__isnull=True) | Q(program__in=visible_programs(user).values("pk"))
    )


def my_action_items(user, *, done: bool = False) -> QuerySet[ActionItem]:
    """The user's own action items: open ones by due date (the most overdue first), or done
    ones, the latest closed first; each with its program and the reviews it went through."""
    items = visible_action_items(user).filter(
        owner=user, state=ActionItemState.DONE if done else ActionItemState.OPEN
    )
    return items.select_related("program", "created_in", "closed_in").order_by(
        *(("-closed_at", "-id") if done else ("due_date", "id"))
    )


def my_action_item_counts(user, *, today: datetime.date) -> dict[str, int]:
    """How many of the user's action items are open, and how many of those overdue (one
    query)."""
    return my_action_items(user).aggregate(
        open=Count("pk"), overdue=Count("pk", filter=Q(due_date__lt=today))
    )


def with_item_counts(reviews: QuerySet[OperationalReview]) -> QuerySet[OperationalReview]:
    return reviews.select_related("portfolio", "facilitator").annotate(
        action_item_count=Count("action_items", distinct=True),
        closed_item_count=Count("closed_action_items", distinct=True),
    )


def operational_review_list(
    *, filters: "OperationalReviewListFilter | None" = None
) -> QuerySet[OperationalReview]:
    """Reviews for the list page, narrowed by ``filters`` (the page's FilterSet, bound to the
    query string): upcoming (today on, soonest first) unless it asks for the past ones."""
    reviews = with_item_counts(OperationalReview.objects.all())
    if filters is None:
        return reviews.filter(date__gte=timezone.localdate()).order_by("date", "id")
    # Validating first leaves an invalid value (a stale bookmark) out instead of failing.
    filters.is_valid()
    return filters.filter_queryset(reviews)


def operational_review_get(*, pk: int) -> OperationalReview:
    return get_object_or_404(
        OperationalReview.objects.select_related("portfolio", "facilitator", "created_by"), pk=pk
    )


def current_review(*, today: datetime.date | None = None) -> OperationalReview | None:
    """This week's review of every program, or the next one scheduled."""
    today = today or timezone.localdate()
    monday = today - datetime.timedelta(days=today.weekday())
    return (
        OperationalReview.objects.filter(portfolio__isnull=True, date__gte=monday)
        .order_by("date", "id")
        .first()
    )


def _same_scope(review: OperationalReview) -> Q:
    """Reviews of the review's scope: its portfolio, or every program (no portfolio)."""
    if review.portfolio_id is None:
        return Q(portfolio__isnull=True)
    return Q(portfolio_id=review.portfolio_id)


def previous_review(review: OperationalReview) -> OperationalReview | None:
    """The last review of the same scope before this one (what "since the last review" means)."""
    return (
        OperationalReview.objects.filter(_same_scope(review), date__lt=review.date)
        .order_by("-date", "-id")
        .first()
    )


def next_review(review: OperationalReview) -> OperationalReview | None:
    return (
        OperationalReview.objects.filter(_same_scope(review), date__gt=review.date)
        .order_by("date", "id")
        .first()
    )


def carried_over(review: OperationalReview) -> Q:
    """Items on a review: agreed in it, or agreed in an earlier one and still open then.

    An earlier item is on this review while open; once closed, it stays on the review in
    which it was closed and on any review dated before its closing day (so a closed
    review's list stays as it was), and drops off the ones after.
    """
    zone = timezone.get_current_timezone()
    day_start = timezone.make_aware(datetime.datetime.combine(review.date, datetime.time.min), zone)
    earlier = Q(created_in__date__lt=review.date) | Q(
        created_in__date=review.date, created_in__id__lt=review.pk
    )
    still_open = Q(state=ActionItemState.OPEN) | Q(closed_in=review) | Q(closed_at__gte=day_start)
    return Q(created_in=review) | (earlier & still_open)


def review_action_items(*, review: OperationalReview, user) -> list[ActionItem]:
    """The review's action items (carried over included) the user may see: open first."""
    items = (
        visible_action_items(user)
        .filter(carried_over(review))
        .select_related("owner", "program", "created_in", "closed_in")
        .order_by("-state", "due_date", "id")  # open before done
    )
    return list(items)


def review_decisions(*, review: OperationalReview, user) -> list[Decision]:
    return list(
        review.decisions.filter(program__in=visible_programs(user).values("pk"))
        .select_related("program", "decided_by")
        .order_by("id")
    )


def action_item_list(*, user, filters: dict[str, Any] | None = None) -> QuerySet[ActionItem]:
    """Action items the user may see, for the API: filtered there by django-filter."""
    return visible_action_items(user).select_related(
        "owner", "program", "created_in", "closed_in", "closed_by"
    )
