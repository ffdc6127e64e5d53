"""Launch reviews measured: how long they take, where they wait, what gets sent back, which
sign-offs are overdue now and which launches went out later than first planned.

Read from the reviews' state history (django-simple-history rows of ``LaunchReview`` and
``LaunchReviewItem``) and the sign-offs:

- a review's *first submission* is the earliest ``submitted_at`` any of its history rows holds
  (a resubmission overwrites the field on the review itself);
- *decision time* is first submission → approval, for reviews approved in the quarter (the
  rounds of changes included: what the author lives through);
- *draft to launch* is creation → launch, for reviews launched in the quarter;
- a sign-off *waited* from the latest submission at or before it to its decision;
- an item was *reworked after changes were requested* when its answer changed after a
  changes-requested sign-off of its area on the same review;
- a sign-off is *overdue* when a review has been waiting for it longer than
  ``settings.INSIGHTS_SIGN_OFF_DUE_DAYS`` (default 5); its holders are the reviewers of the area;
- a launch is *late* when it went out after the launch date first set.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, TruncDate
from django.urls import reverse

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
from reviews.models import (
    REVIEWABLE_STATES,
    LaunchReview,
    LaunchReviewItem,
    LaunchReviewState,
    ReviewArea,
    ReviewerArea,
    SignOff,
    SignOffDecision,
)

AREA_LABELS = dict(ReviewArea.choices)


def sign_off_due_days() -> int:
    return int(getattr(settings, "INSIGHTS_SIGN_OFF_DUE_DAYS", 5))


@dataclass(frozen=True)
class LaunchQuarter:
    quarter: str
    decision: Spread
    draft_to_launch: Spread
    sign_offs: int
    changes_requested: int
    changes_requested_share: float | None
    late_launches: int


@dataclass(frozen=True)
class Wait:
    key: str  # an area's value, or a reviewer's username
    label: str
    wait: Spread
    changes_requested: int = 0


@dataclass(frozen=True)
class ReworkedItem:
    question: str
    area: str
    area_label: str
    reviews: int  # reviews in which it was reworked after changes were requested


@dataclass(frozen=True)
class OverdueSignOff:
    review_id: int
    review: str
    review_url: str
    program: str
    area: str
    area_label: str
    waiting_days: int
    holders: list[str]


@dataclass(frozen=True)
class LateLaunch:
    review_id: int
    review: str
    review_url: str
    program: str
    first_date: datetime.date
    launched_on: datetime.date
    days_late: int


@dataclass(frozen=True)
class LaunchReviewInsights:
    quarter: str
    decision: Spread
    draft_to_launch: Spread
    sign_offs: int
    changes_requested: int
    changes_requested_share: float | None
    sign_off_due_days: int
    wait_by_area: list[Wait] = field(default_factory=list)
    wait_by_reviewer: list[Wait] = field(default_factory=list)
    reworked_items: list[ReworkedItem] = field(default_factory=list)
    overdue_sign_offs: list[OverdueSignOff] = field(default_factory=list)
    late_launches: list[LateLaunch] = field(default_factory=list)
    trend: list[LaunchQuarter] = field(default_factory=list)


def _history() -> Any:
    return LaunchReview.history.model


def _first_submission() -> Subquery:
    return Subquery(
        _history()
        .objects.filter(id=OuterRef("pk"), submitted_at__isnull=False)
        .order_by("submitted_at")
        .values("submitted_at")[:1]
    )


def _submission_before_sign_off() -> Coalesce:
    """The latest submission at or before the sign-off (the review's own field when its history
    does not reach back that far)."""
    latest = (
        _history()
        .objects.filter(id=OuterRef("review_id"), submitted_at__lte=OuterRef("created_at"))
        .order_by("-submitted_at")
        .values("submitted_at")[:1]
    )
    return Coalesce(Subquery(latest), F("review__submitted_at"))


def _first_launch_date() -> Subquery:
    return Subquery(
        _history()
        .objects.filter(id=OuterRef("pk"))
        .order_by("history_date", "history_id")
        .values("launch_date")[:1]
    )


def _key(quarter: Quarter) -> tuple[int, int]:
    return (quarter.year, quarter.number)


def launch_review_insights(
    *, user: Any, filters: InsightsFilters, now: datetime.datetime
) -> LaunchReviewInsights:
    """The launch-review measures of the chosen quarter, and the trend over four quarters."""
    programs = scoped_programs(user=user, filters=filters).values("pk")
    reviews = LaunchReview.objects.filter(program__in=programs)
    sign_offs = SignOff.objects.filter(review__program__in=programs)
    start, end = filters.window
    quarter = filters.quarter
    q_start, q_end = quarter.start, quarter.end

    decided = spreads_by(
        reviews.filter(
            state__in=(LaunchReviewState.APPROVED, LaunchReviewState.LAUNCHED),
            decided_at__gte=start,
            decided_at__lt=end,
        ),
        values={"decision": Seconds(F("decided_at"), _first_submission())},
        group=quarter_of_field("decided_at"),
    )
    launched = spreads_by(
        reviews.filter(launched_at__gte=start, launched_at__lt=end),
        values={"draft_to_launch": Seconds(F("launched_at"), F("created_at"))},
        group=quarter_of_field("launched_at"),
    )
    counted = {
        (row["in_year"], row["in_quarter"]): row
        for row in sign_offs.filter(created_at__gte=start, created_at__lt=end)
        .annotate(**quarter_of_field("created_at"))
        .order_by()
        .values(*QUARTER_KEYS)
        .annotate(
            total=Count("pk"),
            changes=Count("pk", filter=Q(decision=SignOffDecision.CHANGES_REQUESTED)),
        )
    }
    late = _late_launches(reviews, start=start, end=end)
    late_by_quarter: dict[tuple[int, int], int] = defaultdict(int)
    for launch in late:
        late_by_quarter[_key(Quarter.of(launch.launched_on))] += 1

    trend = []
    for each in quarter.trend():
        key = _key(each)
        row = counted.get(key, {"total": 0, "changes": 0})
        trend.append(
            LaunchQuarter(
                quarter=str(each),
                decision=decided.get(key, {}).get("decision", Spread()),
                draft_to_launch=launched.get(key, {}).get("draft_to_launch", Spread()),
                sign_offs=row["total"],
                changes_requested=row["changes"],
                changes_requested_share=share(row["changes"], row["total"]),
                late_launches=late_by_quarter[key],
            )
        )
    this = trend[-1]

    in_quarter = sign_offs.filter(created_at__gte=q_start, created_at__lt=q_end)
    waited = Seconds(F("created_at"), _submission_before_sign_off())
    changes = Count("pk", filter=Q(decision=SignOffDecision.CHANGES_REQUESTED))
    by_area = spreads_by(in_quarter, values={"wait": waited}, group={"area": F("area")})
    area_changes = dict(
        in_quarter.order_by().values("area").annotate(n=changes).values_list("area", "n")
    )
    by_reviewer = spreads_by(
        in_quarter,
        values={"wait": waited},
        group={
            "username": F("reviewer__username"),
            "first": F("reviewer__first_name"),
            "last": F("reviewer__last_name"),
        },
    )
    reviewer_changes = dict(
        in_quarter.order_by()
        .values("reviewer__username")
        .annotate(n=changes)
        .values_list("reviewer__username", "n")
    )
    wait_by_area = sorted(
        (
            Wait(area, AREA_LABELS.get(area, area), spread["wait"], area_changes.get(area, 0))
            for (area,), spread in by_area.items()
        ),
        key=lambda w: (-(w.wait.median_days or 0), w.label),
    )
    wait_by_reviewer = sorted(
        (
            Wait(
                username,
                f"{first} {last}".strip() or username,
                spread["wait"],
                reviewer_changes.get(username, 0),
            )
            for (username, first, last), spread in by_reviewer.items()
        ),
        key=lambda w: (-(w.wait.median_days or 0), w.label),
    )
    return LaunchReviewInsights(
        quarter=str(quarter),
        decision=this.decision,
        draft_to_launch=this.draft_to_launch,
        sign_offs=this.sign_offs,
        changes_requested=this.changes_requested,
        changes_requested_share=this.changes_requested_share,
        sign_off_due_days=sign_off_due_days(),
        wait_by_area=wait_by_area,
        wait_by_reviewer=wait_by_reviewer,
        reworked_items=_reworked_items(programs, q_start=q_start, q_end=q_end),
        overdue_sign_offs=_overdue_sign_offs(reviews, now=now),
        late_launches=[
            launch for launch in late if q_start.date() <= launch.launched_on < q_end.date()
        ],
        trend=trend,
    )


def _late_launches(reviews: Any, *, start: datetime.datetime, end: datetime.datetime) -> list:
    rows = (
        reviews.filter(launched_at__gte=start, launched_at__lt=end)
        .annotate(first_date=_first_launch_date(), launched_on=TruncDate("launched_at"))
        .filter(launched_on__gt=F("first_date"))
        .order_by("launched_at", "pk")
        .values("pk", "title", "program__name", "first_date", "launched_on")
    )
    return [
        LateLaunch(
            review_id=row["pk"],
            review=row["title"],
            review_url=reverse("reviews:launch-detail", kwargs={"pk": row["pk"]}),
            program=row["program__name"],
            first_date=row["first_date"],
            launched_on=row["launched_on"],
            days_late=(row["launched_on"] - row["first_date"]).days,
        )
        for row in rows
    ]


def _reworked_items(
    programs: Any, *, q_start: datetime.datetime, q_end: datetime.datetime
) -> list[ReworkedItem]:
    sent_back = SignOff.objects.filter(
        review_id=OuterRef("review_id"),
        area=OuterRef("area"),
        decision=SignOffDecision.CHANGES_REQUESTED,
        created_at__gte=q_start,
        created_at__lt=q_end,
        created_at__lte=OuterRef("history_date"),
    )
    history = LaunchReviewItem.history.model
    rows = (
        history.objects.filter(
            history_type="~",
            review__program__in=programs,
            history_date__gte=q_start,
        )
        .filter(Exists(sent_back))
        .order_by()
        .values("question", "area")
        .annotate(reviews=Count("review_id", distinct=True))
        .order_by("-reviews", "area", "question")
    )
    return [
        ReworkedItem(
            row["question"], row["area"], AREA_LABELS.get(row["area"], row["area"]), row["reviews"]
        )
        for row in rows
    ]


def _overdue_sign_offs(reviews: Any, *, now: datetime.datetime) -> list[OverdueSignOff]:
    due = sign_off_due_days()
    approved_now = SignOff.objects.filter(
        review_id=OuterRef("review_id"),
        area=OuterRef("area"),
        superseded=False,
        decision=SignOffDecision.APPROVED,
    )
    pending = (
        LaunchReviewItem.objects.filter(
            required=True,
            review__in=reviews.filter(
                state__in=REVIEWABLE_STATES,
                submitted_at__lt=now - datetime.timedelta(days=due),
            ),
        )
        .exclude(Exists(approved_now))
        .order_by("review__submitted_at", "review_id", "area")
        .values(
            "review_id", "review__title", "review__program__name", "review__submitted_at", "area"
        )
        .distinct()
    )
    rows = list(pending)
    if not rows:
        return []
    holders: dict[str, list[str]] = defaultdict(list)
    for area, username, first, last in (
        ReviewerArea.objects.filter(area__in={row["area"] for row in rows})
        .values_list(
            "area",
            "reviewer__user__username",
            "reviewer__user__first_name",
            "reviewer__user__last_name",
        )
        .order_by("area", "reviewer__user__username")
    ):
        holders[area].append(f"{first} {last}".strip() or username)
    return [
        OverdueSignOff(
            review_id=row["review_id"],
            review=row["review__title"],
            review_url=reverse("reviews:launch-detail", kwargs={"pk": row["review_id"]}),
            program=row["review__program__name"],
            area=row["area"],
            area_label=AREA_LABELS.get(row["area"], row["area"]),
            waiting_days=(now - (row["review__submitted_at"] or now)).days,
            holders=holders[row["area"]],
        )
        for row in rows
    ]
