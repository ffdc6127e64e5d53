"""Forecast accuracy: for milestones that have finished, how far Pulse's forecast was from the
day they finished, 30, 14 and 7 days before, against the TPM's target date at the same moments.

The history is the daily health snapshot's ``forecast`` (``metrics.services``): each day, the
program's next open critical milestone, its target date that day and the date the engine
forecast for it. So the milestones covered are the *critical* ones finished (``completed_date``)
in the quarter that were their program's next critical milestone on a snapshot at a horizon:
the latest snapshot in the ``SNAPSHOT_SLACK_DAYS`` up to ``completed_date - horizon`` (a day
the scheduled recompute missed does not drop a milestone). A milestone the engine forecast at
one horizon but not another (another critical milestone came first then) counts only where
it was forecast.

Errors are in days, signed as ``predicted - actual`` (negative: it finished later than said):
the mean absolute error (MAE) of the forecast and of the target at each horizon, their mean
signed error (bias), and how often each was the closer. The forecast *beats the plan* at a
horizon when its MAE is lower.

Where it does not, the weekly tuning (``metrics.tuning``) changes how much of a milestone's
slip rate the forecast carries forward; the page lists its latest runs (``tunings``).
"""

import datetime
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, DateField, ExpressionWrapper, F, IntegerField
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils import timezone

from metrics.health import ForecastSample, Policy
from metrics.insights.selectors import (
    QUARTER_KEYS,
    InsightsFilters,
    Quarter,
    quarter_of_field,
    scoped_programs,
)
from metrics.models import ForecastTuning, HealthSnapshot
from programs.models import Milestone

HORIZONS_DAYS = (30, 14, 7)
SNAPSHOT_SLACK_DAYS = 3


@dataclass(frozen=True)
class HorizonError:
    horizon_days: int
    snapshot_day: datetime.date
    target_date: datetime.date  # the TPM's target that day
    forecast_date: datetime.date  # Pulse's forecast that day
    plan_error_days: int  # target - actual
    forecast_error_days: int  # forecast - actual
    slip_rate: float | None = None  # the slip rate the forecast was made from (None: older)


@dataclass(frozen=True)
class MilestoneAccuracy:
    milestone_id: int
    milestone: str
    milestone_url: str
    program: str
    completed_on: datetime.date
    errors: list[HorizonError] = field(default_factory=list)  # the horizons it was forecast at

    def at(self, horizon: int) -> HorizonError | None:
        return next((e for e in self.errors if e.horizon_days == horizon), None)


@dataclass(frozen=True)
class HorizonAccuracy:
    horizon_days: int
    milestones: int
    forecast_mae: float | None
    plan_mae: float | None
    forecast_bias: float | None
    plan_bias: float | None
    forecast_closer: int  # milestones where the forecast was nearer the real date
    plan_closer: int
    beats_plan: bool | None  # None: nothing to compare

    @classmethod
    def of(cls, horizon: int, errors: Sequence[HorizonError]) -> "HorizonAccuracy":
        def mean(values: list[int]) -> float | None:
            return round(sum(values) / len(values), 2) if values else None

        forecast = [e.forecast_error_days for e in errors]
        plan = [e.plan_error_days for e in errors]
        forecast_mae = mean([abs(v) for v in forecast])
        plan_mae = mean([abs(v) for v in plan])
        return cls(
            horizon_days=horizon,
            milestones=len(errors),
            forecast_mae=forecast_mae,
            plan_mae=plan_mae,
            forecast_bias=mean(forecast),
            plan_bias=mean(plan),
            forecast_closer=sum(abs(f) < abs(p) for f, p in zip(forecast, plan, strict=True)),
            plan_closer=sum(abs(p) < abs(f) for f, p in zip(forecast, plan, strict=True)),
            beats_plan=None
            if forecast_mae is None or plan_mae is None
            else forecast_mae < plan_mae,
        )


@dataclass(frozen=True)
class ForecastQuarter:
    quarter: str
    finished: int  # critical milestones finished
    covered: int  # of those, forecast at one horizon at least
    horizons: list[HorizonAccuracy] = field(default_factory=list)

    def at(self, horizon: int) -> HorizonAccuracy:
        return next(h for h in self.horizons if h.horizon_days == horizon)


@dataclass(frozen=True)
class TuningRun:
    """One weekly tuning of the forecast (``metrics.tuning``), over every program."""

    ran_on: datetime.date
    samples: int
    previous_factor: float
    slip_factor: float
    error_before: float | None
    error_after: float | None
    plan_error: float | None
    beat_plan: bool | None


@dataclass(frozen=True)
class ForecastAccuracyInsights:
    quarter: str
    horizons_days: list[int]
    snapshot_slack_days: int
    finished: int
    covered: int
    horizons: list[HorizonAccuracy] = field(default_factory=list)
    milestones: list[MilestoneAccuracy] = field(default_factory=list)
    trend: list[ForecastQuarter] = field(default_factory=list)
    # The latest tunings, newest first; the first one's factor is in force (1.0 without any).
    tunings: list[TuningRun] = field(default_factory=list)

    @property
    def slip_factor(self) -> float:
        return self.tunings[0].slip_factor if self.tunings else Policy().forecast_slip_factor


TUNINGS_SHOWN = 8


def _tunings() -> list[TuningRun]:
    """The latest tunings (one query). They are of every program, whatever the filters: the
    slip factor is one for all, and its errors are numbers, naming no program."""
    return [
        TuningRun(ran_on=timezone.localdate(run.ran_at), **{
            name: getattr(run, name)
            for name in ("samples", "previous_factor", "slip_factor", "error_before",
                         "error_after", "plan_error", "beat_plan")
        })
        for run in ForecastTuning.objects.order_by("-ran_at", "-pk")[:TUNINGS_SHOWN]
    ]  # fmt: skip


def _forecast_snapshots(milestones: Any) -> dict[int, list[tuple[datetime.date, dict]]]:
    """The snapshots whose forecast names one of ``milestones`` within reach of a horizon
    before it finished, by milestone, oldest first (one query: each snapshot is joined to the
    milestone its forecast names, so only the days that matter are read)."""
    reach = datetime.timedelta(days=max(HORIZONS_DAYS) + SNAPSHOT_SLACK_DAYS)
    nearest = datetime.timedelta(days=min(HORIZONS_DAYS))
    finished_on = F("program__milestones__completed_date")
    rows = (
        HealthSnapshot.objects.filter(
            forecast__isnull=False, program__in=milestones.values("program")
        )
        .annotate(named=Cast(KT("forecast__milestone_id"), IntegerField()))
        # One filter() call: every condition below is on the same joined milestone.
        .filter(
            program__milestones__pk=F("named"),
            program__milestones__in=milestones.values("pk"),
            day__gte=ExpressionWrapper(finished_on - reach, output_field=DateField()),
            day__lte=ExpressionWrapper(finished_on - nearest, output_field=DateField()),
        )
        .order_by("day")
        .values_list("named", "day", "forecast")
    )
    found: dict[int, list[tuple[datetime.date, dict]]] = defaultdict(list)
    for milestone_id, day, forecast in rows:
        found[milestone_id].append((day, forecast or {}))
    return found


def _errors(
    completed: datetime.date, snapshots: list[tuple[datetime.date, dict]]
) -> list[HorizonError]:
    errors = []
    for horizon in HORIZONS_DAYS:
        moment = completed - datetime.timedelta(days=horizon)
        earliest = moment - datetime.timedelta(days=SNAPSHOT_SLACK_DAYS)
        within = [(day, f) for day, f in snapshots if earliest <= day <= moment]
        if not within:
            continue
        day, forecast = within[-1]
        target = datetime.date.fromisoformat(forecast["target_date"])
        forecast_date = datetime.date.fromisoformat(forecast["forecast_date"])
        errors.append(
            HorizonError(
                horizon_days=horizon,
                snapshot_day=day,
                target_date=target,
                forecast_date=forecast_date,
                plan_error_days=(target - completed).days,
                forecast_error_days=(forecast_date - completed).days,
                slip_rate=forecast.get("slip_rate"),
            )
        )
    return errors


def forecast_samples(*, since: datetime.date, until: datetime.date) -> list[ForecastSample]:
    """The forecasts made at each horizon of every critical milestone finished from ``since``
    up to ``until`` (excluded), in every program: what ``metrics.tuning`` learns from. Only
    forecasts that stored their slip rate can be replayed under another factor."""
    milestones = Milestone.objects.filter(
        critical=True, completed_date__gte=since, completed_date__lt=until
    )
    snapshots = _forecast_snapshots(milestones)
    samples: list[ForecastSample] = []
    for pk, completed in (
        milestones.filter(pk__in=list(snapshots)).order_by("pk").values_list("pk", "completed_date")
    ):
        if completed is None:  # filtered out above; says so to the type checker
            continue
        samples.extend(
            ForecastSample(e.horizon_days, e.snapshot_day, e.target_date, e.slip_rate, completed)
            for e in _errors(completed, snapshots[pk])
            if e.slip_rate is not None
        )
    return samples


def _horizons(accuracies: Sequence[MilestoneAccuracy]) -> list[HorizonAccuracy]:
    return [
        HorizonAccuracy.of(horizon, [e for m in accuracies if (e := m.at(horizon)) is not None])
        for horizon in HORIZONS_DAYS
    ]


def forecast_accuracy_insights(
    *, user: Any, filters: InsightsFilters, now: datetime.datetime
) -> ForecastAccuracyInsights:
    """Forecast against plan for the critical milestones finished in the chosen quarter, and
    the trend over four quarters. ``now`` is unused: the measures are of the past."""
    quarters = filters.quarter.trend()
    first, last = quarters[0].first_day, filters.quarter.next.first_day
    milestones = Milestone.objects.filter(
        program__in=scoped_programs(user=user, filters=filters).values("pk"),
        critical=True,
        completed_date__gte=first,
        completed_date__lt=last,
    )
    # At 10,000 programs tens of thousands of critical milestones finish in four quarters and
    # few were forecast: those are counted by PostgreSQL, only the forecast ones read.
    finished = {
        Quarter(row["in_year"], row["in_quarter"]): row["n"]
        for row in milestones.annotate(**quarter_of_field("completed_date"))
        .order_by()
        .values(*QUARTER_KEYS)
        .annotate(n=Count("pk"))
    }
    snapshots = _forecast_snapshots(milestones)
    covered: dict[Quarter, list[MilestoneAccuracy]] = defaultdict(list)
    for row in (
        milestones.filter(pk__in=list(snapshots))
        .order_by("completed_date", "pk")
        .values("pk", "name", "program__name", "program__slug", "completed_date")
    ):
        completed = row["completed_date"]
        if completed is None:  # filtered out above; says so to the type checker
            continue
        errors = _errors(completed, snapshots[row["pk"]])
        if not errors:  # forecast only outside every horizon's slack: finished, not covered
            continue
        covered[Quarter.of(completed)].append(
            MilestoneAccuracy(
                milestone_id=row["pk"],
                milestone=row["name"],
                milestone_url=reverse("programs:detail", kwargs={"slug": row["program__slug"]})
                + f"#milestone-{row['pk']}",
                program=row["program__name"],
                completed_on=completed,
                errors=errors,
            )
        )
    trend = [
        ForecastQuarter(
            quarter=str(each),
            finished=finished.get(each, 0),
            covered=len(covered.get(each, [])),
            horizons=_horizons(covered.get(each, [])),
        )
        for each in quarters
    ]
    this = trend[-1]
    return ForecastAccuracyInsights(
        quarter=str(filters.quarter),
        horizons_days=list(HORIZONS_DAYS),
        snapshot_slack_days=SNAPSHOT_SLACK_DAYS,
        finished=this.finished,
        covered=this.covered,
        horizons=this.horizons,
        milestones=covered.get(filters.quarter, []),
        trend=trend,
        tunings=_tunings(),
    )
