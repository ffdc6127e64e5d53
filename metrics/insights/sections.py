"""The insights sections, registered in the order the overview shows them.

A section is a selector (numbers as a dataclass, ``(*, user, filters, now)``), a presenter
(the numbers as KPIs and chart-with-table blocks) and a serializer (the numbers in the API).
The pages (``/insights/<slug>/``), the CSV of each block (``/insights/<slug>/<block>.csv``)
and the endpoint (``/api/v1/insights/<slug>/``) are generic over ``SECTIONS``: adding one is
writing those three and calling ``register``.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from metrics.insights import capacity as capacity_selectors
from metrics.insights import delivery as delivery_selectors
from metrics.insights import forecast_accuracy as forecast_selectors
from metrics.insights import launch_reviews as launch_selectors
from metrics.insights import ops_reviews as ops_selectors
from metrics.insights import serializers
from metrics.insights.charts import (
    OUTCOME_COLOURS,
    Block,
    Column,
    Kpi,
    Presentation,
    days,
    percent,
    ranked_bars,
    stacked_shares,
    trend_bars,
)

RANKED_ROWS_CHARTED = 15  # the longest or largest; the table and CSV have every row


@dataclass(frozen=True)
class Section:
    slug: str
    title: str
    question: str  # what a leader asks that it answers (the overview's card)
    selector: Callable[..., Any]
    present: Callable[[Any], Presentation]
    serializer: type
    api_summary: str


SECTIONS: dict[str, Section] = {}


def register(section: Section) -> Section:
    SECTIONS[section.slug] = section
    return section


# --- Launch reviews -------------------------------------------------------------------------


def present_launch_reviews(data: launch_selectors.LaunchReviewInsights) -> Presentation:
    trend = data.trend
    quarters = [t.quarter for t in trend]
    kpis = [
        Kpi("Submitted → approved", days(data.decision.median_days),
            f"median; 90 % within {days(data.decision.p90_days)} · {data.decision.count} reviews"),
        Kpi("Draft → launch", days(data.draft_to_launch.median_days),
            f"median; 90 % within {days(data.draft_to_launch.p90_days)} · {data.draft_to_launch.count} launches"),
        Kpi("Changes requested", percent(data.changes_requested_share),
            f"{data.changes_requested} of {data.sign_offs} sign-offs"),
        Kpi("Sign-offs overdue", str(len(data.overdue_sign_offs)),
            f"waiting over {data.sign_off_due_days} days, now"),
        Kpi("Late launches", str(len(data.late_launches)), "after the date first set"),
    ]  # fmt: skip
    has_trend = any(t.decision.count or t.draft_to_launch.count or t.sign_offs for t in trend)
    blocks = [
        Block(
            key="trend",
            title="Over four quarters",
            note="median days",
            caption="Median review and launch times, sign-offs and late launches by quarter",
            figure=trend_bars(
                quarters,
                [
                    ("Submitted → approved", [t.decision.median_days for t in trend]),
                    ("Draft → launch", [t.draft_to_launch.median_days for t in trend]),
                ],
                unit="days",
            )
            if has_trend
            else None,
            columns=[
                Column("Quarter"),
                Column("Approved", "number"),
                Column("Submitted → approved, median", "days"),
                Column("p90", "days"),
                Column("Launched", "number"),
                Column("Draft → launch, median", "days"),
                Column("p90", "days"),
                Column("Changes requested", "share"),
                Column("Late launches", "number"),
            ],  # fmt: skip
            rows=[
                [
                    t.quarter,
                    t.decision.count,
                    t.decision.median_days,
                    t.decision.p90_days,
                    t.draft_to_launch.count,
                    t.draft_to_launch.median_days,
                    t.draft_to_launch.p90_days,
                    t.changes_requested_share,
                    t.late_launches,
                ]
                for t in trend
            ]
            if has_trend
            else [],  # fmt: skip
            empty="No launch review was decided or launched in these four quarters. Pick an "
            "earlier quarter, or widen the portfolio and team.",
            wide=True,
        ),
        _wait_block("areas", "Waiting per area", data.wait_by_area, "Area"),
        _wait_block("reviewers", "Waiting per reviewer", data.wait_by_reviewer, "Reviewer"),
        Block(
            key="reworked",
            title="Items reworked after changes were requested",
            note="checklist items, by reviews",
            caption="Checklist items whose answer changed after their area was sent back",
            figure=ranked_bars(
                [
                    f"{r.question} ({r.area_label})"
                    for r in data.reworked_items[:RANKED_ROWS_CHARTED]
                ],
                [r.reviews for r in data.reworked_items[:RANKED_ROWS_CHARTED]],
                axis_title="Reviews",
                unit="reviews",
                colour=OUTCOME_COLOURS["cut"],
            )
            if data.reworked_items
            else None,  # fmt: skip
            columns=[Column("Checklist item"), Column("Area"), Column("Reviews", "number")],
            rows=[[r.question, r.area_label, r.reviews] for r in data.reworked_items],
            empty="No area was sent back for changes this quarter, so no item was reworked.",
        ),
        Block(
            key="overdue",
            title="Sign-offs overdue now",
            note=f"waiting over {data.sign_off_due_days} days",
            caption="Areas of submitted reviews still waiting for a sign-off, longest first",
            columns=[
                Column("Launch review", "link"),
                Column("Program"),
                Column("Area"),
                Column("Waiting", "days"),
                Column("Held by", "list"),
            ],  # fmt: skip
            rows=[
                [(o.review, o.review_url), o.program, o.area_label, o.waiting_days, o.holders]
                for o in data.overdue_sign_offs
            ],
            empty="No sign-off is overdue: every submitted review has heard back within "
            f"{data.sign_off_due_days} days.",
        ),
        Block(
            key="late",
            title="Launches later than first planned",
            note="days after the date first set",
            caption="Launches this quarter that went out after their first launch date",
            figure=ranked_bars(
                [
                    f"{late.review} · {late.program}"
                    for late in data.late_launches[:RANKED_ROWS_CHARTED]
                ],
                [late.days_late for late in data.late_launches[:RANKED_ROWS_CHARTED]],
                axis_title="Days late",
                unit="days",
                colour=OUTCOME_COLOURS["denied"],
            )
            if data.late_launches
            else None,  # fmt: skip
            columns=[
                Column("Launch review", "link"),
                Column("Program"),
                Column("First set", "date"),
                Column("Launched", "date"),
                Column("Days late", "number"),
            ],  # fmt: skip
            rows=[
                [
                    (late.review, late.review_url),
                    late.program,
                    late.first_date,
                    late.launched_on,
                    late.days_late,
                ]
                for late in data.late_launches
            ],  # fmt: skip
            empty="No launch this quarter went out later than the date first set.",
        ),
    ]
    return Presentation(kpis=kpis, blocks=blocks)


def _wait_block(key: str, title: str, waits: list[launch_selectors.Wait], who: str) -> Block:
    charted = waits[:RANKED_ROWS_CHARTED]
    return Block(
        key=key,
        title=title,
        note="days from submission to sign-off",
        caption=f"{title}: days from the submission to each sign-off this quarter, longest first",
        figure=ranked_bars(
            [w.label for w in charted],
            [w.wait.median_days for w in charted],
            axis_title="Median days",
            unit="days",
            marks=[w.wait.p90_days for w in charted],
            mark_name="90th percentile",
        )
        if waits
        else None,  # fmt: skip
        columns=[
            Column(who),
            Column("Sign-offs", "number"),
            Column("Median", "days"),
            Column("p90", "days"),
            Column("Changes requested", "number"),
        ],  # fmt: skip
        rows=[
            [w.label, w.wait.count, w.wait.median_days, w.wait.p90_days, w.changes_requested]
            for w in waits
        ],
        empty="No sign-off was given this quarter. Reviews that are waiting show under "
        "“Sign-offs overdue now”.",
    )


register(
    Section(
        slug="launch-reviews",
        title="Launch reviews",
        question="How long do launch reviews take, and where do they wait?",
        selector=launch_selectors.launch_review_insights,
        present=present_launch_reviews,
        serializer=serializers.LaunchReviewInsightsSerializer,
        api_summary="Launch-review measures: review times, waits, rework, overdue, late",
    )
)


# --- Capacity -------------------------------------------------------------------------------


def present_capacity(data: capacity_selectors.CapacityInsights) -> Presentation:
    trend = data.trend
    quarters = [t.quarter for t in trend]
    outcomes = data.outcomes
    kpis = [
        Kpi("Submitted → decided", days(data.submitted_to_decided.median_days),
            f"median; 90 % within {days(data.submitted_to_decided.p90_days)} · "
            f"{data.submitted_to_decided.count} requests"),
        Kpi("Decided → fulfilled", days(data.decided_to_fulfilled.median_days),
            f"median; 90 % within {days(data.decided_to_fulfilled.p90_days)}"),
        Kpi("Approved in full", percent(outcomes.approved_share),
            f"cut {percent(outcomes.cut_share)} · denied {percent(outcomes.denied_share)}"),
        Kpi("Budget overrides", str(len(data.overrides)), "approved past the budget"),
        Kpi("Waiting", str(len(data.waiting)),
            f"undecided over {data.waiting_threshold_days} days, now"),
    ]  # fmt: skip
    has_trend = any(t.outcomes.decided or t.submitted_to_fulfilled.count for t in trend)
    # The chart shows the budgets drawn on, most used first; the table lists every budget.
    drawn_budgets = sorted(
        (b for b in data.budget_use if b.granted), key=lambda b: -(b.used_share or 0)
    )[:RANKED_ROWS_CHARTED]
    blocks = [
        Block(
            key="lead-times",
            title="Lead times over four quarters",
            note="median days",
            caption="Median lead times of capacity requests by quarter",
            figure=trend_bars(
                quarters,
                [
                    ("Submitted → decided", [t.submitted_to_decided.median_days for t in trend]),
                    ("Decided → fulfilled", [t.decided_to_fulfilled.median_days for t in trend]),
                    (
                        "Submitted → fulfilled",
                        [t.submitted_to_fulfilled.median_days for t in trend],
                    ),
                ],
                unit="days",
            )
            if has_trend
            else None,  # fmt: skip
            columns=[
                Column("Quarter"),
                Column("Decided", "number"),
                Column("Submitted → decided, median", "days"),
                Column("p90", "days"),
                Column("Fulfilled", "number"),
                Column("Decided → fulfilled, median", "days"),
                Column("p90", "days"),
                Column("Submitted → fulfilled, median", "days"),
                Column("p90", "days"),
            ],  # fmt: skip
            rows=[
                [
                    t.quarter,
                    t.submitted_to_decided.count,
                    t.submitted_to_decided.median_days,
                    t.submitted_to_decided.p90_days,
                    t.decided_to_fulfilled.count,
                    t.decided_to_fulfilled.median_days,
                    t.decided_to_fulfilled.p90_days,
                    t.submitted_to_fulfilled.median_days,
                    t.submitted_to_fulfilled.p90_days,
                ]
                for t in trend
            ]
            if has_trend
            else [],  # fmt: skip
            empty="No capacity request was decided in these four quarters. Pick an earlier "
            "quarter, or widen the portfolio and team.",
        ),
        Block(
            key="outcomes",
            title="Outcomes over four quarters",
            note="requests decided",
            caption="Capacity requests decided per quarter: approved in full, cut or denied",
            figure=stacked_shares(
                quarters,
                [
                    ("Approved", OUTCOME_COLOURS["approved"], [t.outcomes.approved for t in trend]),
                    ("Cut", OUTCOME_COLOURS["cut"], [t.outcomes.cut for t in trend]),
                    ("Denied", OUTCOME_COLOURS["denied"], [t.outcomes.denied for t in trend]),
                ],
            )
            if has_trend
            else None,  # fmt: skip
            columns=[
                Column("Quarter"),
                Column("Approved", "number"),
                Column("Cut", "number"),
                Column("Denied", "number"),
                Column("Approved share", "share"),
                Column("Cut share", "share"),
                Column("Denied share", "share"),
                Column("Overrides", "number"),
            ],  # fmt: skip
            rows=[
                [
                    t.quarter,
                    t.outcomes.approved,
                    t.outcomes.cut,
                    t.outcomes.denied,
                    t.outcomes.approved_share,
                    t.outcomes.cut_share,
                    t.outcomes.denied_share,
                    t.overrides,
                ]
                for t in trend
            ]
            if has_trend
            else [],  # fmt: skip
            empty="No capacity request was decided in these four quarters.",
        ),
        Block(
            key="budget-use",
            title=f"Budget use, {data.quarter}",
            note="granted against budget, per team and resource",
            caption="Each team's budget of the quarter per resource against what was granted",
            figure=ranked_bars(
                [f"{b.team} · {b.resource_label}" for b in drawn_budgets],
                [(b.used_share or 0) * 100 for b in drawn_budgets],
                axis_title="% of budget granted",
                unit="%",
                reference=100,
            )
            if drawn_budgets
            else None,  # fmt: skip
            columns=[
                Column("Team"),
                Column("Resource"),
                Column("Unit"),
                Column("Budget", "number"),
                Column("Granted", "number"),
                Column("Used", "share"),
            ],  # fmt: skip
            rows=[
                [b.team, b.resource_label, b.unit, b.budget, b.granted, b.used_share]
                for b in data.budget_use
            ],
            empty=f"No team has a capacity budget for {data.quarter}. Budgets are set on the "
            "Capacity page.",
        ),
        Block(
            key="overrides",
            title="Budget overrides",
            note="who approved past the budget, how much, why",
            caption="Approvals this quarter that exceeded the team's budget, with their reason",
            columns=[
                Column("Request", "link"),
                Column("Team"),
                Column("Resource"),
                Column("Unit"),
                Column("Approved", "number"),
                Column("Budget", "number"),
                Column("Granted in all", "number"),
                Column("Over budget by", "number"),
                Column("Decided by"),
                Column("On", "date"),
                Column("Why"),
            ],  # fmt: skip
            rows=[
                [
                    (f"{o.program}", o.request_url),
                    o.team,
                    o.resource_label,
                    o.unit,
                    o.approved_amount,
                    o.budget,
                    o.granted,
                    o.over_by,
                    o.decided_by,
                    o.decided_on,
                    o.reason,
                ]
                for o in data.overrides
            ],  # fmt: skip
            empty="No approval went past a budget this quarter.",
            wide=True,
        ),
        Block(
            key="waiting",
            title="Requests waiting",
            note=f"submitted over {data.waiting_threshold_days} days ago, undecided",
            caption="Capacity requests waiting for a decision longer than the threshold",
            columns=[
                Column("Request", "link"),
                Column("Team"),
                Column("Resource"),
                Column("Amount", "number"),
                Column("Unit"),
                Column("Submitted", "date"),
                Column("Waiting", "days"),
            ],  # fmt: skip
            rows=[
                [
                    (w.program, w.request_url),
                    w.team,
                    w.resource_label,
                    w.amount,
                    w.unit,
                    w.submitted_on,
                    w.days_waiting,
                ]
                for w in data.waiting
            ],  # fmt: skip
            empty=f"No request has waited more than {data.waiting_threshold_days} days for a "
            "decision.",
            wide=True,
        ),
    ]
    return Presentation(kpis=kpis, blocks=blocks)


register(
    Section(
        slug="capacity",
        title="Capacity",
        question="Which teams' capacity asks are slow or overridden?",
        selector=capacity_selectors.capacity_insights,
        present=present_capacity,
        serializer=serializers.CapacityInsightsSerializer,
        api_summary="Capacity measures: lead times, outcomes, overrides, budget use, waiting",
    )
)


# --- Operational reviews --------------------------------------------------------------------


def _times(value: float | None) -> str:
    return "—" if value is None else f"{value:,.1f}×"


def present_ops_reviews(data: ops_selectors.OpsReviewInsights) -> Presentation:
    trend = data.trend
    quarters = [t.quarter for t in trend]
    kpis = [
        Kpi("Action items closed", str(data.closed), f"{data.opened} agreed this quarter"),
        Kpi("Time to close", days(data.time_to_close.median_days),
            f"median; 90 % within {days(data.time_to_close.p90_days)}"),
        Kpi("Overdue now", percent(data.overdue_share),
            f"{data.overdue_now} of {data.open_now} open items"),
        Kpi("Carried over", _times(data.carried_mean),
            "reviews an item closed this quarter was carried to, mean"),
        Kpi("Decisions per review", "—" if data.decisions_per_review is None
            else f"{data.decisions_per_review:,.1f}",
            f"{data.decisions} in {data.reviews} reviews held"),
    ]  # fmt: skip
    has_trend = any(t.opened or t.closed or t.reviews for t in trend)
    blocks = [
        Block(
            key="trend",
            title="Action items over four quarters",
            note="agreed and closed",
            caption="Action items agreed and closed, time to close and decisions by quarter",
            figure=trend_bars(
                quarters,
                [("Agreed", [t.opened for t in trend]), ("Closed", [t.closed for t in trend])],
                unit="items",
            )
            if has_trend
            else None,
            columns=[
                Column("Quarter"),
                Column("Agreed", "number"),
                Column("Closed", "number"),
                Column("Time to close, median", "days"),
                Column("p90", "days"),
                Column("Carried over, mean", "number"),
                Column("Reviews held", "number"),
                Column("Decisions", "number"),
                Column("Decisions per review", "number"),
            ],  # fmt: skip
            rows=[
                [
                    t.quarter,
                    t.opened,
                    t.closed,
                    t.time_to_close.median_days,
                    t.time_to_close.p90_days,
                    t.carried_mean,
                    t.reviews,
                    t.decisions,
                    t.decisions_per_review,
                ]
                for t in trend
            ]
            if has_trend
            else [],  # fmt: skip
            empty="No action item was agreed or closed and no review was held in these four "
            "quarters. Pick an earlier quarter, or widen the portfolio and team.",
            wide=True,
        ),
        Block(
            key="time-to-close",
            title="Time to close over four quarters",
            note="days from agreed to closed",
            caption="Median and 90th percentile days to close action items, by quarter closed",
            figure=trend_bars(
                quarters,
                [
                    ("Median", [t.time_to_close.median_days for t in trend]),
                    ("90th percentile", [t.time_to_close.p90_days for t in trend]),
                ],
                unit="days",
            )
            if any(t.closed for t in trend)
            else None,  # fmt: skip
            columns=[
                Column("Quarter"),
                Column("Closed", "number"),
                Column("Median", "days"),
                Column("p90", "days"),
            ],  # fmt: skip
            rows=[
                [t.quarter, t.closed, t.time_to_close.median_days, t.time_to_close.p90_days]
                for t in trend
            ]
            if any(t.closed for t in trend)
            else [],  # fmt: skip
            empty="No action item was closed in these four quarters.",
        ),
        Block(
            key="carried",
            title="Carried over",
            note="later reviews an item appeared on before it was closed",
            caption="Action items by how many later reviews they were carried to: closed this "
            "quarter, and open now",
            figure=trend_bars(
                [c.label for c in data.carried],
                [
                    ("Closed this quarter", [c.closed for c in data.carried]),
                    ("Open now", [c.open_now for c in data.carried]),
                ],
                unit="items",
            )
            if data.carried
            else None,  # fmt: skip
            columns=[
                Column("Carried over to"),
                Column("Closed this quarter", "number"),
                Column("Open now", "number"),
            ],
            rows=[[c.label, c.closed, c.open_now] for c in data.carried],
            empty="No action item was closed this quarter and none is open.",
        ),
        Block(
            key="overdue",
            title="Action items overdue now",
            note="open past their due date, the oldest first",
            caption="Open action items past their due date, with the review that agreed them",
            columns=[
                Column("Action item"),
                Column("Agreed in", "link"),
                Column("Program"),
                Column("Owner"),
                Column("Due", "date"),
                Column("Days overdue", "number"),
                Column("Carried over", "number"),
            ],  # fmt: skip
            rows=[
                [
                    o.title,
                    (o.review, o.review_url),
                    o.program,
                    o.owner,
                    o.due_date,
                    o.days_overdue,
                    o.times_carried,
                ]
                for o in data.overdue
            ],  # fmt: skip
            empty="No open action item is past its due date.",
            wide=True,
        ),
        Block(
            key="reviews",
            title=f"Reviews held, {data.quarter}",
            note="decisions recorded and action items per review",
            caption="Operational reviews held this quarter: decisions recorded, items agreed "
            "and closed in each",
            columns=[
                Column("Review", "link"),
                Column("Date", "date"),
                Column("Portfolio"),
                Column("Decisions", "number"),
                Column("Items agreed", "number"),
                Column("Items closed", "number"),
            ],  # fmt: skip
            rows=[
                [
                    (r.review, r.review_url),
                    r.date,
                    r.portfolio or "Every program",
                    r.decisions,
                    r.items_agreed,
                    r.items_closed,
                ]
                for r in data.reviews_held
            ],  # fmt: skip
            empty="No operational review was held this quarter. Reviews are scheduled on the "
            "Operational reviews page.",
            wide=True,
        ),
    ]
    return Presentation(kpis=kpis, blocks=blocks)


register(
    Section(
        slug="ops-reviews",
        title="Operational reviews",
        question="Do operational reviews close what they agree, and decide things?",
        selector=ops_selectors.ops_review_insights,
        present=present_ops_reviews,
        serializer=serializers.OpsReviewInsightsSerializer,
        api_summary="Operational-review measures: action items, time to close, carry-over",
    )
)


# --- Delivery -------------------------------------------------------------------------------


def present_delivery(data: delivery_selectors.DeliveryInsights) -> Presentation:
    trend = data.trend
    quarters = [t.quarter for t in trend]
    top_team = data.teams[0] if data.teams and data.teams[0].slips.slips else None
    top_reason = data.reasons[0] if data.reasons else None
    top_wait = data.waits[0] if data.waits else None
    kpis = [
        Kpi("Slips", str(data.slips.slips), f"{data.slips.days:,} days added · "
            f"{data.slips.moves} date moves in all"),
        Kpi("Days per slip", days(data.slips.days_per_slip), "mean"),
        Kpi("Slips most", top_team.team if top_team else "—",
            f"{top_team.slips.slips} slips, {top_team.slips.days:,} days" if top_team else ""),
        Kpi("Most given reason", top_reason.label if top_reason else "—",
            f"{percent(top_reason.moves_share)} of date moves" if top_reason else ""),
        Kpi("Waits most", f"{top_wait.waiting_team} on {top_wait.upstream_team}"
            if top_wait else "—", f"{top_wait.days:,} days this quarter" if top_wait else ""),
    ]  # fmt: skip
    has_trend = any(t.slips.moves for t in trend)
    charted_teams = [t for t in data.teams if t.slips.slips][:RANKED_ROWS_CHARTED]
    charted_waits = data.waits[:RANKED_ROWS_CHARTED]
    blocks = [
        Block(
            key="trend",
            title="Slips over four quarters",
            note="days added by moves to a later date",
            caption="Milestone slips by quarter: days added, slips and every date move",
            figure=trend_bars(
                quarters, [("Days slipped", [t.slips.days for t in trend])], unit="days"
            )
            if has_trend
            else None,
            columns=[
                Column("Quarter"),
                Column("Slips", "number"),
                Column("Days slipped", "number"),
                Column("Days per slip", "days"),
                Column("Date moves", "number"),
            ],
            rows=[
                [t.quarter, t.slips.slips, t.slips.days, t.slips.days_per_slip, t.slips.moves]
                for t in trend
            ]
            if has_trend
            else [],
            empty="No milestone date was moved in these four quarters. Pick an earlier quarter, "
            "or widen the portfolio and team.",
        ),
        Block(
            key="teams",
            title="Slips per team",
            note=f"days slipped in {data.quarter}; slips per quarter in the table",
            caption="Each owning team's milestone slips this quarter, and its slips in each of "
            "the four quarters",
            figure=ranked_bars(
                [t.team for t in charted_teams],
                [t.slips.days for t in charted_teams],
                axis_title="Days slipped",
                unit="days",
                colour=OUTCOME_COLOURS["denied"],
            )
            if charted_teams
            else None,  # fmt: skip
            columns=[
                Column("Team"),
                Column("Slips", "number"),
                Column("Days slipped", "number"),
                Column("Days per slip", "days"),
                *(Column(f"Slips {q}", "number") for q in quarters),
            ],  # fmt: skip
            rows=[
                [t.team, t.slips.slips, t.slips.days, t.slips.days_per_slip, *t.by_quarter]
                for t in data.teams
            ],
            empty="No team's milestone slipped in these four quarters.",
            wide=True,
        ),
        Block(
            key="reasons",
            title=f"Why dates moved, {data.quarter}",
            note="the category chosen when moving a date",
            caption="Milestone date moves this quarter by reason category: moves, slips and "
            "the days they added",
            figure=ranked_bars(
                [r.label for r in data.reasons],
                [r.slips.moves for r in data.reasons],
                axis_title="Date moves",
                unit="moves",
                colour=OUTCOME_COLOURS["cut"],
            )
            if data.reasons
            else None,  # fmt: skip
            columns=[
                Column("Reason"),
                Column("Date moves", "number"),
                Column("Share of moves", "share"),
                Column("Slips", "number"),
                Column("Days slipped", "number"),
            ],  # fmt: skip
            rows=[
                [r.label, r.slips.moves, r.moves_share, r.slips.slips, r.slips.days]
                for r in data.reasons
            ],
            empty="No milestone date was moved this quarter.",
        ),
        Block(
            key="waits",
            title="Teams waiting on each other",
            note="days waiting on another team's late milestone, this quarter",
            caption="Pairs of teams: days one team's milestones waited this quarter on the "
            "other's milestones finished after their baseline",
            figure=ranked_bars(
                [f"{w.waiting_team} waits on {w.upstream_team}" for w in charted_waits],
                [w.days for w in charted_waits],
                axis_title="Days waiting",
                unit="days",
            )
            if charted_waits
            else None,  # fmt: skip
            columns=[
                Column("Waiting team"),
                Column("Waits on"),
                Column("Dependencies", "number"),
                Column("Days waiting", "number"),
            ],  # fmt: skip
            rows=[[w.waiting_team, w.upstream_team, w.dependencies, w.days] for w in data.waits],
            empty="No team waited on another team's late milestone this quarter. Dependencies "
            "count when both milestones have an owning team.",
            wide=True,
        ),
    ]
    return Presentation(kpis=kpis, blocks=blocks)


register(
    Section(
        slug="delivery",
        title="Delivery",
        question="Who slips most, and why?",
        selector=delivery_selectors.delivery_insights,
        present=present_delivery,
        serializer=serializers.DeliveryInsightsSerializer,
        api_summary="Delivery measures: slips per team and quarter, reasons, waits between teams",
    )
)

# --- Forecast accuracy ----------------------------------------------------------------------

TREND_HORIZON_DAYS = 14  # the trend charts one horizon; its table has them all


def _beats(horizon: forecast_selectors.HorizonAccuracy) -> str:
    if horizon.beats_plan is None:
        return "—"
    return "Yes" if horizon.beats_plan else "No"


def present_forecast_accuracy(data: forecast_selectors.ForecastAccuracyInsights) -> Presentation:
    horizons = data.horizons_days
    trend = data.trend
    covered = (
        f"{data.covered} of {data.finished} critical milestones finished this quarter: those "
        "Pulse forecast as their program's next critical milestone"
    )
    kpis = [Kpi("Milestones covered", str(data.covered), covered)] + [
        Kpi(f"{h.horizon_days} days before", days(h.forecast_mae),
            f"forecast off on average; the target {days(h.plan_mae)} · "
            + {True: "forecast better", False: "target better", None: "no data"}[h.beats_plan])
        for h in data.horizons
    ] + [Kpi("Slip factor", f"{data.slip_factor:.1f}×", _tuning_note(data.tunings))]  # fmt: skip
    has_trend = any(t.covered for t in trend)
    horizon_labels = [f"{h} days before" for h in horizons]
    blocks = [
        Block(
            key="horizons",
            title="Forecast against target",
            note="mean absolute error in days; critical milestones Pulse forecast",
            caption=f"How far Pulse's forecast and the TPM's target were from the day each "
            f"critical milestone finished in {data.quarter}, by how long before",
            figure=trend_bars(
                horizon_labels,
                [
                    ("Pulse's forecast", [h.forecast_mae for h in data.horizons]),
                    ("TPM's target", [h.plan_mae for h in data.horizons]),
                ],
                unit="days",
            )
            if data.covered
            else None,  # fmt: skip
            columns=[
                Column("Before finishing"),
                Column("Milestones", "number"),
                Column("Forecast error, mean", "days"),
                Column("Target error, mean", "days"),
                Column("Forecast bias", "days"),
                Column("Target bias", "days"),
                Column("Forecast closer", "number"),
                Column("Target closer", "number"),
                Column("Forecast beats target"),
            ],  # fmt: skip
            rows=[
                [
                    label,
                    h.milestones,
                    h.forecast_mae,
                    h.plan_mae,
                    h.forecast_bias,
                    h.plan_bias,
                    h.forecast_closer,
                    h.plan_closer,
                    _beats(h),
                ]
                for label, h in zip(horizon_labels, data.horizons, strict=True)
            ]
            if data.covered
            else [],  # fmt: skip
            empty="No critical milestone that finished this quarter was forecast by Pulse "
            f"{', '.join(map(str, horizons))} days before. Pulse forecasts each program's next "
            "open critical milestone daily; pick an earlier quarter, or widen the filters.",
            wide=True,
        ),
        Block(
            key="trend",
            title="Over four quarters",
            note=f"mean absolute error {TREND_HORIZON_DAYS} days before, in days",
            caption=f"Forecast and target error {TREND_HORIZON_DAYS} days before finishing, by "
            "quarter finished (the table has every horizon)",
            figure=trend_bars(
                [t.quarter for t in trend],
                [
                    ("Pulse's forecast", [t.at(TREND_HORIZON_DAYS).forecast_mae for t in trend]),
                    ("TPM's target", [t.at(TREND_HORIZON_DAYS).plan_mae for t in trend]),
                ],
                unit="days",
            )
            if has_trend
            else None,  # fmt: skip
            columns=[
                Column("Quarter"),
                Column("Critical finished", "number"),
                Column("Covered", "number"),
                *(
                    column
                    for h in horizons
                    for column in (
                        Column(f"Forecast error, {h} d before", "days"),
                        Column(f"Target error, {h} d before", "days"),
                    )
                ),
            ],  # fmt: skip
            rows=[
                [
                    t.quarter,
                    t.finished,
                    t.covered,
                    *(
                        value
                        for h in horizons
                        for value in (t.at(h).forecast_mae, t.at(h).plan_mae)
                    ),
                ]
                for t in trend
            ]
            if has_trend
            else [],  # fmt: skip
            empty="No critical milestone Pulse forecast finished in these four quarters.",
            wide=True,
        ),
        Block(
            key="milestones",
            title=f"Milestones covered, {data.quarter}",
            note="days off, signed: negative when it finished later than said",
            caption="Each critical milestone finished this quarter that Pulse forecast: how far "
            "the forecast and the target were from the real date",
            columns=[
                Column("Milestone", "link"),
                Column("Program"),
                Column("Finished", "date"),
                *(
                    column
                    for h in horizons
                    for column in (
                        Column(f"Forecast, {h} d before", "number"),
                        Column(f"Target, {h} d before", "number"),
                    )
                ),
            ],  # fmt: skip
            rows=[
                [
                    (m.milestone, m.milestone_url),
                    m.program,
                    m.completed_on,
                    *(
                        value
                        for h in horizons
                        for error in (m.at(h),)
                        for value in (
                            (error.forecast_error_days, error.plan_error_days)
                            if error
                            else (None, None)
                        )
                    ),
                ]
                for m in data.milestones
            ],  # fmt: skip
            empty="No critical milestone that finished this quarter was forecast by Pulse.",
            wide=True,
        ),
        _tuning_block(data.tunings),
    ]
    return Presentation(kpis=kpis, blocks=blocks)


def _tuning_note(tunings: list[forecast_selectors.TuningRun]) -> str:
    if not tunings:
        return "of the slip rate carried forward; not tuned yet (weekly, Sunday 05:00)"
    last = tunings[0]
    if last.error_before is None:
        outcome = "too few to tune from"
    else:
        outcome = "changed" if last.slip_factor != last.previous_factor else "kept"
    return f"tuned {last.ran_on:%-d %b} from {last.samples} forecasts: {outcome}"


def _tuning_block(tunings: list[forecast_selectors.TuningRun]) -> Block:
    runs = list(reversed(tunings))  # oldest first, as a chart reads
    measured = [run for run in runs if run.error_before is not None]
    return Block(
        key="tuning",
        title="Tuning the forecast",
        note="every program; mean absolute error in days over the last year's forecasts",
        caption="Each weekly tuning: the slip factor before and after, and how far the "
        "forecasts under each, and the targets, were from the real dates",
        figure=trend_bars(
            [f"{run.ran_on:%-d %b}" for run in measured],
            [
                ("Forecast, factor before", [run.error_before for run in measured]),
                ("Forecast, factor after", [run.error_after for run in measured]),
                ("TPM's target", [run.plan_error for run in measured]),
            ],
            unit="days",
        )
        if measured
        else None,
        columns=[
            Column("Ran", "date"),
            Column("Forecasts measured", "number"),
            Column("Factor before", "number"),
            Column("Factor after", "number"),
            Column("Forecast error before", "days"),
            Column("Forecast error after", "days"),
            Column("Target error", "days"),
            Column("Beat the target"),
        ],  # fmt: skip
        rows=[
            [
                run.ran_on,
                run.samples,
                run.previous_factor,
                run.slip_factor,
                run.error_before,
                run.error_after,
                run.plan_error,
                {True: "Yes", False: "No", None: "—"}[run.beat_plan],
            ]
            for run in runs
        ],  # fmt: skip
        empty="The forecast has not been tuned yet. Each Sunday Pulse replays the last year's "
        "forecasts of finished critical milestones and, where the forecast did not beat the "
        "targets, picks the slip factor that erred least.",
        wide=True,
    )


register(
    Section(
        slug="forecast-accuracy",
        title="Forecast accuracy",
        question="Is our forecasting any good?",
        selector=forecast_selectors.forecast_accuracy_insights,
        present=present_forecast_accuracy,
        serializer=serializers.ForecastAccuracyInsightsSerializer,
        api_summary="Forecast accuracy: Pulse's forecast against the target, 30/14/7 days out",
    )
)
