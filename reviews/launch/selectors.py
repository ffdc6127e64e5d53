"""Every read of launch reviews that a page, endpoint or the health engine makes.

Selectors own ``select_related``/``prefetch_related``/annotations, so each page and endpoint
runs a fixed number of queries whatever the data size. Visibility follows the program
(``programs.selectors.visible_programs``).
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404

from core.queries import ids_q
from programs.models import Program
from programs.playbooks.models import GovernedWorkflow
from programs.playbooks.selectors import PlaybookLink, workflow_links
from programs.selectors import visible_programs
from reviews.models import (
    OPEN_REVIEW_STATES,
    REVIEWABLE_STATES,
    AnswerStatus,
    ChecklistAreaGuidance,
    LaunchReview,
    LaunchReviewItem,
    LaunchReviewState,
    ReviewArea,
    ReviewComment,
    SignOff,
    SignOffDecision,
)
from reviews.rules import reviewer_areas

if TYPE_CHECKING:
    from reviews.launch.filters import LaunchReviewListFilter

OPEN_REQUIRED = Q(items__required=True, items__status=AnswerStatus.NOT_DONE)


def with_progress(reviews: QuerySet[LaunchReview]) -> QuerySet[LaunchReview]:
    """Each review with its program, author and answer counts, in the one list query."""
    return reviews.select_related("program", "author", "milestone").annotate(
        item_count=Count("items", distinct=True),
        answered_count=Count(
            "items", filter=~Q(items__status=AnswerStatus.NOT_DONE), distinct=True
        ),
        open_required_count=Count("items", filter=OPEN_REQUIRED, distinct=True),
    )


def visible_reviews(user) -> QuerySet[LaunchReview]:
    """Launch reviews of the programs the user may read."""
    return LaunchReview.objects.filter(program__in=visible_programs(user).values("pk"))


def launch_review_list(
    *, user, filters: "LaunchReviewListFilter | None" = None
) -> QuerySet[LaunchReview]:
    """The launches page: visible reviews by launch date, narrowed by ``filters`` (the page's
    FilterSet, bound to the query string; none: every review but the withdrawn)."""
    reviews = visible_reviews(user)
    if filters is None:
        reviews = reviews.exclude(state=LaunchReviewState.WITHDRAWN).order_by("launch_date", "id")
    else:
        # Validating first leaves an invalid value (a stale bookmark) out instead of failing.
        filters.is_valid()
        reviews = filters.filter_queryset(reviews)
    return with_progress(reviews)


def review_get_for_user(*, user, pk: int) -> LaunchReview:
    """One review, or 404 when it does not exist or its program is hidden from the user."""
    return get_object_or_404(
        visible_reviews(user).select_related("program", "author", "milestone", "template"), pk=pk
    )


# --- The review page ------------------------------------------------------------------------


@dataclass
class AreaSection:
    area: str
    label: str
    items: list[LaunchReviewItem] = field(default_factory=list)
    sign_off: SignOff | None = None  # the live one

    @property
    def total(self) -> int:
        return len(self.items)

    @property
    def answered(self) -> int:
        return sum(1 for item in self.items if not item.is_open)

    @property
    def required_open(self) -> int:
        return sum(1 for item in self.items if item.required and item.is_open)

    @property
    def needs_sign_off(self) -> bool:
        return any(item.required for item in self.items)

    @property
    def approved(self) -> bool:
        return bool(self.sign_off and self.sign_off.decision == SignOffDecision.APPROVED)

    @property
    def percent(self) -> int:
        return round(100 * self.answered / self.total) if self.total else 100


@dataclass(frozen=True)
class TimelineEntry:
    when: datetime.datetime
    who: Any
    kind: str  # "sign_off" or "comment"
    area_label: str
    decision: str
    text: str
    superseded: bool


@dataclass(frozen=True)
class ReviewPage:
    review: LaunchReview
    areas: list[AreaSection]
    timeline: list[TimelineEntry]
    total: int
    answered: int
    required_open: int

    @property
    def percent(self) -> int:
        return round(100 * self.answered / self.total) if self.total else 100

    @property
    def missing(self) -> list[str]:
        return [
            f"{section.label}: {item.question}"
            for section in self.areas
            for item in section.items
            if item.required and item.is_open
        ]


def launch_review_page(*, review: LaunchReview) -> ReviewPage:
    """The checklist by area with progress, live sign-offs and the conversation: 3 queries."""
    items = list(review.items.select_related("answered_by").order_by("order", "id"))
    sign_offs = list(review.sign_offs.select_related("reviewer").order_by("created_at", "id"))
    comments = list(review.comments.select_related("author").order_by("created_at", "id"))
    order = {area: n for n, area in enumerate(ReviewArea.values)}
    sections: dict[str, AreaSection] = {}
    for item in items:
        sections.setdefault(item.area, AreaSection(item.area, ReviewArea(item.area).label))
        sections[item.area].items.append(item)
    for sign_off in sign_offs:
        if not sign_off.superseded and sign_off.area in sections:
            sections[sign_off.area].sign_off = sign_off
    timeline = [
        TimelineEntry(
            s.created_at, s.reviewer, "sign_off", s.get_area_display(), s.decision, s.comment,
            s.superseded,
        )
        for s in sign_offs
    ] + [
        TimelineEntry(
            c.created_at, c.author, "comment", c.get_area_display() if c.area else "", "",
            c.body, False,
        )
        for c in comments
    ]  # fmt: skip
    timeline.sort(key=lambda entry: entry.when)
    areas = sorted(sections.values(), key=lambda section: order[section.area])
    return ReviewPage(
        review=review,
        areas=areas,
        timeline=timeline,
        total=len(items),
        answered=sum(1 for item in items if not item.is_open),
        required_open=sum(1 for item in items if item.required and item.is_open),
    )


@dataclass(frozen=True)
class ReviewGuidance:
    """The playbooks that guide a review, each in the version in force when it was made: the
    launch review process, and each item's and area's section."""

    process: PlaybookLink | None
    items: dict[int, PlaybookLink]  # by item id
    areas: dict[str, PlaybookLink]  # by area


def launch_review_guidance(*, review: LaunchReview, page: ReviewPage) -> ReviewGuidance:
    """Two queries: the template's area guidance, then every playbook's version in force."""
    areas = list(
        ChecklistAreaGuidance.objects.filter(template_id=review.template_id).values_list(
            "area", "playbook_id", "playbook_anchor"
        )
    )
    items = [item for section in page.areas for item in section.items if item.playbook_id]
    process, links = workflow_links(
        GovernedWorkflow.LAUNCH_REVIEW,
        playbook_ids={item.playbook_id for item in items} | {pk for _, pk, _ in areas},
        at=review.created_at,
    )
    return ReviewGuidance(
        process=process,
        items={
            item.pk: links[item.playbook_id].at(item.playbook_anchor)
            for item in items
            if item.playbook_id in links
        },
        areas={area: links[pk].at(anchor) for area, pk, anchor in areas if pk in links},
    )


# --- The review queue -----------------------------------------------------------------------


@dataclass(frozen=True)
class QueueRow:
    review: LaunchReview
    waiting_areas: list[str]  # labels of the user's areas without a live approval


def review_queue(*, user) -> list[QueueRow]:
    """Submitted or in-review launches with an area the user covers that is not yet approved,
    soonest launch first. Not the user's own reviews. Two queries (plus the user's areas)."""
    mine = reviewer_areas(user)
    if not mine:
        return []
    reviews = (
        with_progress(
            visible_reviews(user)
            .filter(state__in=REVIEWABLE_STATES, items__area__in=mine)
            .exclude(author=user)
            .distinct()
        )
        .prefetch_related(
            Prefetch(
                "sign_offs",
                queryset=SignOff.objects.filter(superseded=False).order_by("created_at", "id"),
                to_attr="live_sign_offs",
            )
        )
        # Apart, so that the stubs type each to_attr list by its own model.
        .prefetch_related(
            Prefetch(
                "items",
                queryset=LaunchReviewItem.objects.filter(area__in=mine).only(
                    "id", "review_id", "area"
                ),
                to_attr="my_items",
            ),
        )
        .order_by("launch_date", "id")
    )
    rows = []
    for review in reviews:
        live = {s.area: s.decision for s in review.live_sign_offs}
        waiting = sorted(
            {item.area for item in review.my_items}
            - {area for area, decision in live.items() if decision == SignOffDecision.APPROVED},
            key=ReviewArea.values.index,
        )
        if waiting:
            rows.append(QueueRow(review, [ReviewArea(area).label for area in waiting]))
    return rows


def authored_open_reviews(*, user) -> QuerySet[LaunchReview]:
    """The user's own reviews that are not launched or withdrawn, soonest first."""
    return with_progress(
        LaunchReview.objects.filter(author=user, state__in=OPEN_REVIEW_STATES)
    ).order_by("launch_date", "id")


# --- Program page panel ---------------------------------------------------------------------


def program_launch_reviews(*, program: Program) -> list[LaunchReview]:
    """The program's launch reviews with progress, open ones first by date: one query."""
    return list(
        with_progress(program.launch_reviews.all()).order_by("launched_at", "launch_date", "id")
    )


# --- For the health engine ------------------------------------------------------------------


def launch_readiness_rows(program_ids: Iterable[int]) -> QuerySet[LaunchReview]:
    """The programs' launches still ahead (not launched, not withdrawn), each annotated with
    ``open_required``: its required checklist items not done yet.

    ``program_ids`` may be a ``range`` (a run of consecutive ids: see ``core.queries.ids_q``).
    """
    return LaunchReview.objects.filter(
        ids_q("program_id", program_ids), state__in=OPEN_REVIEW_STATES
    ).annotate(open_required=Count("items", filter=OPEN_REQUIRED))


def review_comments(*, review: LaunchReview) -> QuerySet[ReviewComment]:
    return review.comments.select_related("author").order_by("created_at", "id")
