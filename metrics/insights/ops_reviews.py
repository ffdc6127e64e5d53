"""Operational reviews measured: the action items they agree and close, how long closing takes,
how much is overdue now, how often items are carried from one review to the next, and how many
decisions each review records.

- *opened* / *closed*: action items created / closed in the quarter;
- *time to close*: creation → closing, for items closed in the quarter;
- *overdue now*: open items past their due date, as a share of the open items, today;
- *carried over*: the later reviews (held by today) an item appeared on before it was closed,
  as the review page lists them (``reviews.ops.selectors.carried_over``: an open item is on
  every later review; a closed one on those dated up to the day it was closed);
- *decisions per review*: decisions linked to the reviews held in the quarter.

Items count through their program (a confidential program's only for those who may see it);
an item about no program counts when the filters name no team and, with a portfolio chosen,
when the review that agreed it was that portfolio's. With a portfolio chosen, the reviews held
are that portfolio's and those of every program; their decisions count when their program is in
scope.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import (
    Count,
    DateTimeField,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from metrics.insights.selectors import (
    QUARTER_KEYS,
    InsightsFilters,
    Quarter,
    Seconds,
    Spread,
    quarter_of_field,
    scoped_programs,
    share,
    spreads_by,
)
from reviews.models import ActionItem, ActionItemState, OperationalReview

# Items carried over this many times or more share the last bucket of the distribution.
CARRIED_BUCKETS = 4


@dataclass(frozen=True)
class OpsQuarter:
    quarter: str
    opened: int
    closed: int
    time_to_close: Spread
    carried_mean: float | None  # times carried over, mean of the items closed in the quarter
    reviews: int  # reviews held
    decisions: int
    decisions_per_review: float | None


@dataclass(frozen=True)
class CarriedCount:
    times: int  # the last bucket means "this many or more"
    label: str
    closed: int  # items closed in the quarter carried over this many times
    open_now: int  # items open today carried over this many times so far


@dataclass(frozen=True)
class OverdueItem:
    item_id: int
    title: str
    review: str  # the review that agreed it
    review_url: str
    program: str
    owner: str
    due_date: datetime.date
    days_overdue: int
    times_carried: int


@dataclass(frozen=True)
class ReviewHeld:
    review_id: int
    review: str
    review_url: str
    date: datetime.date
    portfolio: str
    decisions: int
    items_agreed: int
    items_closed: int


@dataclass(frozen=True)
class OpsReviewInsights:
    quarter: str
    opened: int
    closed: int
    time_to_close: Spread
    carried_mean: float | None
    open_now: int
    overdue_now: int
    overdue_share: float | None
    reviews: int
    decisions: int
    decisions_per_review: float | None
    carried: list[CarriedCount] = field(default_factory=list)
    overdue: list[OverdueItem] = field(default_factory=list)
    reviews_held: list[ReviewHeld] = field(default_factory=list)
    trend: list[OpsQuarter] = field(default_factory=list)


def scoped_action_items(*, user: Any, filters: InsightsFilters) -> QuerySet[ActionItem]:
    programs = scoped_programs(user=user, filters=filters).values("pk")
    in_scope = Q(program__in=programs)
    if not filters.team:
        without_program = Q(program__isnull=True)
        if filters.portfolio:
            without_program &= Q(created_in__portfolio__slug=filters.portfolio)
        in_scope |= without_program
    return ActionItem.objects.filter(in_scope)


def _count(queryset: QuerySet[Any]) -> Coalesce:
    """The rows of a correlated ``queryset`` as a number (0 for none), in a subquery."""
    counted = queryset.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def times_carried(*, today: datetime.date) -> Coalesce:
    """How many later reviews, held by ``today``, an item (the outer row) appeared on: those
    after the review that agreed it, up to the day it was closed (today while it is open)."""
    created_on = OuterRef("created_in__date")
    later = Q(date__gt=created_on) | Q(date=created_on, pk__gt=OuterRef("created_in_id"))
    # TruncDate needs its argument's type, which a bare OuterRef does not carry.
    closed_at = ExpressionWrapper(OuterRef("closed_at"), output_field=DateTimeField())
    closed_on = Coalesce(TruncDate(closed_at), Value(today))
    on_it = Q(pk=OuterRef("closed_in_id")) | Q(date__lte=closed_on)
    return _count(OperationalReview.objects.filter(later, on_it, date__lte=today))


def _bucket(times: int) -> int:
    return min(times, CARRIED_BUCKETS)


def _bucket_label(times: int) -> str:
    if times == CARRIED_BUCKETS:
        return f"{times} or more reviews"
    return {0: "Not carried over", 1: "1 review"}.get(times, f"{times} reviews")


def ops_review_insights(
    *, user: Any, filters: InsightsFilters, now: datetime.datetime
) -> OpsReviewInsights:
    """The operational-review measures of the chosen quarter, and the trend over four."""
    today = timezone.localdate(now)
    items = scoped_action_items(user=user, filters=filters)
    start, end = filters.window
    quarter = filters.quarter
    trend_quarters = quarter.trend()

    opened = {
        (row["in_year"], row["in_quarter"]): row["n"]
        for row in items.filter(created_at__gte=start, created_at__lt=end)
        .annotate(**quarter_of_field("created_at"))
        .order_by()
        .values(*QUARTER_KEYS)
        .annotate(n=Count("pk"))
    }
    closing = spreads_by(
        items.filter(closed_at__gte=start, closed_at__lt=end),
        values={"close": Seconds(F("closed_at"), F("created_at"))},
        group=quarter_of_field("closed_at"),
    )
    # Items closed in the window, by quarter, and items open now (no quarter), by times carried.
    carried_rows = (
        items.filter(Q(closed_at__gte=start, closed_at__lt=end) | Q(state=ActionItemState.OPEN))
        .annotate(**quarter_of_field("closed_at"), carried=times_carried(today=today))
        .order_by()
        .values(*QUARTER_KEYS, "carried")
        .annotate(n=Count("pk"))
    )
    carried_by_quarter: dict[tuple[int, int], list[tuple[int, int]]] = defaultdict(list)
    open_carried: dict[int, int] = defaultdict(int)
    for row in carried_rows:
        if row["in_year"] is None:
            open_carried[_bucket(row["carried"])] += row["n"]
        else:
            carried_by_quarter[(row["in_year"], row["in_quarter"])].append(
                (row["carried"], row["n"])
            )
    now_counts = items.filter(state=ActionItemState.OPEN).aggregate(
        open=Count("pk"), overdue=Count("pk", filter=Q(due_date__lt=today))
    )
    held = _reviews_held(user=user, filters=filters, today=today)

    trend = []
    for each in trend_quarters:
        key = (each.year, each.number)
        spread = closing.get(key, {}).get("close", Spread())
        counted = carried_by_quarter.get(key, [])
        closed_items = sum(n for _, n in counted)
        in_quarter = [r for r in held if Quarter.of(r.date) == each]
        decisions = sum(r.decisions for r in in_quarter)
        trend.append(
            OpsQuarter(
                quarter=str(each),
                opened=opened.get(key, 0),
                closed=spread.count,
                time_to_close=spread,
                carried_mean=round(sum(t * n for t, n in counted) / closed_items, 2)
                if closed_items
                else None,
                reviews=len(in_quarter),
                decisions=decisions,
                decisions_per_review=round(decisions / len(in_quarter), 2) if in_quarter else None,
            )
        )
    this = trend[-1]
    closed_this: dict[int, int] = defaultdict(int)
    for times, n in carried_by_quarter.get((quarter.year, quarter.number), []):
        closed_this[_bucket(times)] += n
    return OpsReviewInsights(
        quarter=str(quarter),
        opened=this.opened,
        closed=this.closed,
        time_to_close=this.time_to_close,
        carried_mean=this.carried_mean,
        open_now=now_counts["open"],
        overdue_now=now_counts["overdue"],
        overdue_share=share(now_counts["overdue"], now_counts["open"]),
        reviews=this.reviews,
        decisions=this.decisions,
        decisions_per_review=this.decisions_per_review,
        carried=[
            CarriedCount(
                times=times,
                label=_bucket_label(times),
                closed=closed_this[times],
                open_now=open_carried[times],
            )
            for times in range(CARRIED_BUCKETS + 1)
        ]
        if closed_this or open_carried
        else [],
        overdue=_overdue(items, today=today),
        reviews_held=[r for r in held if Quarter.of(r.date) == quarter],
        trend=trend,
    )


def _overdue(items: QuerySet[ActionItem], *, today: datetime.date) -> list[OverdueItem]:
    rows = (
        items.filter(state=ActionItemState.OPEN, due_date__lt=today)
        .select_related("owner", "program", "created_in")
        .annotate(carried=times_carried(today=today))
        .order_by("due_date", "pk")
    )
    return [
        OverdueItem(
            item_id=item.pk,
            title=item.title,
            review=str(item.created_in),
            review_url=item.created_in.get_absolute_url(),
            program=item.program.name if item.program else "",
            owner=item.owner.get_full_name() or item.owner.username,
            due_date=item.due_date,
            days_overdue=(today - item.due_date).days,
            times_carried=item.carried,
        )
        for item in rows
    ]


def _reviews_held(*, user: Any, filters: InsightsFilters, today: datetime.date) -> list[ReviewHeld]:
    """The reviews held in the trend's four quarters (dated by today), oldest first, with the
    decisions they recorded and the items agreed and closed in them, all within the scope."""
    first = filters.quarter.trend()[0].first_day
    last = filters.quarter.next.first_day
    reviews = OperationalReview.objects.filter(date__gte=first, date__lt=last, date__lte=today)
    if filters.portfolio:
        reviews = reviews.filter(Q(portfolio__isnull=True) | Q(portfolio__slug=filters.portfolio))
    programs = scoped_programs(user=user, filters=filters).values("pk")
    items = scoped_action_items(user=user, filters=filters)
    # A weekly review records hundreds of decisions at 10,000 programs: counted in one grouped
    # join rather than a correlated subquery per review (a nested loop per review).
    # django-stubs cannot see an annotation on an auto-created through model ("n").
    decisions = dict(
        OperationalReview.decisions.through.objects.filter(  # type: ignore[misc]
            operationalreview__in=reviews.values("pk"), decision__program__in=programs
        )
        .order_by()
        .values("operationalreview_id")
        .annotate(n=Count("pk"))
        .values_list("operationalreview_id", "n")
    )
    rows = (
        reviews.select_related("portfolio")
        .annotate(
            agreed=_count(items.filter(created_in=OuterRef("pk"))),
            closed_in_it=_count(items.filter(closed_in=OuterRef("pk"))),
        )
        .order_by("date", "pk")
    )
    return [
        ReviewHeld(
            review_id=review.pk,
            review=review.title,
            review_url=review.get_absolute_url(),
            date=review.date,
            portfolio=review.portfolio.name if review.portfolio else "",
            decisions=decisions.get(review.pk, 0),
            items_agreed=review.agreed,
            items_closed=review.closed_in_it,
        )
        for review in rows
    ]
