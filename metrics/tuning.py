"""Tuning the forecast from its own history (issue 15).

Each day's health snapshot stores the engine's forecast of the program's next critical
milestone, with the slip rate it was made from. Once milestones finish, those forecasts can be
scored against the day they finished (``metrics.insights.forecast_accuracy`` shows it). Where
the forecast did not beat the TPMs' own target dates, ``forecast_tune`` replays the year's
forecasts under other slip factors and keeps the one that erred least
(``health.tune_slip_factor``); the engine then uses it (``Policy.forecast_slip_factor``, read
by ``selectors.PolicyBook``), and the next scheduled recompute scores every program with it
(the factor is part of the policy every inputs digest is taken over).
"""

import datetime

from django.utils import timezone

from metrics import health
from metrics.insights.forecast_accuracy import forecast_samples
from metrics.models import ForecastTuning
from metrics.selectors import tuned_slip_factor

TUNING_WINDOW_DAYS = 365  # the finished milestones learned from: the last year's


def current_slip_factor() -> float:
    """The slip factor in force: the latest tuning's, or the engine's default."""
    factor = tuned_slip_factor()
    return health.Policy().forecast_slip_factor if factor is None else factor


def forecast_tune(*, now: datetime.datetime) -> ForecastTuning:
    """Tune the forecast's slip factor on the last year's finished critical milestones and
    record the run (kept factor or not, so the page can say when it last looked)."""
    today = timezone.localdate(now)
    since = today - datetime.timedelta(days=TUNING_WINDOW_DAYS)
    samples = forecast_samples(since=since, until=today + datetime.timedelta(days=1))
    found = health.tune_slip_factor(samples, current_slip_factor())
    return ForecastTuning.objects.create(
        ran_at=now,
        slip_factor=found.slip_factor,
        previous_factor=found.previous_factor,
        samples=found.samples,
        since=since,
        error_before=found.error_before,
        error_after=found.error_after,
        plan_error=found.plan_error,
        beat_plan=found.beat_plan,
    )
