"""The demo's workflow history: a year of launch reviews, capacity decisions and operational
reviews whose times read like an organisation's, for the insights pages to measure.

The services record each step at the moment they run, so a demo seeded in a few seconds would
say every review was decided in "0.0 d". Two things fix that, both in bulk:

- ``retime_launch_reviews`` and ``retime_capacity_requests`` move the steps the services just
  recorded for the current reviews and requests back onto a plausible timeline before ``today``
  (rows, their history rows and the sign-offs), keeping their order;
- ``seed_past_launch_reviews``, ``seed_past_capacity`` and ``seed_past_operational_reviews``
  write the four quarters behind them directly (rows and history rows as the services would
  have written them), with the waits, rounds of changes, overrides, late launches and
  carried-over action items a real year has.

Deterministic: every draw comes from the ``random.Random`` passed in, over rows read in a fixed
order. A story runs through the year: sign-offs in security and compliance wait longest and one
reviewer is slower than the others; the waits shrink quarter by quarter; a few teams ask for
more than their budget and the council overrides it with a reason.
"""

import datetime
import functools
import random
from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Exists, Model, OuterRef, Subquery
from django.db.models.functions import Coalesce
from simple_history.utils import get_history_model_for_model

from core.roles import Role
from programs.management.seeding import explicit_timestamps
from programs.models import Decision, Phase, Program, Team
from reviews.models import (
    ActionItem,
    ActionItemState,
    AnswerStatus,
    CapacityBudget,
    CapacityRequest,
    CapacityRequestState,
    ChecklistTemplate,
    LaunchReview,
    LaunchReviewItem,
    LaunchReviewState,
    OperationalReview,
    OperationalReviewState,
    ResourceKind,
    Reviewer,
    ReviewerArea,
    SignOff,
    SignOffDecision,
    quarter_of,
)

User = get_user_model()
DAY = datetime.timedelta(days=1)
HOUR = datetime.timedelta(hours=1)

# Median days a submitted area waits for its sign-off (before the quarter's and the reviewer's
# factors): security and compliance are where launches wait.
AREA_WAIT_DAYS = {
    "security": 6.0,
    "compliance": 5.0,
    "capacity": 3.0,
    "reliability": 2.5,
    "observability": 1.5,
    "rollback": 1.0,
    "documentation": 0.8,
}
# Oldest quarter first: governance got faster over the year.
QUARTER_PACE = (1.3, 1.15, 1.0, 0.9)
# How likely an area is the one sent back, when a review gets changes requested.
CHANGES_WEIGHTS = {
    "security": 4,
    "reliability": 3,
    "observability": 3,
    "compliance": 2,
    "rollback": 2,
    "capacity": 1,
    "documentation": 1,
}
CHANGES_COMMENTS = {
    "security": "The threat model predates the new ingress path; update it and link the review.",
    "reliability": "Show the load test at twice the expected peak, not at the peak.",
    "observability": "Link the production dashboard, not staging, and add the SLO burn alert.",
    "compliance": "Attach the access-review evidence for the new service accounts.",
    "rollback": "Rehearse the rollback in staging and record how long it took.",
    "capacity": "The headroom assumes last year's growth; size it on this quarter's forecast.",
    "documentation": "The runbook still describes the old failover; update it.",
}
# Amounts asked per request, by resource (the budgets are seed_reviews.BUDGETS).
# Shares of the team's budget one request asks for: most are modest, a few take half of it.
ASK_SHARES = (0.05, 0.1, 0.15, 0.25, 0.35, 0.5, 0.7)
# The first teams (by name) ask most often: their budgets run out and get overridden.
TEAM_WEIGHTS = (5, 4, 2, 1, 1, 1)
KIND_WEIGHTS = (5, 3, 2, 2, 3)  # vCPU and cost are asked most
OVERRIDE_REASONS = (
    "Committed launch for a Tier 1 customer; finance agreed to absorb the overrun this quarter.",
    "Incident follow-up: the extra headroom is the remediation the postmortem asked for.",
    "Pulled forward from next quarter's budget, which is reduced by the same amount.",
)
DENIAL_NOTES = (
    "Over the team's budget and not tied to a committed launch; re-plan for next quarter.",
    "Reuse the capacity freed by the decommissioned cluster first.",
    "Sized on peak without autoscaling; resubmit with the autoscaling plan.",
)
ACTION_TITLES = (
    "Confirm the rollback plan with the on-call lead for {program}",
    "Get the vendor's delivery date in writing for {program}",
    "Re-plan {program}'s next milestone after the slip",
    "Close the open security findings before {program}'s launch",
    "Share {program}'s capacity forecast with finance",
    "Agree the cutover window for {program} with the network team",
    "Add {program}'s SLO to the weekly report",
    "Find a second owner for {program}'s migration tooling",
)


def _at(day: datetime.date, hour: float) -> datetime.datetime:
    """A moment of a working day (UTC, as the rest of the demo)."""
    return datetime.datetime.combine(
        day, datetime.time(0), tzinfo=datetime.UTC
    ) + datetime.timedelta(hours=hour)


def _working(moment: datetime.datetime) -> datetime.datetime:
    """The moment moved onto a weekday's working hours (reviews are not signed at 3 am)."""
    hour = moment.hour + moment.minute / 60
    day = moment.date()
    if hour < 8.5:
        moment = _at(day, 8.5 + hour / 3)
    elif hour > 18.5:
        moment = _at(day + DAY, 8.5 + (hour - 18.5) / 3)
    while moment.weekday() >= 5:
        moment += DAY
    return moment


def _wait(rng: random.Random, median_days: float) -> datetime.timedelta:
    return datetime.timedelta(days=median_days * rng.lognormvariate(0, 0.55))


def quarter_starts(today: datetime.date) -> list[datetime.date]:
    """The first days of today's quarter and the three before it, oldest first."""
    starts = []
    year, first_month = today.year, 3 * ((today.month - 1) // 3) + 1
    for _ in range(4):
        starts.append(datetime.date(year, first_month, 1))
        first_month -= 3
        if first_month < 1:
            first_month += 12
            year -= 1
    return starts[::-1]


def _quarter_end(start: datetime.date) -> datetime.date:
    month = start.month + 3
    return datetime.date(start.year + (month > 12), (month - 1) % 12 + 1, 1)


@functools.cache
def _history_of(model: type[Model]) -> tuple[Any, tuple[str, ...]]:
    """The history model of ``model`` and its tracked columns (looked up once: it is slow)."""
    history_model = get_history_model_for_model(model)
    return history_model, tuple(f.attname for f in history_model.tracked_fields)


def _rewrite(rows: Sequence[Any]) -> None:
    """Store history rows changed in memory: deleted and inserted again with the same ids
    (nothing points at a history row; ``bulk_update`` of as many rows is many times slower)."""
    # Any: simple-history builds the history models at run time, so there is no class to name.
    if not rows:
        return
    model = type(rows[0])
    model.objects.filter(history_id__in=[row.history_id for row in rows]).delete()
    model.objects.bulk_create(rows, batch_size=2000)


class _History:
    """simple-history rows for rows written in bulk, as the services would have written them."""

    def __init__(self) -> None:
        # Any: the history models (and so their rows) are built by simple-history at run time.
        self.rows: dict[Any, list[Any]] = defaultdict(list)

    def add(
        self, instance: Model, *, when: datetime.datetime, user_id: int | None, kind: str = "~",
        reason: str = "", **values: Any,
    ) -> None:  # fmt: skip
        model, names = _history_of(type(instance))
        fields = {name: getattr(instance, name) for name in names}
        fields.update(values)
        self.rows[model].append(
            model(
                history_date=when,
                history_type=kind,
                history_user_id=user_id,
                history_change_reason=reason or None,
                **fields,
            )
        )

    def write(self, batch_size: int) -> int:
        written = 0
        for model, rows in self.rows.items():
            model.objects.bulk_create(rows, batch_size=batch_size)
            written += len(rows)
        self.rows.clear()
        return written


def purge_orphan_history() -> int:
    """Delete the history rows of reviews, requests and action items that no longer exist.

    ``seed_demo --reset`` truncates the programs' tables, which takes the reviews with them
    but not their history tables (no foreign keys), and PostgreSQL then reuses the ids: a new
    review would inherit the old one's history (its first submission, its first launch date).
    """
    deleted = 0
    for model in (LaunchReview, LaunchReviewItem, CapacityRequest, CapacityBudget,
                  OperationalReview, ActionItem):  # fmt: skip
        live = model._default_manager.filter(pk=OuterRef("id"))
        deleted += model.history.filter(~Exists(live)).delete()[0]
    return deleted


# --- Reviewers ------------------------------------------------------------------------------


def reviewer_panel(demo_reviewer: Any) -> dict[str, list[Any]]:
    """Each area's reviewers: the demo reviewer everywhere, and the first seeded Reviewer-role
    people one or two areas each (their profiles and areas are written here)."""
    people = list(
        User.objects.filter(groups__name=Role.REVIEWER, is_active=True)
        .exclude(pk=demo_reviewer.pk)
        .order_by("username")[:7]
    )
    areas = list(AREA_WAIT_DAYS)
    panel: dict[str, list[Any]] = {area: [demo_reviewer] for area in areas}
    for number, person in enumerate(people):
        profile, _ = Reviewer.objects.get_or_create(user=person)
        for area in {areas[number % len(areas)], areas[(number + 3) % len(areas)]}:
            ReviewerArea.objects.get_or_create(reviewer=profile, area=area)
            panel[area].append(person)
    return panel


def _reviewer_pace(panel: dict[str, list[Any]]) -> dict[int, float]:
    """How fast each reviewer signs: the second seeded one is the slow one."""
    pace: dict[int, float] = {}
    for people in panel.values():
        for number, person in enumerate(people):
            pace.setdefault(person.pk, 1.0 if number != 2 else 1.9)
    return pace


# --- Launch reviews -------------------------------------------------------------------------


def retime_launch_reviews(
    reviews: Sequence[LaunchReview], *, rng: random.Random, today: datetime.date
) -> None:
    """Move what the services recorded for ``reviews`` (just now) back before ``today``.

    Each review keeps its steps in their order: drafted, answered, submitted, each area signed
    after its own wait, decided, launched on its date. Launched ones went out on their launch
    date; some of them had a first date a week or two earlier (the history's first launch date).
    """
    now = _at(today, 9)
    ids = [review.pk for review in reviews]
    rows = {r.pk: r for r in LaunchReview.objects.filter(pk__in=ids).select_related("program")}
    review_history = defaultdict(list)
    for row in LaunchReview.history.filter(id__in=ids).order_by("history_id"):
        review_history[row.id].append(row)
    item_history = defaultdict(list)
    for row in LaunchReviewItem.history.filter(review_id__in=ids).order_by("history_id"):
        item_history[row.review_id].append(row)
    sign_offs = defaultdict(list)
    for sign_off in SignOff.objects.filter(review_id__in=ids).order_by("id"):
        sign_offs[sign_off.review_id].append(sign_off)
    changed_reviews: list[LaunchReview] = []
    changed_sign_offs: list[SignOff] = []
    # Any: history rows, of models simple-history builds at run time.
    changed_review_history: list[Any] = []
    changed_item_history: list[Any] = []
    for pk in ids:
        review = rows[pk]
        history = review_history[pk]
        states = [row.state for row in history]
        earliest = review.program.created_at + DAY
        if review.state == LaunchReviewState.LAUNCHED:
            launched = _at(review.launch_date, 10 + rng.random() * 4)
            decided = _working(launched - rng.randint(2, 12) * DAY)
        elif review.state == LaunchReviewState.APPROVED:
            launched = None
            decided = min(_working(now - rng.randint(1, 12) * DAY), now - 3 * HOUR)
        else:
            launched = None
            decided = now - HOUR
        submitted_index = states.index("submitted") if "submitted" in states else None
        if submitted_index is None:
            submitted = None
            created = max(earliest, _working(now - rng.randint(6, 35) * DAY))
        else:
            back = rng.randint(3, 21) if review.state in ("submitted", "in_review") else 0
            submitted = _working((now - back * DAY) if back else decided - rng.randint(6, 20) * DAY)
            # A weekend moved onto Monday must not pass what follows it.
            submitted = min(submitted, (now if back else decided) - 6 * HOUR)
            submitted = max(submitted, earliest + 7 * DAY)
            created = max(earliest, submitted - rng.randint(7, 28) * DAY)
        answer_end = submitted or now - HOUR
        # Sign-offs: each area after its own wait, the last one (the decision) no later than
        # the decision time; open reviews' sign-offs before now.
        signs = sign_offs[pk]
        times: list[datetime.datetime] = []
        for sign_off in signs:
            wait = _wait(rng, AREA_WAIT_DAYS.get(sign_off.area, 2.0))
            times.append(_working((submitted or now) + wait))
        if times:
            latest = max(times)
            limit = decided if review.state in ("approved", "launched") else now - HOUR
            if latest > limit:
                # Only a submitted review has sign-offs.
                assert submitted is not None
                span = (limit - submitted).total_seconds()
                scale = span / max(1.0, (latest - submitted).total_seconds())
                times = [submitted + (t - submitted) * scale for t in times]
            for sign_off, moment in zip(signs, times, strict=True):
                sign_off.created_at = sign_off.updated_at = moment
                changed_sign_offs.append(sign_off)
            decided = max(times)
        first_date = review.launch_date
        if review.state == LaunchReviewState.LAUNCHED and rng.random() < 0.45:
            first_date = review.launch_date - rng.randint(4, 16) * DAY
        # The review's own history rows, by the state each one recorded.
        decision_time = None
        # None only for a state the review has not reached (then it has no row of it).
        when: datetime.datetime | None
        for row in history:
            if row.history_type == "+" or row.state == "draft":
                when = created
            elif row.state == "submitted":
                when = submitted
            elif row.state == "in_review":
                when = min(times) if times else submitted
            elif row.state in ("approved", "changes_requested"):
                when = decision_time = decided
            elif row.state == "launched":
                when = launched
            else:
                when = now - HOUR
            row.history_date = when
            row.created_at = created
            row.submitted_at = submitted if row.submitted_at else None
            row.decided_at = decision_time if row.decided_at else None
            row.launched_at = launched if row.launched_at else None
            row.launch_date = first_date if decision_time is None else review.launch_date
            changed_review_history.append(row)
        review.created_at = created
        review.updated_at = launched or decision_time or submitted or created
        review.submitted_at = submitted if review.submitted_at else None
        review.decided_at = decision_time if review.decided_at else None
        review.launched_at = launched if review.launched_at else None
        changed_reviews.append(review)
        # Answers: spread between the draft and the submission, in the order given.
        answered = [row for row in item_history[pk] if row.history_type == "~"]
        step = (answer_end - created) / (len(answered) + 1)
        for number, row in enumerate(answered, start=1):
            row.history_date = created + step * number
            row.answered_at = row.history_date
        for row in item_history[pk]:
            row.created_at = created
            if row.history_type == "+":
                row.history_date = created
            changed_item_history.append(row)
    stamps = ["created_at", "submitted_at", "decided_at", "launched_at"]
    LaunchReview.objects.bulk_update(changed_reviews, [*stamps, "updated_at"])
    _rewrite(changed_review_history)
    _rewrite(changed_item_history)
    # The items take their times from the history just written: one statement for them all.
    latest = (
        LaunchReviewItem.history.filter(id=OuterRef("pk"))
        .order_by("-history_date", "-history_id")
        .values("answered_at")[:1]
    )
    drafted = LaunchReview.objects.filter(pk=OuterRef("review_id")).values("created_at")[:1]
    LaunchReviewItem.objects.filter(review_id__in=ids).update(
        created_at=Subquery(drafted),
        answered_at=Subquery(latest),
        updated_at=Coalesce(Subquery(latest), Subquery(drafted)),
    )
    SignOff.objects.bulk_update(changed_sign_offs, ["created_at", "updated_at"])


def seed_past_launch_reviews(
    *,
    rng: random.Random,
    today: datetime.date,
    panel: dict[str, list[Any]],
    per_quarter: int,
    batch_size: int = 2000,
) -> int:
    """Launched reviews over the last four quarters (rows, items, sign-offs, history).

    A third get changes requested on one area, answered by reworking an item or two of it and
    resubmitting; a launch whose review ran past its date went out late, and a few slipped for
    reasons of their own.
    """
    templates = {
        template.tier: list(template.items.order_by("order", "id"))
        for template in ChecklistTemplate.objects.filter(active=True).prefetch_related("items")
    }
    if not templates:
        return 0
    programs = list(
        Program.objects.filter(
            confidential=False, phase__in=[Phase.DONE, Phase.LAUNCHING, Phase.EXECUTING]
        )
        .order_by("pk")
        .only("pk", "name", "slug", "tpm_id", "created_at")
    )
    if not programs:
        return 0
    pace = _reviewer_pace(panel)
    plans = []
    for quarter_number, start in enumerate(quarter_starts(today)):
        end = min(_quarter_end(start), today - 3 * DAY)
        if end <= start:
            continue
        for _ in range(per_quarter):
            decided_day = start + rng.randint(0, (end - start).days - 1) * DAY
            plans.append((QUARTER_PACE[quarter_number], decided_day, rng.choice(programs)))
    reviews: list[LaunchReview] = []
    timelines = []
    for quarter_pace, decided_day, program in plans:
        tier = rng.choice([tier for tier in (1, 2, 2, 3, 3) if tier in templates])
        template_items = templates[tier]
        areas = sorted({item.area for item in template_items if item.required})
        decided_goal = _at(decided_day, 11)
        # Walk back from the decision to the draft, so the decision lands in its quarter.
        waits = {area: _wait(rng, AREA_WAIT_DAYS.get(area, 2.0) * quarter_pace) for area in areas}
        reviewers = {area: rng.choice(panel[area]) for area in areas}
        waits = {area: wait * pace[reviewers[area].pk] for area, wait in waits.items()}
        changes_area = None
        if rng.random() < 0.35 and areas:
            candidates = [area for area in areas if area in CHANGES_WEIGHTS]
            changes_area = rng.choices(
                candidates, weights=[CHANGES_WEIGHTS[a] for a in candidates]
            )[0]
        rework = rng.randint(1, 4) * DAY if changes_area else datetime.timedelta(0)
        second_wait = _wait(rng, AREA_WAIT_DAYS.get(changes_area or "", 1.0) * quarter_pace)
        longest = max(waits.values(), default=DAY)
        total = max(
            longest, (waits[changes_area] + rework + second_wait) if changes_area else longest
        )
        submitted = _working(decided_goal - total)
        created = _working(submitted - rng.randint(10, 35) * DAY)
        if created < program.created_at + DAY:
            continue
        sign_times = {area: _working(submitted + waits[area]) for area in areas}
        resubmitted = approved_again = None
        if changes_area:
            resubmitted = _working(sign_times[changes_area] + rework)
            approved_again = _working(resubmitted + second_wait)
        decided = max([*sign_times.values(), approved_again or submitted])
        # The date first set: a week or three after the submission; a review still running
        # then pushed the launch out, and some slipped anyway.
        first_date = (submitted + rng.randint(7, 24) * DAY).date()
        launch_day = first_date
        if decided.date() >= first_date:
            launch_day = decided.date() + rng.randint(1, 4) * DAY
        elif rng.random() < 0.15:
            launch_day = first_date + rng.randint(3, 18) * DAY
        while launch_day.weekday() >= 5:
            launch_day += DAY
        if launch_day >= today:
            continue
        launched = _at(launch_day, 10 + rng.random() * 5)
        reviews.append(
            LaunchReview(
                program_id=program.pk,
                title=f"{program.name} — wave {rng.randint(1, 3)}",
                launch_date=launch_day,
                tier=tier,
                template_id=template_items[0].template_id,
                author_id=program.tpm_id,
                state=LaunchReviewState.LAUNCHED,
                submitted_at=resubmitted or submitted,
                decided_at=decided,
                launched_at=launched,
                created_at=created,
                updated_at=launched,
                version=8,
            )
        )
        timelines.append(
            (program, template_items, areas, reviewers, created, submitted, sign_times,
             changes_area, resubmitted, approved_again, decided, first_date, launched)
        )  # fmt: skip
    with explicit_timestamps(LaunchReview, LaunchReviewItem, SignOff):
        LaunchReview.objects.bulk_create(reviews, batch_size=batch_size)
        history = _History()
        items: list[LaunchReviewItem] = []
        item_steps: list[list[datetime.datetime]] = []
        sign_offs: list[SignOff] = []
        for review, timeline in zip(reviews, timelines, strict=True):
            (program, template_items, areas, reviewers, created, submitted, sign_times,
             changes_area, resubmitted, approved_again, decided, first_date, launched) = timeline  # fmt: skip
            author = program.tpm_id
            first: dict[str, Any] = {"submitted_at": None, "decided_at": None, "launched_at": None}
            history.add(review, when=created, user_id=author, kind="+", state="draft",
                        launch_date=first_date, **first)  # fmt: skip
            history.add(review, when=submitted, user_id=author, state="submitted",
                        launch_date=first_date, submitted_at=submitted, decided_at=None,
                        launched_at=None, reason="Submit")  # fmt: skip
            first_sign = min(sign_times.values(), default=submitted)
            first_area = min(sign_times, key=sign_times.__getitem__)
            history.add(review, when=first_sign, user_id=reviewers[first_area].pk,
                        state="in_review", launch_date=first_date, submitted_at=submitted,
                        decided_at=None, launched_at=None, reason="Start review")  # fmt: skip
            if changes_area:
                # Planned together with the area sent back.
                assert resubmitted is not None
                sent_back = sign_times[changes_area]
                history.add(review, when=sent_back, user_id=reviewers[changes_area].pk,
                            state="changes_requested", launch_date=first_date,
                            submitted_at=submitted, decided_at=sent_back, launched_at=None,
                            reason="Request changes")  # fmt: skip
                history.add(review, when=resubmitted, user_id=author, state="submitted",
                            launch_date=first_date, submitted_at=resubmitted,
                            decided_at=sent_back, launched_at=None, reason="Resubmit")  # fmt: skip
            last = resubmitted or submitted
            history.add(review, when=decided, user_id=reviewers[areas[-1]].pk if areas else author,
                        state="approved", launch_date=first_date, submitted_at=last,
                        decided_at=decided, launched_at=None, reason="Approve")  # fmt: skip
            if review.launch_date != first_date:
                history.add(review, when=_working(decided + HOUR), user_id=author,
                            state="approved", launch_date=review.launch_date, submitted_at=last,
                            decided_at=decided, launched_at=None)  # fmt: skip
            history.add(review, when=launched, user_id=author, reason="Mark launched")
            answer_span = (submitted - created) / (len(template_items) + 1)
            reworked = set()
            if changes_area:
                in_area = [item for item in template_items if item.area == changes_area]
                # The first questions of an area are the ones sent back most often.
                weights = [len(in_area) - n for n in range(len(in_area))]
                reworked = set(
                    id(item) for item in rng.choices(in_area, weights=weights, k=rng.randint(1, 2))
                )
            for number, template_item in enumerate(template_items, start=1):
                answered = template_item.required or rng.random() < 0.6
                answered_at = created + answer_span * number if answered else None
                item = LaunchReviewItem(
                    review=review, area=template_item.area, question=template_item.question,
                    guidance=template_item.guidance, required=template_item.required,
                    order=template_item.order,
                    status=AnswerStatus.DONE if answered else AnswerStatus.NOT_DONE,
                    evidence=[f"https://wiki.example.com/{program.slug}/{template_item.area}"]
                    if answered else [],
                    answered_by_id=author if answered else None, answered_at=answered_at,
                    created_at=created, updated_at=answered_at or created,
                )  # fmt: skip
                steps = [answered_at] if answered_at is not None else []
                if id(template_item) in reworked:
                    # Items are reworked only in the area sent back, which was resubmitted.
                    assert changes_area is not None and resubmitted is not None
                    reworked_at = _working(
                        sign_times[changes_area] + (resubmitted - sign_times[changes_area]) / 2
                    )
                    item.answered_at = item.updated_at = reworked_at
                    item.notes = "Updated after the review's comments."
                    steps.append(reworked_at)
                items.append(item)
                item_steps.append(steps)
            for area in areas:
                reviewer = reviewers[area]
                if area == changes_area:
                    # Planned together with the area sent back.
                    assert resubmitted is not None and approved_again is not None
                    sign_offs.append(SignOff(
                        review=review, area=area, reviewer=reviewer,
                        decision=SignOffDecision.CHANGES_REQUESTED,
                        comment=CHANGES_COMMENTS[area], superseded=True,
                        created_at=sign_times[area], updated_at=resubmitted,
                    ))  # fmt: skip
                    moment = approved_again
                else:
                    moment = sign_times[area]
                sign_offs.append(SignOff(
                    review=review, area=area, reviewer=reviewer,
                    decision=SignOffDecision.APPROVED, comment="Looks good.",
                    created_at=moment, updated_at=moment,
                ))  # fmt: skip
        LaunchReviewItem.objects.bulk_create(items, batch_size=batch_size)
        for item, steps in zip(items, item_steps, strict=True):
            created = item.created_at
            history.add(item, when=created, user_id=item.review.author_id, kind="+",
                        status=AnswerStatus.NOT_DONE, evidence=[], notes="",
                        answered_by_id=None, answered_at=None)  # fmt: skip
            for number, moment in enumerate(steps):
                final = number == len(steps) - 1
                history.add(item, when=moment, user_id=item.answered_by_id, answered_at=moment,
                            notes=item.notes if final else "")  # fmt: skip
        SignOff.objects.bulk_create(sign_offs, batch_size=batch_size)
        history.write(batch_size)
    return len(reviews)


# --- Capacity -------------------------------------------------------------------------------


def retime_capacity_requests(
    requests: Iterable[CapacityRequest], *, rng: random.Random, today: datetime.date
) -> None:
    """Move the current quarter's requests (just made by the services) back before ``today``:
    filed days or weeks ago, decided after days; some of those still submitted have waited
    past the council's threshold."""
    now = _at(today, 9)
    rows = list(requests)
    ids = [request.pk for request in rows]
    history = defaultdict(list)
    for row in CapacityRequest.history.filter(id__in=ids).order_by("history_id"):
        history[row.id].append(row)
    changed_history = []
    for request in rows:
        created = min(_working(now - rng.randint(4, 30) * DAY), now - 6 * HOUR)
        submitted = (
            _working(created + rng.randint(0, 2) * DAY + HOUR) if request.submitted_at else None
        )
        if submitted and submitted >= now - 2 * HOUR:
            submitted = created + (now - created) / 2
        decided = None
        if request.decided_at:
            # A request is decided only once submitted.
            assert submitted is not None
            decided = submitted if request.auto_approved else _working(submitted + _wait(rng, 3.0))
            decided = min(decided, now - HOUR)
        request.created_at, request.submitted_at, request.decided_at = created, submitted, decided
        request.updated_at = decided or submitted or created
        for row in history[request.pk]:
            row.created_at = created
            row.submitted_at = submitted if row.submitted_at else None
            row.decided_at = decided if row.decided_at else None
            row.history_date = {"draft": created, "submitted": submitted}.get(row.state, decided)
            changed_history.append(row)
    CapacityRequest.objects.bulk_update(
        rows, ["created_at", "submitted_at", "decided_at", "updated_at"]
    )
    _rewrite(changed_history)


def seed_past_capacity(
    *,
    rng: random.Random,
    today: datetime.date,
    requester: Any,
    council: Sequence[Any],
    budgets: dict[ResourceKind, int],
    thresholds: dict[ResourceKind, int],
    per_quarter: int,
    batch_size: int = 2000,
) -> int:
    """A year of decided requests: budgets per team and quarter, requests filed through each
    quarter, decided after days (at once when auto-approved), approved, cut, denied or approved
    over the budget with a reason, and fulfilled a week or two later."""
    teams = list(Team.objects.order_by("name")[:6])
    if not teams:
        return 0
    programs_of: dict[int, list[int]] = defaultdict(list)
    for team_id, program_id in (
        Program.teams.through.objects.filter(team__in=teams, program__confidential=False)
        .order_by("team_id", "program_id")
        .values_list("team_id", "program_id")
    ):
        programs_of[team_id].append(program_id)
    fallback = list(
        Program.objects.filter(confidential=False).order_by("pk").values_list("pk", flat=True)[:50]
    )
    # A slow team: its requests are bigger and argued longer.
    slow_team = teams[1].pk if len(teams) > 1 else teams[0].pk
    kinds = list(budgets)
    history = _History()
    budget_rows: list[CapacityBudget] = []
    requests: list[CapacityRequest] = []
    steps = []
    existing = set(CapacityBudget.objects.values_list("team_id", "quarter", "resource_kind"))
    with explicit_timestamps(CapacityBudget, CapacityRequest):
        for quarter_number, start in enumerate(quarter_starts(today)):
            quarter = quarter_of(start)
            set_on = _at(start - 10 * DAY, 10)
            for team in teams:
                for kind, amount in budgets.items():
                    if (team.pk, quarter, kind) in existing:
                        continue
                    budget_rows.append(CapacityBudget(
                        team=team, quarter=quarter, resource_kind=kind, amount=Decimal(amount),
                        created_at=set_on, updated_at=set_on,
                    ))  # fmt: skip
            granted: dict[tuple[int, ResourceKind], Decimal] = defaultdict(Decimal)
            end = min(_quarter_end(start), today - DAY)
            overridden = False
            for number in range(per_quarter):
                if (end - start).days < 3:
                    break
                team = rng.choices(teams, weights=TEAM_WEIGHTS[: len(teams)])[0]
                kind = rng.choices(kinds, weights=KIND_WEIGHTS[: len(kinds)])[0]
                small = kind in thresholds and rng.random() < 0.15
                asked = Decimal(
                    rng.randint(1, thresholds[kind])
                    if small
                    else round(budgets[kind] * rng.choice(ASK_SHARES))
                )
                filed = _at(
                    start + rng.randint(0, (end - start).days - 2) * DAY, 9 + rng.random() * 8
                )
                submitted = _working(filed + rng.random() * DAY)
                needed_by = min(
                    (submitted + rng.randint(14, 45) * DAY).date(), _quarter_end(start) - DAY
                )
                budget = Decimal(budgets[kind])
                headroom = budget - granted[(team.pk, kind)]
                # Every quarter has its override: the last request asks past the budget.
                forced = number == per_quarter - 1 and not overridden
                if forced:
                    small, asked = False, Decimal(round(headroom + budget * Decimal("0.15")))
                pace = QUARTER_PACE[quarter_number] * (2.2 if team.pk == slow_team else 1.0)
                decider = rng.choice(council)
                note, reason, auto = "Within plan.", "", False
                if small and asked <= headroom:
                    state, approved, auto, decider = (
                        CapacityRequestState.APPROVED,
                        asked,
                        True,
                        None,
                    )
                    decided = submitted
                    note = "Approved automatically: under the auto-approval threshold."
                else:
                    decided = _working(submitted + _wait(rng, 3.5 * pace) + HOUR)
                    roll = rng.random()
                    if asked > headroom:
                        if forced or roll < 0.45:
                            state, approved = CapacityRequestState.APPROVED, asked
                            reason = rng.choice(OVERRIDE_REASONS)
                            overridden = True
                        elif roll < 0.75 and headroom > 0:
                            state, approved = CapacityRequestState.PARTIALLY_APPROVED, headroom
                            note = "Approved what the budget has left."
                        else:
                            state, approved = CapacityRequestState.DENIED, None
                            note = rng.choice(DENIAL_NOTES)
                    elif roll < 0.12:
                        state, approved = CapacityRequestState.DENIED, None
                        note = rng.choice(DENIAL_NOTES)
                    elif roll < 0.32:
                        approved = (asked * Decimal(rng.choice((0.5, 0.6, 0.75)))).quantize(
                            Decimal(1)
                        )
                        state = CapacityRequestState.PARTIALLY_APPROVED
                        note = "Cut to what the load test supports."
                    else:
                        state, approved = CapacityRequestState.APPROVED, asked
                if decided >= _at(today, 8):
                    continue  # it would be decided only after today: not this demo's past
                if approved:
                    granted[(team.pk, kind)] += approved
                fulfilled = None
                if approved and rng.random() < 0.9:
                    fulfilled = _working(decided + _wait(rng, 6.0) + HOUR)
                    if fulfilled >= _at(today, 8):
                        fulfilled = None
                programs = programs_of.get(team.pk) or fallback
                request = CapacityRequest(
                    team=team, program_id=rng.choice(programs), requester=requester,
                    resource_kind=kind, amount=asked,
                    environment=rng.choice(["production", "production", "staging"]),
                    region=rng.choice(["eu-west-1", "us-east-1", "ap-south-1"]),
                    needed_by=needed_by, quarter=quarter,
                    justification="Launch traffic forecast plus 50% headroom.",
                    state=CapacityRequestState.FULFILLED if fulfilled else state,
                    approved_amount=approved, decision_note=note, override_reason=reason,
                    auto_approved=auto, decided_by=decider, submitted_at=submitted,
                    decided_at=decided, fulfilled_at=fulfilled, created_at=filed,
                    updated_at=fulfilled or decided, version=4 if fulfilled else 3,
                )  # fmt: skip
                requests.append(request)
                steps.append((filed, submitted, decided, state, fulfilled))
        CapacityBudget.objects.bulk_create(budget_rows, batch_size=batch_size)
        CapacityRequest.objects.bulk_create(requests, batch_size=batch_size)
    for budget_row in budget_rows:
        history.add(budget_row, when=budget_row.created_at, user_id=None, kind="+")
    undecided: dict[str, Any] = {
        "approved_amount": None, "decision_note": "", "override_reason": "",
        "auto_approved": False, "decided_by_id": None, "decided_at": None, "fulfilled_at": None,
    }  # fmt: skip
    for request, (filed, submitted, decided, state, fulfilled) in zip(requests, steps, strict=True):
        user = request.requester_id
        history.add(request, when=filed, user_id=user, kind="+", state="draft",
                    submitted_at=None, **undecided)  # fmt: skip
        history.add(request, when=submitted, user_id=user, state="submitted", **undecided)
        history.add(request, when=decided, user_id=request.decided_by_id or user, state=state,
                    fulfilled_at=None)  # fmt: skip
        if fulfilled:
            history.add(request, when=fulfilled, user_id=user)
    history.write(batch_size)
    return len(requests)


# --- Operational reviews --------------------------------------------------------------------


def seed_past_operational_reviews(
    *, rng: random.Random, today: datetime.date, weeks: int, items_per_review: int,
    batch_size: int = 2000,
) -> int:  # fmt: skip
    """The weekly reviews before last week's, closed, each with the action items it agreed
    and the decisions of its week; items close after one to six weeks (in a review, or by
    their owner between two), some carried over many reviews, and a few still open, overdue."""
    from reviews.ops.services import WEEKLY_TITLE

    monday = today - today.weekday() * DAY
    dates = [monday - weeks_back * 7 * DAY for weeks_back in range(weeks, 1, -1)]
    taken = set(
        OperationalReview.objects.filter(portfolio__isnull=True).values_list("date", flat=True)
    )
    dates = [day for day in dates if day not in taken]
    facilitators = list(
        User.objects.filter(groups__name=Role.TPM, is_active=True).order_by("username")[:4]
    )
    owners = list(
        User.objects.filter(groups__name__in=[Role.TPM, Role.ENGINEER], is_active=True)
        .order_by("username")
        .distinct()[:12]
    )
    programs = list(
        Program.objects.filter(confidential=False)
        .exclude(phase__in=[Phase.PROPOSED, Phase.CANCELLED])
        .order_by("pk")
        .values_list("pk", "name", "created_at")
    )
    if not dates or not facilitators or not owners or not programs:
        return 0
    history = _History()
    reviews = []
    for day in dates:
        started = _at(day, 10)
        facilitator = rng.choice(facilitators)
        reviews.append(OperationalReview(
            date=day, title=f"{WEEKLY_TITLE} — week of {day.day} {day:%b %Y}",
            state=OperationalReviewState.CLOSED, facilitator=facilitator,
            notes="Walked the agenda; action items below.",
            started_at=started, closed_at=started + HOUR,
            created_at=_at(day - 7 * DAY, 6), updated_at=started + HOUR, version=3,
        ))  # fmt: skip
    all_dates = sorted([*dates, *taken])
    items = []
    with explicit_timestamps(OperationalReview, ActionItem):
        OperationalReview.objects.bulk_create(reviews, batch_size=batch_size)
        by_date = {review.date: review for review in reviews}
        for review in reviews:
            # Built started and closed above.
            assert review.started_at is not None
            for _ in range(rng.randint(max(1, items_per_review - 1), items_per_review + 1)):
                candidates = [p for p in programs if p[2].date() < review.date]
                if not candidates:
                    break
                program_id, name, _created = rng.choice(candidates)
                due = review.date + rng.randint(5, 21) * DAY
                raised = review.started_at + rng.randint(5, 55) * datetime.timedelta(minutes=1)
                closed_at = closed_in = None
                if rng.random() > 0.06:  # a few are never closed: overdue, carried over since
                    closed_at = _working(raised + rng.uniform(7, 42) * DAY)
                    if closed_at >= _at(today, 8):
                        closed_at = None
                if closed_at and rng.random() < 0.7:
                    # Closed in the first review on or after the work was done.
                    meeting = next((d for d in all_dates if d >= closed_at.date()), None)
                    if meeting in by_date:
                        closed_in = by_date[meeting]
                        assert closed_in.started_at is not None  # built started above
                        closed_at = max(
                            closed_at,
                            closed_in.started_at + 30 * 60 * datetime.timedelta(seconds=1),
                        )
                owner = rng.choice(owners)
                items.append(ActionItem(
                    title=rng.choice(ACTION_TITLES).format(program=name), owner=owner,
                    due_date=due, program_id=program_id,
                    state=ActionItemState.DONE if closed_at else ActionItemState.OPEN,
                    created_in=review, closed_in=closed_in, created_by=review.facilitator,
                    closed_by=(closed_in.facilitator if closed_in else owner) if closed_at else None,
                    closed_at=closed_at, created_at=raised, updated_at=closed_at or raised,
                    version=2 if closed_at else 1,
                ))  # fmt: skip
        ActionItem.objects.bulk_create(items, batch_size=batch_size)
    for review in reviews:
        # Built started and closed above.
        assert review.started_at is not None and review.closed_at is not None
        history.add(review, when=review.created_at, user_id=None, kind="+",
                    state=OperationalReviewState.SCHEDULED, started_at=None, closed_at=None)  # fmt: skip
        history.add(review, when=review.started_at, user_id=review.facilitator_id,
                    state=OperationalReviewState.IN_PROGRESS, closed_at=None)  # fmt: skip
        history.add(review, when=review.closed_at, user_id=review.facilitator_id)
    for item in items:
        history.add(item, when=item.created_at, user_id=item.created_by_id, kind="+",
                    state=ActionItemState.OPEN, closed_in_id=None, closed_by_id=None,
                    closed_at=None)  # fmt: skip
        if item.closed_at:
            history.add(item, when=item.closed_at, user_id=item.closed_by_id)
    history.write(batch_size)
    # The decisions recorded in each review: the programs' decisions of its week.
    through = OperationalReview.decisions.through
    links = []
    week_of = {review.date: review for review in reviews}
    for decision_id, decided_on in (
        Decision.objects.filter(program__confidential=False, decided_on__gte=dates[0] - 6 * DAY)
        .order_by("pk")
        .values_list("pk", "decided_on")
    ):
        weekly = week_of.get(decided_on - decided_on.weekday() * DAY + 7 * DAY)
        if weekly is not None:
            links.append(through(operationalreview_id=weekly.pk, decision_id=decision_id))
    through.objects.bulk_create(links, batch_size=batch_size)
    return len(items)
