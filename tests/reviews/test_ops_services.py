"""Operational reviews and action items: transitions, carry-over, the weekly task, versions."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.errors import DomainError, StaleWriteError
from reviews.models import ActionItem, OperationalReview
from reviews.ops import services
from reviews.ops.selectors import review_action_items
from reviews.states import IllegalTransition
from reviews.tasks import operational_review_create_weekly
from tests.factories import ActionItemFactory, OperationalReviewFactory, UserFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
REVIEW_STATES = ["scheduled", "in_progress", "closed"]
REVIEW_LEGAL = {("start", "scheduled"), ("close", "scheduled"), ("close", "in_progress")}


def in_state(review: OperationalReview, state: str) -> OperationalReview:
    closed_at = timezone.now() if state == "closed" else None
    OperationalReview.objects.filter(pk=review.pk).update(state=state, closed_at=closed_at)
    review.refresh_from_db()
    return review


@pytest.mark.parametrize("state", REVIEW_STATES)
@pytest.mark.parametrize("action", ["start", "close"])
def test_every_review_transition_is_allowed_or_refused_by_the_table(tpm, state, action):
    """Legal moves change the state and bump the version; illegal ones say why."""
    review = in_state(OperationalReviewFactory(), state)
    if (action, state) in REVIEW_LEGAL:
        moved = services.operational_review_transition(
            review=review, user=tpm, action=action, version=review.version
        )
        assert moved.state == {"start": "in_progress", "close": "closed"}[action]
        assert moved.version == review.version + 1
    else:
        with pytest.raises(IllegalTransition, match="Cannot"):
            services.operational_review_transition(
                review=review, user=tpm, action=action, version=review.version
            )


@pytest.mark.parametrize(
    ("action", "state", "legal"),
    [("close", "open", True), ("close", "done", False), ("reopen", "done", True),
     ("reopen", "open", False)],
)  # fmt: skip
def test_every_action_item_transition(tpm, action, state, legal):
    item = ActionItemFactory()
    if state == "done":
        item = services.action_item_transition(
            item=item, user=tpm, action="close", version=item.version
        )
    if legal:
        moved = services.action_item_transition(
            item=item, user=tpm, action=action, version=item.version
        )
        assert moved.state == ("done" if action == "close" else "open")
        assert (moved.closed_at is not None) == (action == "close")
    else:
        with pytest.raises(IllegalTransition):
            services.action_item_transition(
                item=item, user=tpm, action=action, version=item.version
            )


def test_closing_freezes_the_agenda_and_the_record(tpm):
    review = OperationalReviewFactory(date=TODAY)
    closed = services.operational_review_transition(
        review=review, user=tpm, action="close", version=review.version
    )
    assert closed.closed_at is not None
    assert [s["key"] for s in closed.agenda["sections"]][0] == "worsened"
    with pytest.raises(DomainError, match="closed"):
        services.operational_review_update(
            review=closed, user=tpm, version=closed.version, notes="late"
        )
    with pytest.raises(DomainError, match="closed"):
        services.action_item_create(
            review=closed, user=tpm, title="Too late", owner=tpm, due_date=TODAY
        )


def test_a_stale_version_is_refused_not_overwritten(tpm):
    review = OperationalReviewFactory()
    services.operational_review_update(review=review, user=tpm, version=1, notes="First")
    with pytest.raises(StaleWriteError):
        services.operational_review_update(review=review, user=tpm, version=1, notes="Second")
    review.refresh_from_db()
    assert review.notes == "First"
    assert review.history.count() == 2


def test_one_review_a_day_per_scope(tpm):
    services.operational_review_create(user=tpm, date=TODAY, title="A")
    with pytest.raises(ValidationError, match="already a review"):
        services.operational_review_create(user=tpm, date=TODAY, title="B")


def test_open_action_items_carry_over_until_closed(tpm):
    """Open items appear on every later review; a closed one stays on the review it was closed
    in and leaves the ones after; one closed between meetings leaves the next review."""
    owner = UserFactory(username="olga.owner")
    first = OperationalReviewFactory(date=TODAY - datetime.timedelta(days=7))
    second = OperationalReviewFactory(date=TODAY + datetime.timedelta(days=7))
    third = OperationalReviewFactory(date=TODAY + datetime.timedelta(days=14))
    carried = ActionItemFactory(title="Carried", owner=owner, created_in=first)
    done_at_once = ActionItemFactory(title="Done in first", owner=owner, created_in=first)
    between = ActionItemFactory(title="Closed between", owner=owner, created_in=first)
    later = ActionItemFactory(title="Agreed in second", owner=owner, created_in=second)
    services.action_item_transition(
        item=done_at_once, user=tpm, action="close", version=1, review=first
    )
    services.action_item_transition(item=between, user=owner, action="close", version=1)

    def titles(review):
        return [item.title for item in review_action_items(review=review, user=tpm)]

    assert titles(first) == ["Carried", "Done in first", "Closed between"]
    assert set(titles(second)) == {"Carried", "Agreed in second"}
    assert "Closed between" not in titles(second)
    services.action_item_transition(
        item=carried, user=tpm, action="close", version=1, review=second
    )
    assert set(titles(second)) == {"Carried", "Agreed in second"}  # closed in it: still listed
    assert titles(third) == ["Agreed in second"]
    assert later.created_in == second


def test_an_action_item_cannot_be_closed_in_a_closed_review(tpm):
    item = ActionItemFactory()
    closed = in_state(OperationalReviewFactory(), "closed")
    with pytest.raises(DomainError, match="closed"):
        services.action_item_transition(
            item=item, user=tpm, action="close", version=item.version, review=closed
        )


def test_weekly_task_is_idempotent():
    """Two runs in a week make one review, on that week's Monday."""
    first = OperationalReview.objects.get(pk=operational_review_create_weekly.delay().get())
    second = OperationalReview.objects.get(pk=operational_review_create_weekly())
    assert first == second
    assert OperationalReview.objects.count() == 1
    assert first.date == TODAY - datetime.timedelta(days=TODAY.weekday())
    assert first.created_by is None


def test_weekly_task_respects_a_review_made_by_hand_that_week(tpm):
    monday = TODAY - datetime.timedelta(days=TODAY.weekday())
    by_hand = services.operational_review_create(
        user=tpm, date=monday + datetime.timedelta(days=2), title="Wednesday review"
    )
    assert services.operational_review_create_weekly(today=monday) == by_hand
    next_week = services.operational_review_create_weekly(today=monday + datetime.timedelta(days=7))
    assert next_week != by_hand
    assert OperationalReview.objects.count() == 2


def test_permissions_of_people(tpm, leader, admin_user, engineer, reviewer):
    item = ActionItemFactory(owner=engineer)
    assert all(services.can_run_reviews(u) for u in (tpm, leader, admin_user))
    assert not any(services.can_run_reviews(u) for u in (engineer, reviewer))
    assert services.can_close_action_item(engineer, item)
    assert not services.can_close_action_item(reviewer, item)


def test_decisions_about_a_program_go_to_its_log_and_link_the_review(tpm, program):
    review = OperationalReviewFactory(date=TODAY)
    decision = services.operational_review_decision_record(
        review=review, user=tpm, program=program, title="Freeze rollout", outcome="Until Dec"
    )
    assert decision.program == program
    assert decision.decided_on == TODAY
    assert list(review.decisions.all()) == [decision]
    assert ActionItem.objects.count() == 0
