"""What every insights section shares: its filters, the quarters it reads, the programs it may
count, and durations summarised as median and 90th percentile.

Percentiles are computed by the database where it can (``percentile_cont`` on PostgreSQL, one
GROUP BY query); SQLite has no such aggregate, so there the same single query fetches the
values and Python interpolates them the way ``percentile_cont`` does. Either way a section's
query count does not depend on the data size.
"""

import datetime
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import (
    Aggregate,
    Count,
    Exists,
    Expression,
    FloatField,
    Func,
    OuterRef,
    QuerySet,
)
from django.db.models.functions import ExtractQuarter, ExtractYear
from django.utils import timezone

from core.roles import Role, has_role, sees_everything
from programs.models import Portfolio, Program, Team
from programs.selectors import visible_programs

TREND_QUARTERS = 4
SECONDS_PER_DAY = 86400.0
_QUARTER = re.compile(r"^(?P<year>\d{4})-Q(?P<q>[1-4])$")


def may_read_insights(user: Any) -> bool:
    """TPMs, leadership and admins read the insights; everyone else is refused (403)."""
    return sees_everything(user) or has_role(user, Role.TPM)


# --- Quarters -------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    number: int  # 1 to 4

    @classmethod
    def of(cls, day: datetime.date) -> "Quarter":
        return cls(day.year, (day.month - 1) // 3 + 1)

    @classmethod
    def parse(cls, text: str) -> "Quarter | None":
        """ "2026-Q3" → Quarter(2026, 3); anything else → None."""
        match = _QUARTER.match(text or "")
        return cls(int(match["year"]), int(match["q"])) if match else None

    def __str__(self) -> str:
        return f"{self.year}-Q{self.number}"

    @property
    def first_day(self) -> datetime.date:
        return datetime.date(self.year, 3 * self.number - 2, 1)

    @property
    def next(self) -> "Quarter":
        return (
            Quarter(self.year + 1, 1) if self.number == 4 else Quarter(self.year, self.number + 1)
        )

    @property
    def previous(self) -> "Quarter":
        return (
            Quarter(self.year - 1, 4) if self.number == 1 else Quarter(self.year, self.number - 1)
        )

    @property
    def start(self) -> datetime.datetime:
        """Its first instant in the site's time zone (quarters are read as people live them)."""
        return timezone.make_aware(datetime.datetime.combine(self.first_day, datetime.time.min))

    @property
    def end(self) -> datetime.datetime:
        """The first instant of the next quarter (windows are half-open)."""
        return self.next.start

    def trend(self, count: int = TREND_QUARTERS) -> list["Quarter"]:
        """This quarter and the ``count - 1`` before it, oldest first."""
        quarters = [self]
        while len(quarters) < count:
            quarters.insert(0, quarters[0].previous)
        return quarters


# --- Filters --------------------------------------------------------------------------------


@dataclass(frozen=True)
class InsightsFilters:
    """What every insights page and endpoint is narrowed by (the query string)."""

    quarter: Quarter
    portfolio: str = ""  # a portfolio's slug
    team: str = ""  # a team's slug

    @property
    def window(self) -> tuple[datetime.datetime, datetime.datetime]:
        """The trend's span: the chosen quarter and the three before it."""
        quarters = self.quarter.trend()
        return quarters[0].start, quarters[-1].end

    def query(self) -> dict[str, str]:
        """The filters as query-string parameters (links, CSV downloads)."""
        params = {"quarter": str(self.quarter)}
        params.update({k: v for k, v in (("portfolio", self.portfolio), ("team", self.team)) if v})
        return params


def current_quarter(today: datetime.date | None = None) -> Quarter:
    return Quarter.of(today or timezone.localdate())


def filter_choices() -> tuple[list[Portfolio], list[Team]]:
    """The portfolios and teams the filter bar offers (their names are not confidential)."""
    return list(Portfolio.objects.only("name", "slug")), list(Team.objects.only("name", "slug"))


def scoped_programs(*, user: Any, filters: InsightsFilters) -> QuerySet[Program]:
    """The programs whose records a section counts: those the user may see (a confidential
    program only for its members and leadership), in the chosen portfolio and team; every
    phase, since the history of a finished program still counts."""
    programs = visible_programs(user)
    if filters.portfolio:
        programs = programs.filter(portfolio__slug=filters.portfolio)
    if filters.team:
        programs = programs.filter(
            Exists(
                Program.teams.through.objects.filter(
                    program=OuterRef("pk"), team__slug=filters.team
                )
            )
        )
    return programs


# --- Durations and percentiles --------------------------------------------------------------


class Seconds(Func):
    """``end - start`` in seconds, as a float, for two datetime expressions."""

    output_field = FloatField()
    arg_joiner = " - "
    template = "CAST(EXTRACT(EPOCH FROM (%(expressions)s)) AS double precision)"

    def __init__(self, end: Any, start: Any, **extra: Any) -> None:
        super().__init__(end, start, **extra)

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        # SQLite stores datetimes as ISO text, which julianday() reads (in days).
        return self.as_sql(
            compiler,
            connection,
            template="((julianday(%(expressions)s)) * 86400.0)",
            arg_joiner=") - julianday(",
            **extra_context,
        )


class PercentileCont(Aggregate):
    """PostgreSQL's ``percentile_cont(fraction) WITHIN GROUP (ORDER BY value)``."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression: Any, *, fraction: float, **extra: Any) -> None:
        # A constant of ours, not user input: safe to place in the SQL text.
        super().__init__(expression, fraction=repr(float(fraction)), **extra)


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """The ``fraction`` percentile of ``values``, interpolated linearly between the two nearest
    ranks, as ``percentile_cont`` does; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass(frozen=True)
class Spread:
    """How long something took: how many, the median and the 90th percentile, in days."""

    count: int = 0
    median_days: float | None = None
    p90_days: float | None = None

    @classmethod
    def of_seconds(cls, values: Sequence[float]) -> "Spread":
        return cls.from_seconds(len(values), percentile(values, 0.5), percentile(values, 0.9))

    @classmethod
    def from_seconds(cls, count: int, median: float | None, p90: float | None) -> "Spread":
        def days(seconds: float | None) -> float | None:
            return None if seconds is None else round(seconds / SECONDS_PER_DAY, 2)

        return cls(count=count, median_days=days(median), p90_days=days(p90))


def spreads_by(
    queryset: QuerySet[Any],
    *,
    values: Mapping[str, Expression | Func],
    group: Mapping[str, Any],
) -> dict[tuple[Any, ...], dict[str, Spread]]:
    """For each group of ``queryset`` (``group``: names → expressions or field paths), the
    spread of each of ``values`` (names → expressions in seconds; NULLs are left out).

    One query: percentile_cont per group on PostgreSQL; elsewhere the raw values, summarised
    in Python.
    """
    names = list(group)
    annotated = queryset.annotate(
        **{f"_g_{name}": expression for name, expression in group.items()},
        **{f"_v_{name}": expression for name, expression in values.items()},
    )
    group_keys = [f"_g_{name}" for name in names]
    result: dict[tuple[Any, ...], dict[str, Spread]] = {}
    if connection.vendor == "postgresql":
        aggregates: dict[str, Any] = {}
        for name in values:
            aggregates[f"n_{name}"] = Count(f"_v_{name}")
            aggregates[f"p50_{name}"] = PercentileCont(f"_v_{name}", fraction=0.5)
            aggregates[f"p90_{name}"] = PercentileCont(f"_v_{name}", fraction=0.9)
        rows = annotated.order_by().values(*group_keys).annotate(**aggregates)
        for row in rows:
            key = tuple(row[k] for k in group_keys)
            result[key] = {
                name: Spread.from_seconds(row[f"n_{name}"], row[f"p50_{name}"], row[f"p90_{name}"])
                for name in values
            }
        return result
    collected: dict[tuple[Any, ...], dict[str, list[float]]] = defaultdict(
        lambda: {name: [] for name in values}
    )
    value_keys = [f"_v_{name}" for name in values]
    for row in annotated.order_by().values_list(*group_keys, *value_keys):
        key, measured = tuple(row[: len(names)]), row[len(names) :]
        for name, value in zip(values, measured, strict=True):
            if value is not None:
                collected[key][name].append(float(value))
    for key, by_name in collected.items():
        result[key] = {name: Spread.of_seconds(found) for name, found in by_name.items()}
    return result


# The names ``quarter_of_field`` annotates (a model may have a field named "quarter").
QUARTER_KEYS = ("in_year", "in_quarter")


def quarter_of_field(field: str) -> dict[str, Any]:
    """The group expressions that put a row in the quarter of its datetime ``field``."""
    return dict(zip(QUARTER_KEYS, (ExtractYear(field), ExtractQuarter(field)), strict=True))


def share(part: int, whole: int) -> float | None:
    """``part / whole`` rounded to a thousandth; None when there is nothing to divide."""
    return round(part / whole, 3) if whole else None
