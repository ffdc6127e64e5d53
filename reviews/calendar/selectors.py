"""What a calendar feed shows: the dated events of the programs its owner may see.

Three queries whatever the size (launches, critical milestones, operational reviews), each
bounded by the visibility rule of ``programs.selectors.visible_programs``: a confidential
program never reaches the feed of someone who may not read it.
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q

from core.types import User
from programs.models import Milestone, MilestoneState, Portfolio
from programs.selectors import visible_programs
from reviews.launch.models import LaunchReview, LaunchReviewState
from reviews.ops.models import OperationalReview


@dataclass(frozen=True)
class CalendarEvent:
    """One all-day event of a feed."""

    uid: str  # stable: the same object is the same event at every fetch
    day: datetime.date
    summary: str
    description: str
    path: str  # the object's page in Pulse
    changed_at: datetime.datetime  # DTSTAMP and LAST-MODIFIED
    sequence: int  # the object's version: a calendar app replaces its older copy
    category: str


# How far back a feed goes: a quarter, so last quarter's launches stay in view without a
# feed growing for ever (``CALENDAR_PAST_DAYS`` in the settings changes it).
DEFAULT_PAST_DAYS = 90


def _since(today: datetime.date) -> datetime.date:
    days = getattr(settings, "CALENDAR_PAST_DAYS", DEFAULT_PAST_DAYS)
    return today - datetime.timedelta(days=days)


def feed_events(
    *, user: User, today: datetime.date, portfolio: Portfolio | None = None
) -> list[CalendarEvent]:
    """The user's events from ``CALENDAR_PAST_DAYS`` ago onwards, by date: launches (launch
    reviews not withdrawn), critical milestones (not cancelled; a done one on the day it was
    done) and operational reviews (a portfolio's feed: that portfolio's and the ones of every
    program). Narrowed to ``portfolio`` when given."""
    since = _since(today)
    programs = visible_programs(user)
    if portfolio is not None:
        programs = programs.filter(portfolio=portfolio)
    program_ids = programs.values("pk")
    events: list[CalendarEvent] = []

    launches = (
        LaunchReview.objects.filter(program__in=program_ids, launch_date__gte=since)
        .exclude(state=LaunchReviewState.WITHDRAWN)
        .select_related("program")
    )
    for launch in launches:
        events.append(
            CalendarEvent(
                uid=f"launch-review-{launch.pk}",
                day=launch.launch_date,
                summary=f"Launch: {launch.title} ({launch.program.name})",
                description=(
                    f"{launch.program.name} launches “{launch.title}” "
                    f"(tier {launch.tier}). Launch review: {launch.get_state_display()}."
                ),
                path=launch.get_absolute_url(),
                changed_at=launch.updated_at,
                sequence=launch.version,
                category="Launch",
            )
        )

    milestones = (
        Milestone.objects.filter(program__in=program_ids, critical=True)
        .exclude(state=MilestoneState.CANCELLED)
        .filter(target_date__gte=since)
        .select_related("program")
    )
    for milestone in milestones:
        done_on = milestone.completed_date if milestone.state == MilestoneState.DONE else None
        slip = milestone.slip_days
        events.append(
            CalendarEvent(
                uid=f"milestone-{milestone.pk}",
                day=done_on or milestone.target_date,
                summary=(
                    f"{'Done: ' if done_on else ''}{milestone.name} ({milestone.program.name})"
                ),
                description=(
                    f"Critical milestone of {milestone.program.name}: "
                    f"{milestone.get_state_display().lower()}. Baseline {milestone.baseline_date:%d %b %Y}, "
                    f"target {milestone.target_date:%d %b %Y}"
                    + (f" ({slip:+d} days)." if slip else ".")
                ),
                path=milestone.get_absolute_url(),
                changed_at=milestone.updated_at,
                sequence=milestone.version,
                category="Critical milestone",
            )
        )

    reviews = OperationalReview.objects.filter(date__gte=since).select_related("portfolio")
    if portfolio is not None:
        reviews = reviews.filter(Q(portfolio__isnull=True) | Q(portfolio=portfolio))
    for review in reviews:
        scope = review.portfolio.name if review.portfolio else "every program"
        events.append(
            CalendarEvent(
                uid=f"ops-review-{review.pk}",
                day=review.date,
                summary=f"Ops review: {review.title}",
                description=f"Operational review of {scope}: {review.get_state_display().lower()}.",
                path=review.get_absolute_url(),
                changed_at=review.updated_at,
                sequence=review.version,
                category="Operational review",
            )
        )
    events.sort(key=lambda event: (event.day, event.uid))
    return events
