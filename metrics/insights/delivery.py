"""Delivery measured: who slips, by how much, why, and which teams wait on each other.

- *slips*: moves in the milestones' date-change ledger to a later date (``to_date >
  from_date``), counted in the quarter they were recorded, with the days they added; per team
  (the team that owned the milestone when it moved) and per quarter;
- *reasons*: every move of the quarter (later or earlier) by the category chosen when moving it;
- *waiting between teams*: a dependency of one team's milestone on another team's. The upstream
  milestone is late when it was not finished by its baseline (the date the plan, and the
  dependant's plan, were agreed on); the dependant waits from that baseline until the upstream
  finished (today while it is open), and no longer than until the dependant itself finished.
  The days of waiting that fall in the quarter (up to today) are summed per pair of teams.

Milestones count through their program (a confidential program's only for those who may see
it); an upstream milestone only when its program is visible to the reader too. The team filter
applies to the milestone's owning team (either side of a dependency).
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import Any

from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, Sum
from django.utils import timezone

from metrics.insights.selectors import (
    QUARTER_KEYS,
    InsightsFilters,
    quarter_of_field,
    scoped_programs,
    share,
)
from programs.models import (
    OPEN_MILESTONE_STATES,
    Milestone,
    MilestoneDateChange,
    MilestoneState,
    MoveCategory,
)
from programs.selectors import visible_programs

NO_TEAM = "No owning team"
CATEGORY_LABELS = dict(MoveCategory.choices)


@dataclass(frozen=True)
class Slips:
    moves: int = 0  # every move, earlier ones included
    slips: int = 0  # moves to a later date
    days: int = 0  # the days the slips added

    @property
    def days_per_slip(self) -> float | None:
        return round(self.days / self.slips, 1) if self.slips else None

    def __add__(self, other: "Slips") -> "Slips":
        return Slips(self.moves + other.moves, self.slips + other.slips, self.days + other.days)


@dataclass(frozen=True)
class DeliveryQuarter:
    quarter: str
    slips: Slips


@dataclass(frozen=True)
class TeamSlips:
    team: str
    slips: Slips  # in the chosen quarter
    by_quarter: list[int]  # slips in each quarter of the trend, oldest first


@dataclass(frozen=True)
class ReasonCount:
    category: str
    label: str
    slips: Slips
    moves_share: float | None


@dataclass(frozen=True)
class TeamWait:
    waiting_team: str
    upstream_team: str
    dependencies: int  # dependencies that waited in the quarter
    days: int


@dataclass(frozen=True)
class DeliveryInsights:
    quarter: str
    slips: Slips
    teams: list[TeamSlips] = field(default_factory=list)
    reasons: list[ReasonCount] = field(default_factory=list)
    waits: list[TeamWait] = field(default_factory=list)
    trend: list[DeliveryQuarter] = field(default_factory=list)


def delivery_insights(
    *, user: Any, filters: InsightsFilters, now: datetime.datetime
) -> DeliveryInsights:
    """The delivery measures of the chosen quarter, and the trend over four quarters."""
    today = timezone.localdate(now)
    # The team filter is the owning team (of the milestone, when it moved), not every team on
    # the program.
    programs = scoped_programs(user=user, filters=replace(filters, team="")).values("pk")
    # The program and owning team kept on each move (when it moved): no join of a year's
    # moves to every milestone.
    moves = MilestoneDateChange.objects.filter(program__in=programs)
    if filters.team:
        moves = moves.filter(owner_team__slug=filters.team)
    start, end = filters.window
    quarters = filters.quarter.trend()
    keys = [(q.year, q.number) for q in quarters]
    later = Q(to_date__gt=F("from_date"))
    moved = ExpressionWrapper(F("to_date") - F("from_date"), output_field=DurationField())
    rows = (
        moves.filter(changed_at__gte=start, changed_at__lt=end)
        .annotate(**quarter_of_field("changed_at"))
        .order_by()
        .values(*QUARTER_KEYS, "owner_team__name", "category")
        .annotate(moves=Count("pk"), slips=Count("pk", filter=later), days=Sum(moved, filter=later))
    )
    by_quarter: dict[tuple[int, int], Slips] = defaultdict(Slips)
    by_team: dict[str, dict[tuple[int, int], Slips]] = defaultdict(lambda: defaultdict(Slips))
    by_category: dict[str, Slips] = defaultdict(Slips)
    this_key = keys[-1]
    for row in rows:
        key = (row["in_year"], row["in_quarter"])
        counted = Slips(row["moves"], row["slips"], row["days"].days if row["days"] else 0)
        by_quarter[key] += counted
        by_team[row["owner_team__name"] or NO_TEAM][key] += counted
        if key == this_key:
            by_category[row["category"]] += counted
    this = by_quarter[this_key]
    teams = [
        TeamSlips(
            team=team, slips=quarters_of[this_key], by_quarter=[quarters_of[k].slips for k in keys]
        )
        for team, quarters_of in by_team.items()
        if any(quarters_of[k].slips for k in keys)
    ]
    teams.sort(key=lambda t: (-t.slips.days, -t.slips.slips, -sum(t.by_quarter), t.team))
    reasons = [
        ReasonCount(
            category=category,
            label=CATEGORY_LABELS.get(category, category),
            slips=counted,
            moves_share=share(counted.moves, this.moves),
        )
        for category, counted in by_category.items()
    ]
    reasons.sort(key=lambda r: (-r.slips.moves, -r.slips.days, r.label))
    return DeliveryInsights(
        quarter=str(filters.quarter),
        slips=this,
        teams=teams,
        reasons=reasons,
        waits=_waits(user=user, filters=filters, programs=programs, today=today),
        trend=[
            DeliveryQuarter(quarter=str(q), slips=by_quarter[k])
            for q, k in zip(quarters, keys, strict=True)
        ],
    )


def _waits(
    *, user: Any, filters: InsightsFilters, programs: Any, today: datetime.date
) -> list[TeamWait]:
    first = filters.quarter.first_day
    last = min(filters.quarter.next.first_day, today)  # days counted: [first, last)
    if last <= first:
        return []
    cancelled = MilestoneState.CANCELLED
    edges = (
        Milestone.depends_on.through.objects.filter(
            from_milestone__program__in=programs,
            to_milestone__program__in=visible_programs(user).values("pk"),
            from_milestone__owner_team__isnull=False,
            to_milestone__owner_team__isnull=False,
            # Late, and still late on the quarter's first day or after.
            to_milestone__baseline_date__lt=last,
        )
        .filter(
            Q(to_milestone__state__in=OPEN_MILESTONE_STATES)
            | (
                Q(to_milestone__completed_date__gt=F("to_milestone__baseline_date"))
                & Q(to_milestone__completed_date__gt=first)
            )
        )
        .exclude(from_milestone__owner_team=F("to_milestone__owner_team"))
        .exclude(Q(from_milestone__state=cancelled) | Q(to_milestone__state=cancelled))
    )
    if filters.team:
        edges = edges.filter(
            Q(from_milestone__owner_team__slug=filters.team)
            | Q(to_milestone__owner_team__slug=filters.team)
        )
    pairs: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for waiting, upstream, baseline, finished, dependant_finished in edges.values_list(
        "from_milestone__owner_team__name",
        "to_milestone__owner_team__name",
        "to_milestone__baseline_date",
        "to_milestone__completed_date",
        "from_milestone__completed_date",
    ):
        until = min(d for d in (finished, dependant_finished, last) if d is not None)
        days = (until - max(baseline, first)).days
        if days > 0:
            pairs[(waiting, upstream)][0] += 1
            pairs[(waiting, upstream)][1] += days
    waits = [
        TeamWait(waiting_team=w, upstream_team=u, dependencies=n, days=d)
        for (w, u), (n, d) in pairs.items()
    ]
    waits.sort(key=lambda t: (-t.days, -t.dependencies, t.waiting_team, t.upstream_team))
    return waits
