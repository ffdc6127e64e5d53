"""Reads for the health engine and the health pages.

``ChunkInputs`` loads everything the engine needs for a chunk of programs with a fixed number
of queries (one per table), whatever the chunk's size: no query per program or milestone.
"""

import dataclasses
import datetime
import typing
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, NamedTuple, cast

import orjson
from django.db.models import (
    BooleanField,
    Count,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Window,
)
from django.db.models.expressions import BaseExpression
from django.db.models.functions import Coalesce, RowNumber, TruncDate
from django.utils import timezone

from core.queries import fetch_rows, ids_q, json_lists_by
from metrics.health import (
    LaunchInput,
    MetricInput,
    MilestoneInput,
    Policy,
    ProgramInput,
    RiskInput,
    UpstreamInput,
    slip_days,
)
from metrics.models import (
    Direction,
    ForecastTuning,
    HealthPolicy,
    HealthSnapshot,
    MetricReading,
    SuccessMetric,
)
from programs.models import (
    OPEN_MILESTONE_STATES,
    Milestone,
    MilestoneState,
    Program,
    Risk,
    StatusUpdate,
)
from reviews.launch.selectors import launch_readiness_rows
from reviews.models import LaunchReviewState

# Programs per chunk of a full recompute: memory stays bounded however many programs there are.
CHUNK_SIZE = 1000

_depends_on = Milestone.depends_on.through


def _troubled(today: datetime.date, *, dependant_target) -> Q:
    """``health.upstream_is_trouble`` on dependency rows: the upstream milestone is open and
    overdue or due after its dependant."""
    return Q(to_milestone__state__in=OPEN_MILESTONE_STATES) & (
        Q(to_milestone__target_date__lt=today) | Q(to_milestone__target_date__gt=dependant_target)
    )


def _troubled_dependencies(ids: Iterable[int], today: datetime.date) -> QuerySet:
    """Dependency rows of the programs' open milestones on troubled upstream milestones, in a
    fixed order (a milestone's upstream list is part of its inputs)."""
    return _depends_on.objects.filter(
        _troubled(today, dependant_target=F("from_milestone__target_date")),
        ids_q("from_milestone__program_id", ids),
        from_milestone__state__in=OPEN_MILESTONE_STATES,
    ).order_by("from_milestone_id", "to_milestone_id")


class Reach(NamedTuple):
    """How far ahead, and from how many pushes, a milestone may fire a signal of its own under
    any of the policies in force (``PolicyBook.reach``): the selector lists every milestone that
    is notable under one of them, a superset the engine grades exactly like the full list."""

    start_window_days: int = Policy.critical_start_window_days
    pushes: int = Policy.pushes_watch


DEFAULT_REACH = Reach()


def _notable_milestones(
    ids: Iterable[int], today: datetime.date, *, waiting: Iterable[int], reach: Reach
) -> QuerySet[Milestone]:
    """The chunk's milestones that ``health.summarise`` would list, found in SQL.

    Open and overdue, pushed more than once, critical and due soon but not started, waiting on
    a troubled upstream milestone (``waiting``: their ids, already loaded with the
    dependencies), or the next open critical one (the forecast's subject); ordered as the
    program page lists them. Each test is a set computed once for the chunk (PostgreSQL hashes
    it) or a column, not a subquery per row.
    """
    first_critical = (
        Milestone.objects.filter(
            ids_q("program_id", ids), critical=True, state__in=OPEN_MILESTONE_STATES
        )
        .annotate(
            rank=Window(RowNumber(), partition_by=F("program_id"), order_by=(F("target_date"), F("pk")))
        )
        .filter(rank=1)
        .values("pk")
    )  # fmt: skip
    soon = today + datetime.timedelta(days=reach.start_window_days)
    return (
        Milestone.objects.filter(ids_q("program_id", ids), state__in=OPEN_MILESTONE_STATES)
        .filter(
            Q(target_date__lt=today)
            | Q(pk__in=list(waiting))
            | Q(times_moved__gte=reach.pushes)
            | Q(critical=True, state=MilestoneState.PLANNED, target_date__lte=soon)
            | Q(pk__in=first_critical)
        )
        .order_by("program_id", "pk")
    )


class _Counts(NamedTuple):
    slip: int  # days, summed over milestones not cancelled (pulled in: 0)
    open: int
    counted: int  # milestones not cancelled (named so as not to hide tuple.count)


def _milestone_counts(ids: Iterable[int]) -> dict[int, _Counts]:
    """Per program: the summed slip against baselines, and how many milestones are open and
    not cancelled, in one aggregate query."""
    counted = ~Q(state=MilestoneState.CANCELLED)
    rows = (
        Milestone.objects.filter(ids_q("program_id", ids))
        .values("program_id")
        .annotate(
            slip=Sum(
                F("target_date") - F("baseline_date"),
                filter=counted & Q(target_date__gt=F("baseline_date")),
            ),
            open=Count("pk", filter=Q(state__in=OPEN_MILESTONE_STATES)),
            count=Count("pk", filter=counted),
        )
        .values_list("program_id", "slip", "open", "count")
    )
    return {
        program_id: _Counts(slip.days if slip else 0, open_count, count)
        for program_id, slip, open_count, count in fetch_rows(rows)
    }


def _programs_with_dependencies(ids: Iterable[int]) -> set[int]:
    """The programs one of whose milestones waits on another (any program)."""
    rows = (
        _depends_on.objects.filter(ids_q("from_milestone__program_id", ids))
        .values_list("from_milestone__program_id", flat=True)
        .distinct()
    )
    return set(rows)


# A day as JSON gives it ("2026-11-25"); called directly, not wrapped, as it runs a few hundred
# thousand times in a full recompute.
_day = datetime.date.fromisoformat


class EngineInput:
    """How one of the engine's input records is read: each of its fields from the column of
    the same name, or from the column or expression ``columns`` names; ``supplied`` fields
    come from elsewhere (another part, the group's key), and ``lead`` columns come first in a
    row without being fields (what the loader groups rows by).

    The one declaration of a record's columns: the queryset's columns, the order of a row and
    the conversion of its JSON values (dates, floats: from the record's annotations) all follow
    from it, so a new engine input is a field added to the engine's record, plus a line here
    when its column has another name.
    """

    def __init__(
        self,
        record: type,
        columns: dict[str, str | BaseExpression] | None = None,
        *,
        supplied: tuple[str, ...] = (),
        lead: tuple[str, ...] = (),
    ) -> None:
        columns = columns or {}
        if dataclasses.is_dataclass(record):
            names = [f.name for f in dataclasses.fields(record)]
        else:
            names = list(typing.cast(Any, record)._fields)  # a NamedTuple
        unknown = (set(columns) | set(supplied)) - set(names)
        if unknown:
            raise ValueError(f"{record.__name__} has no field {', '.join(sorted(unknown))}")
        self.record = record
        self.fields = tuple(name for name in names if name not in supplied)
        # Expressions are annotated under a name of their own: no clash with a model's field.
        self.annotations = {
            f"input_{name}": expression
            for name, expression in columns.items()
            if not isinstance(expression, str)
        }
        self.columns = (*lead, *(_column(name, columns) for name in self.fields))
        hints = typing.get_type_hints(record)
        at = {name: len(lead) + i for i, name in enumerate(self.fields)}
        self.dates = tuple(at[name] for name in self.fields if _holds(hints[name], datetime.date))
        self.floats = tuple(at[name] for name in self.fields if _holds(hints[name], float))

    def rows(self, text: str | None) -> list[list]:
        """A part's JSON text as rows with Python values (dates parsed, floats as floats)."""
        if not text:
            return []
        rows = orjson.loads(text)
        dates, floats = self.dates, self.floats
        for row in rows:
            for i in dates:
                if (value := row[i]) is not None:
                    row[i] = _day(value)
            for i in floats:
                if (value := row[i]) is not None:
                    row[i] = float(value)
        return rows


def _column(name: str, columns: dict[str, str | BaseExpression]) -> str:
    column = columns.get(name, name)
    return column if isinstance(column, str) else f"input_{name}"


def _holds(hint: object, kind: type) -> bool:
    """Whether a field annotated ``hint`` holds ``kind`` (``kind`` or ``kind | None``)."""
    return hint is kind or kind in typing.get_args(hint)


# The engine's inputs, one declaration each (see ``EngineInput``). Days are local days, worked
# out by the database (TruncDate in the current time zone).
_latest_health = (
    StatusUpdate.objects.filter(program=OuterRef("pk"))
    .order_by("-created_at", "-id")
    .values("reported_health")[:1]
)
_latest_reading = MetricReading.objects.filter(metric=OuterRef("pk")).order_by(
    "-measured_on", "-id"
)
PROGRAM_INPUT = EngineInput(
    ProgramInput,
    {
        "created_on": TruncDate("created_at"),
        "last_update_on": TruncDate("last_update_at"),
        "reported_health": Subquery(_latest_health),
        "plan_awaiting_since": TruncDate("plan__awaiting_since"),
        "plan_awaiting": Coalesce("plan__awaiting", 0),
    },
    # The key, and what the other parts and the counts give.
    supplied=("id", "milestones", "risks", "metrics", "launches", "unlisted_slip_days",
              "unlisted_open", "unlisted_count", "has_dependencies"),
)  # fmt: skip
UPSTREAM_INPUT = EngineInput(
    UpstreamInput,
    {
        "id": "to_milestone_id",
        "name": "to_milestone__name",
        "program_name": "to_milestone__program__name",
        "target_date": "to_milestone__target_date",
        "state": "to_milestone__state",
        "critical": "to_milestone__critical",
    },
    lead=("from_milestone_id",),  # the milestone that waits
)
MILESTONE_INPUT = EngineInput(
    MilestoneInput,
    {"planned_on": TruncDate("created_at")},  # the baseline was agreed on its creation day
    supplied=("upstream",),
)
RISK_INPUT = EngineInput(RiskInput)
METRIC_INPUT = EngineInput(
    MetricInput,
    {
        "higher_is_better": ExpressionWrapper(
            Q(direction=Direction.INCREASE), output_field=BooleanField()
        ),
        "latest_value": Subquery(_latest_reading.values("value")[:1]),
        "latest_at": Subquery(_latest_reading.values("measured_on")[:1]),
    },
)
LAUNCH_INPUT = EngineInput(
    LaunchInput,
    {
        "name": "title",
        "approved": ExpressionWrapper(
            Q(state=LaunchReviewState.APPROVED), output_field=BooleanField()
        ),
        "open_required_items": "open_required",
    },
)


def _json_lists(
    queryset: QuerySet, key: str, engine_input: EngineInput, order: Sequence[str]
) -> dict[int, str]:
    """``core.queries.json_lists_by`` of an engine input's columns."""
    return json_lists_by(
        queryset.annotate(**engine_input.annotations), key, engine_input.columns, order
    )


class ChunkInputs:
    """The engine's inputs for a chunk of programs as the database sent them, in eight queries.

    Per program, each part (its row, its milestones, risks...: ``parts``) arrives as the text
    of a JSON list (``core.queries.json_lists_by``) of the columns its ``EngineInput``
    declares. ``fingerprint`` joins those texts, so telling whether a program's inputs changed
    since they were last scored costs a hash, not the building of its rows; ``program_input``
    parses them into the engine's ``ProgramInput`` for the programs that are scored.

    Only notable milestones are listed (``health.summarise``: typically a fifth of them); the
    others arrive as counts (their slip, how many are open), worked out from totals in SQL.
    """

    def __init__(
        self, program_ids: Iterable[int], *, today: datetime.date, reach: Reach = DEFAULT_REACH
    ) -> None:
        ids = program_ids if isinstance(program_ids, range) else list(program_ids)
        programs = _json_lists(Program.objects.filter(ids_q("pk", ids)), "id", PROGRAM_INPUT, ())
        # Only troubled upstream milestones of open ones: the others cost nothing.
        upstream = _json_lists(
            _troubled_dependencies(ids, today),
            "from_milestone__program_id",
            UPSTREAM_INPUT,
            ("from_milestone_id", "to_milestone_id"),  # a milestone's upstream list is an input
        )
        self.upstream: dict[int, dict[int, tuple[UpstreamInput, ...]]] = {}
        for program_id, text in upstream.items():
            by_milestone = defaultdict(list)
            for milestone_id, *row in UPSTREAM_INPUT.rows(text):
                by_milestone[milestone_id].append(UpstreamInput._make(row))
            self.upstream[program_id] = {m: tuple(up) for m, up in by_milestone.items()}
        waiting = [m for by_milestone in self.upstream.values() for m in by_milestone]
        milestones = _json_lists(
            _notable_milestones(ids, today, waiting=waiting, reach=reach),
            "program_id",
            MILESTONE_INPUT,
            ("id",),  # as the program page lists them
        )
        launches = _json_lists(
            launch_readiness_rows(ids), "program_id", LAUNCH_INPUT, ("launch_date", "id")
        )
        risks = _json_lists(
            Risk.objects.filter(ids_q("program_id", ids)).exclude(state="closed"),
            "program_id",
            RISK_INPUT,
            # As the program page lists them (field names; the stubs allow expressions too).
            cast(list[str], Risk._meta.ordering),
        )
        metrics = _json_lists(
            SuccessMetric.objects.filter(ids_q("program_id", ids)),
            "program_id",
            METRIC_INPUT,
            ("name", "id"),  # the model's order, without joining programs to sort by name
        )
        self.counts = _milestone_counts(ids)
        self.with_dependencies = _programs_with_dependencies(ids)
        self.ids = sorted(programs)
        self.parts: dict[str, dict[int, str]] = {
            "program": programs, "upstream": upstream, "milestones": milestones,
            "launches": launches, "risks": risks, "metrics": metrics,
        }  # fmt: skip

    def fingerprint(self, program_id: int) -> bytes:
        """Everything loaded for the program, as sent: equal fingerprints, equal inputs (on
        the same day: which milestones are notable, and which upstream ones are troubled,
        depends on it)."""
        texts = [part.get(program_id, "") for part in self.parts.values()]
        texts.append(repr((self.counts.get(program_id), program_id in self.with_dependencies)))
        return "\x1e".join(texts).encode()

    def program_input(self, program_id: int) -> ProgramInput:
        """The program's inputs as the engine takes them."""
        (row,) = PROGRAM_INPUT.rows(self.parts["program"].get(program_id))
        upstream = self.upstream.get(program_id, {})
        milestones = tuple(
            MilestoneInput._make([*m, upstream.get(m[0], ())])
            for m in MILESTONE_INPUT.rows(self.parts["milestones"].get(program_id))
        )
        # What is left of the program's totals once its listed milestones' are taken out.
        counts = self.counts.get(program_id, _Counts(0, 0, 0))
        return ProgramInput(
            **dict(zip(PROGRAM_INPUT.fields, row, strict=True)),
            id=program_id,
            milestones=milestones,
            risks=tuple(map(RiskInput._make, RISK_INPUT.rows(self.parts["risks"].get(program_id)))),
            metrics=tuple(
                map(MetricInput._make, METRIC_INPUT.rows(self.parts["metrics"].get(program_id)))
            ),
            launches=tuple(
                map(LaunchInput._make, LAUNCH_INPUT.rows(self.parts["launches"].get(program_id)))
            ),
            unlisted_slip_days=counts.slip - sum(slip_days(m) for m in milestones),
            unlisted_open=counts.open - sum(1 for m in milestones if m.is_open),
            unlisted_count=counts.counted - sum(1 for m in milestones if m.state != "cancelled"),
            has_dependencies=program_id in self.with_dependencies,
        )


def health_inputs(
    program_ids: Iterable[int], *, today: datetime.date, reach: Reach = DEFAULT_REACH
) -> list[ProgramInput]:
    """The engine's inputs for these programs, by id, in eight queries (see ``ChunkInputs``)."""
    chunk = ChunkInputs(program_ids, today=today, reach=reach)
    return [chunk.program_input(program_id) for program_id in chunk.ids]


def program_id_chunks(
    program_ids: Iterable[int] | None = None, size: int = CHUNK_SIZE
) -> Iterator[Iterable[int]]:
    """The given program ids in chunks, or all programs as ``range``s of ids (keyset
    pagination, no OFFSET), each holding ``size`` programs: see ``core.queries.ids_q``."""
    if program_ids is not None:
        ids = sorted(set(program_ids))
        for start in range(0, len(ids), size):
            yield ids[start : start + size]
        return
    last = 0
    while True:
        chunk = list(
            Program.objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:size]
        )
        if not chunk:
            return
        yield range(chunk[0], chunk[-1] + 1)
        last = chunk[-1]


# The policy's thresholds: every field of the engine's Policy but the weights is a column of
# HealthPolicy with the same name (a test holds the two to that).
POLICY_THRESHOLDS = tuple(
    f.name for f in dataclasses.fields(Policy) if f.name not in ("weights", "forecast_slip_factor")
)


def _policy_from_row(row: HealthPolicy) -> Policy:
    return Policy(weights=row.weights(), **{name: getattr(row, name) for name in POLICY_THRESHOLDS})


def tuned_slip_factor() -> float | None:
    """The slip factor of the latest forecast tuning (``metrics.tuning``); None before any."""
    return ForecastTuning.objects.values_list("slip_factor", flat=True).first()


class PolicyBook:
    """Every policy, read once: the default and the per-portfolio overrides."""

    def __init__(self) -> None:
        rows = list(HealthPolicy.objects.order_by("pk"))
        # The forecast's slip factor is the latest tuning's (metrics.tuning), in every policy.
        factor = tuned_slip_factor()

        def policy(row: HealthPolicy | None) -> Policy:
            made = _policy_from_row(row) if row else Policy()
            return (
                made if factor is None else dataclasses.replace(made, forecast_slip_factor=factor)
            )

        self.default = policy(next((r for r in rows if r.portfolio_id is None), None))
        self.by_portfolio = {r.portfolio_id: policy(r) for r in rows if r.portfolio_id}
        self.portfolio_of: dict[int, int] = {}

    def load_portfolios(self, program_ids: Iterable[int]) -> None:
        if self.by_portfolio:
            self.portfolio_of.update(
                Program.objects.filter(ids_q("pk", program_ids)).values_list("pk", "portfolio_id")
            )

    def for_program(self, program_id: int) -> Policy:
        portfolio_id = self.portfolio_of.get(program_id)
        if portfolio_id is None:
            return self.default
        return self.by_portfolio.get(portfolio_id, self.default)

    @property
    def reach(self) -> Reach:
        """The widest reach of any policy in force (see ``Reach``)."""
        policies = [self.default, *self.by_portfolio.values()]
        return Reach(
            start_window_days=max(p.critical_start_window_days for p in policies),
            pushes=min(p.pushes_watch for p in policies),
        )


def score_history(*, program: Program, days: int = 84) -> list[HealthSnapshot]:
    """The program's daily snapshots over the last ``days`` days (12 weeks), oldest first."""
    since = timezone.localdate() - datetime.timedelta(days=days)
    return list(program.health_snapshots.filter(day__gte=since).order_by("day"))


def latest_snapshot(*, program: Program) -> HealthSnapshot | None:
    return program.health_snapshots.order_by("-day").first()


def metric_input(metric: SuccessMetric, latest: MetricReading | None = None) -> MetricInput:
    """One success metric (and its latest reading, if known) as the engine sees it."""
    return MetricInput(
        id=metric.pk,
        name=metric.name,
        baseline_value=metric.baseline_value,
        target_value=metric.target_value,
        baseline_date=metric.baseline_date,
        target_date=metric.target_date,
        higher_is_better=metric.direction == Direction.INCREASE,
        latest_value=latest.value if latest else None,
        latest_at=latest.measured_on if latest else None,
        unit=metric.unit,
        reading_interval_days=metric.reading_interval_days,
    )
