"""Every write to operational reviews and their action items. One transaction each.

The meeting's records (the review, its notes, the decisions it links and its action items)
belong to reviews, and so does its agenda (``reviews.ops.agenda``), which closing a review
freezes; the agenda's health sections are supplied by metrics through a registered builder.

Who may do what
- create, edit, start and close reviews; add, edit and close action items; record decisions:
  people in the TPM or Leadership role, and admins (``can_run_reviews``);
- close (or reopen) an action item: also its owner (``can_close_action_item``).

State changes come only from the two tables below, through ``reviews.states.check_transition``.
"""

import datetime
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.errors import DomainError
from core.roles import Role, has_role, is_admin
from core.services import UNSET, Maybe, apply_versioned_update, given
from core.types import User
from programs import services as program_services
from programs.models import Decision, Portfolio, Program
from reviews.models import ActionItem, ActionItemState, OperationalReview, OperationalReviewState
from reviews.ops.agenda import build_agenda
from reviews.states import Transition, check_transition

OR = OperationalReviewState
AI = ActionItemState

OPERATIONAL_REVIEW_TRANSITIONS: dict[str, Transition] = {
    "start": Transition(frozenset({OR.SCHEDULED}), OR.IN_PROGRESS, "Start the review"),
    # A review may be closed straight from scheduled: the meeting happened, nobody pressed start.
    "close": Transition(frozenset({OR.SCHEDULED, OR.IN_PROGRESS}), OR.CLOSED, "Close the review"),
}
ACTION_ITEM_TRANSITIONS: dict[str, Transition] = {
    "close": Transition(frozenset({AI.OPEN}), AI.DONE, "Close the action item"),
    "reopen": Transition(frozenset({AI.DONE}), AI.OPEN, "Reopen the action item"),
}

# The weekly review is on the Monday of its week (the beat entry runs Mondays at 08:00).
WEEKLY_TITLE = "Weekly operational review"


# --- Permissions ----------------------------------------------------------------------------


def can_run_reviews(user: User | AnonymousUser | None) -> bool:
    """TPMs, leadership and admins create, edit and close reviews and manage action items."""
    return bool(
        user
        and user.is_authenticated
        and (is_admin(user) or has_role(user, Role.TPM, Role.LEADERSHIP))
    )


def can_close_action_item(user: User | AnonymousUser, item: ActionItem) -> bool:
    return can_run_reviews(user) or (user.is_authenticated and item.owner_id == user.pk)


# --- Reviews --------------------------------------------------------------------------------


def _refuse_if_closed(review: OperationalReview) -> None:
    if review.is_closed:
        raise DomainError("This review is closed: its record no longer changes.")


@transaction.atomic
def operational_review_create(
    *,
    user: User | None,
    date: datetime.date,
    title: str,
    portfolio: Portfolio | None = None,
    notes: str = "",
    facilitator: User | None = None,
) -> OperationalReview:
    """Schedule a review for a date (one per day and scope)."""
    review = OperationalReview(
        date=date,
        title=title,
        portfolio=portfolio,
        notes=notes,
        facilitator=facilitator,
        created_by=user,
    )
    review.full_clean()
    if user is not None:
        review._history_user = user
    review.save()
    return review


@transaction.atomic
def operational_review_update(
    *,
    review: OperationalReview,
    user: User,
    version: int | None,
    date: Maybe[datetime.date] = UNSET,
    title: Maybe[str] = UNSET,
    portfolio: Maybe[Portfolio | None] = UNSET,
    notes: Maybe[str] = UNSET,
    facilitator: Maybe[User | None] = UNSET,
) -> OperationalReview:
    """Change the date, title, scope, notes or facilitator of a review that is not closed;
    only the fields given change."""
    fields = given(
        date=date, title=title, portfolio=portfolio, notes=notes, facilitator=facilitator
    )
    locked = OperationalReview.objects.select_for_update().get(pk=review.pk)
    _refuse_if_closed(locked)
    return apply_versioned_update(instance=locked, expected_version=version, data=fields, user=user)


@transaction.atomic
def operational_review_transition(
    *, review: OperationalReview, user: User, action: str, version: int | None
) -> OperationalReview:
    """Start or close a review. Closing freezes its agenda (as every program's) into the row."""
    locked = OperationalReview.objects.select_for_update().get(pk=review.pk)
    target = check_transition(OPERATIONAL_REVIEW_TRANSITIONS, action, locked.state)
    data: dict[str, Any] = {"state": target}
    now = timezone.now()
    if action == "start":
        data["started_at"] = now
    elif action == "close":
        data["closed_at"] = now
        data["agenda"] = build_agenda(review=locked, user=None)
    return apply_versioned_update(
        instance=locked, expected_version=version, data=data, user=user, change_reason=action
    )


def _week_monday(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


def operational_review_create_weekly(*, today: datetime.date | None = None) -> OperationalReview:
    """This week's review of every program, unless the week already has one: idempotent.

    A review made by hand any day of the week counts. Two runs racing for the same Monday
    meet the one-review-a-day constraint, and the loser returns the winner's review.
    """
    today = today or timezone.localdate()
    monday = _week_monday(today)
    week = (monday, monday + datetime.timedelta(days=6))
    existing = OperationalReview.objects.filter(portfolio__isnull=True, date__range=week)
    if found := existing.order_by("date", "id").first():
        return found
    try:
        with transaction.atomic():
            return operational_review_create(
                user=None,
                date=monday,
                title=f"{WEEKLY_TITLE} — week of {monday.day} {monday:%b %Y}",
            )
    except IntegrityError:
        return existing.order_by("date", "id").get()


@transaction.atomic
def operational_review_decision_record(
    *,
    review: OperationalReview,
    user: User,
    program: Program,
    title: str,
    outcome: str,
    decided_on: datetime.date | None = None,
    context: str = "",
    decided_by: User | None = None,
) -> Decision:
    """A decision taken in the meeting about a program: recorded in that program's decision
    log (``programs.services.decision_record``, dated the review's day unless ``decided_on``
    says otherwise) and linked here."""
    _refuse_if_closed(review)
    decision = program_services.decision_record(
        program=program,
        user=user,
        title=title,
        outcome=outcome,
        decided_on=decided_on or review.date,
        context=context,
        decided_by=decided_by,
    )
    review.decisions.add(decision)
    return decision


# --- Action items ---------------------------------------------------------------------------


@transaction.atomic
def action_item_create(
    *,
    review: OperationalReview,
    user: User,
    title: str,
    owner: User,
    due_date: datetime.date,
    program: Program | None = None,
) -> ActionItem:
    """Agree an action item in a review that is not closed yet."""
    _refuse_if_closed(review)
    item = ActionItem(
        created_in=review,
        created_by=user,
        title=title,
        owner=owner,
        due_date=due_date,
        program=program,
    )
    item.full_clean()
    item._history_user = user
    item.save()
    return item


@transaction.atomic
def action_item_update(
    *,
    item: ActionItem,
    user: User,
    version: int | None,
    title: Maybe[str] = UNSET,
    owner: Maybe[User] = UNSET,
    due_date: Maybe[datetime.date] = UNSET,
    program: Maybe[Program | None] = UNSET,
) -> ActionItem:
    """Change an item's title, owner, due date or program; only the fields given change."""
    fields = given(title=title, owner=owner, due_date=due_date, program=program)
    return apply_versioned_update(instance=item, expected_version=version, data=fields, user=user)


@transaction.atomic
def action_item_transition(
    *,
    item: ActionItem,
    user: User,
    action: str,
    version: int | None,
    review: OperationalReview | None = None,
) -> ActionItem:
    """Close an item (in ``review`` when closed during a meeting) or reopen it."""
    locked = ActionItem.objects.select_for_update().get(pk=item.pk)
    target = check_transition(ACTION_ITEM_TRANSITIONS, action, locked.state)
    if review is not None and review.is_closed:
        raise DomainError({"review": "That review is closed: close the item in a later one."})
    if action == "close":
        data = {"closed_at": timezone.now(), "closed_by": user, "closed_in": review}
    else:
        data = {"closed_at": None, "closed_by": None, "closed_in": None}
    return apply_versioned_update(
        instance=locked,
        expected_version=version,
        data={"state": target, **data},
        user=user,
        change_reason=action,
    )
