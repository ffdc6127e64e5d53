"""The weekly report's content: what changed in a portfolio over one week, built from its rows.

A week runs Monday to Sunday. The report of the week starting ``week_start`` compares each
program's snapshot at the end of the week with the one a week earlier (grade moves, each with
the sentence of the reason that decides the new grade; new watermelons: a *current* update
reporting on track while the grade is yellow or red; a stale program, with no current update,
is never a watermelon and is marked stale among the programs without an update), lists the
milestone slips recorded during the week with their reasons, the asks of leadership in the
week's status updates, the programs whose update was overdue at the end of the week, and the
launches of the 14 days after it.

No queries here: ``metrics.reports.selectors.week_rows`` reads the rows, the functions below
turn them into the stored content (plain JSON: dates as ISO text), one section each. Every
item names its program, so readers get the report without the confidential programs they may
not see (``visible_content``).
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from core.grades import Grade, is_worse
from metrics.health import reason_view

if TYPE_CHECKING:  # the selectors import this module's window
    from metrics.reports.selectors import WeekRows
    from programs.models import MilestoneDateChange, StatusUpdate
    from reviews.models import LaunchReview

type Item = dict[str, Any]

LAUNCH_LOOKAHEAD_DAYS = 14
# A snapshot this many days before the compared day still stands for it (a missed recompute).
SNAPSHOT_TOLERANCE_DAYS = 6
SECTION_TITLES = {
    "grade_changes": "Grade changes",
    "new_watermelons": "New watermelons",
    "slips": "Milestone slips",
    "launches": "Launches in the next 14 days",
    "asks": "Asks of leadership",
    "no_update": "Programs without an update",
}
SECTIONS = tuple(SECTION_TITLES)


def week_start_of(day: datetime.date) -> datetime.date:
    """The Monday of the week ``day`` falls in."""
    return day - datetime.timedelta(days=day.weekday())


def last_complete_week(today: datetime.date) -> datetime.date:
    """The Monday of the last full week before ``today`` (what Monday's report covers)."""
    return week_start_of(today) - datetime.timedelta(days=7)


def _start_of_day(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


@dataclass(frozen=True)
class ReportWindow:
    """The days a week's report looks at; a week still under way ends today."""

    week_start: datetime.date  # a Monday
    today: datetime.date

    @property
    def week_end(self) -> datetime.date:
        """The next Monday (exclusive)."""
        return self.week_start + datetime.timedelta(days=7)

    @property
    def last_day(self) -> datetime.date:
        return min(self.week_end - datetime.timedelta(days=1), self.today)

    @property
    def before_day(self) -> datetime.date:
        """The Sunday before: the day a week earlier to compare with."""
        return self.week_start - datetime.timedelta(days=1)

    @property
    def starts(self) -> datetime.datetime:
        return _start_of_day(self.week_start)

    @property
    def ends(self) -> datetime.datetime:
        return _start_of_day(self.last_day + datetime.timedelta(days=1))

    @property
    def launches_from(self) -> datetime.date:
        """The day the report is issued: launches from then on are ahead of its readers."""
        return min(self.week_end, self.today)

    @property
    def launches_until(self) -> datetime.date:
        return self.launches_from + datetime.timedelta(days=LAUNCH_LOOKAHEAD_DAYS)


def _person(user) -> str:
    if user is None:
        return "someone"
    return user.get_full_name() or user.username


def first_reason_text(reasons_head: dict | None, grade: str) -> str:
    """The sentence of the reason deciding a yellow or red grade (a snapshot's first reason,
    old stored ones in their words); '' for green, where reasons are watch lines at most."""
    if not reasons_head or grade not in (Grade.YELLOW, Grade.RED):
        return ""
    return reason_view(reasons_head)["text"]


def _latest_by_program(rows: Iterable[Item], until: datetime.date) -> dict[int, Item]:
    """The latest snapshot row on or before ``until`` (within the tolerance), per program."""
    since = until - datetime.timedelta(days=SNAPSHOT_TOLERANCE_DAYS)
    latest: dict[int, Item] = {}
    for row in rows:
        if since <= row["day"] <= until:
            current = latest.get(row["program_id"])
            if current is None or row["day"] > current["day"]:
                latest[row["program_id"]] = row
    return latest


class _Refs:
    """How every item names its program: id, name and slug."""

    def __init__(self, programs: dict[int, Item]) -> None:
        self.programs = programs

    def __call__(self, program_id: int) -> Item:
        program = self.programs[program_id]
        return {"program_id": program_id, "program": program["name"], "slug": program["slug"]}


def _grades(after: dict[int, Item]) -> list[Item]:
    return [
        {"program_id": pid, "grade": now["grade"], "score": now["score"], "stale": now["stale"]}
        for pid, now in after.items()
    ]


def _grade_changes(before: dict[int, Item], after: dict[int, Item], ref: _Refs) -> list[Item]:
    changes = []
    for program_id, now in after.items():
        then = before.get(program_id)
        if then and then["grade"] != now["grade"]:
            changes.append(
                {
                    **ref(program_id),
                    "from": then["grade"],
                    "to": now["grade"],
                    "score_from": then["score"],
                    "score_to": now["score"],
                    "worse": is_worse(now["grade"], then["grade"]),
                    "reason": first_reason_text(now["reasons__0"], now["grade"]),
                }
            )
    return sorted(changes, key=lambda item: (not item["worse"], item["program"]))


def _is_watermelon(snapshot: Item | None) -> bool:
    """Flagged by the engine's rule; a stale program (no current update) never is one."""
    return bool(snapshot and snapshot["watermelon"] and not snapshot["stale"])


def _new_watermelons(before: dict[int, Item], after: dict[int, Item], ref: _Refs) -> list[Item]:
    new = [
        {
            **ref(program_id),
            "reported": now["reported_health"],
            "grade": now["grade"],
            "score": now["score"],
            "reason": first_reason_text(now["reasons__0"], now["grade"]),
        }
        for program_id, now in after.items()
        if _is_watermelon(now) and not _is_watermelon(before.get(program_id))
    ]
    return sorted(new, key=lambda item: item["program"])


def _slips(changes: Iterable["MilestoneDateChange"], ref: _Refs) -> list[Item]:
    slips = [
        {
            **ref(change.milestone.program_id),
            "milestone": change.milestone.name,
            "critical": change.milestone.critical,
            "from": change.from_date.isoformat(),
            "to": change.to_date.isoformat(),
            "days": change.delta_days,
            "reason": change.reason,
            "by": _person(change.changed_by),
            "on": timezone.localdate(change.changed_at).isoformat(),
        }
        for change in changes
    ]
    return sorted(slips, key=lambda item: (-item["days"], item["program"]))


def _launches(reviews: Iterable["LaunchReview"], ref: _Refs) -> list[Item]:
    return [
        {
            **ref(review.program_id),
            "review_id": review.pk,
            "title": review.title,
            "date": review.launch_date.isoformat(),
            "state": review.state,
            "state_label": review.get_state_display(),
            "tier": review.tier,
        }
        for review in reviews
    ]


def _asks(updates: Iterable["StatusUpdate"], ref: _Refs) -> list[Item]:
    return [
        {
            **ref(update.program_id),
            "update_id": update.pk,
            "author": _person(update.author),
            "on": timezone.localdate(update.created_at).isoformat(),
            "asks": update.asks.strip(),
        }
        for update in updates
    ]


def _tpm(program: Item) -> str:
    name = f"{program['tpm__first_name']} {program['tpm__last_name']}".strip()
    return name or program["tpm__username"]


def _no_update(
    programs: dict[int, Item], after: dict[int, Item], last_day: datetime.date, ref: _Refs
) -> list[Item]:
    """The programs whose update was due before the week's last day and not posted."""
    silent = []
    for program_id, program in programs.items():
        last = program["last_update"]
        since = timezone.localdate(last or program["created_at"])
        due = since + datetime.timedelta(days=program["update_cadence_days"])
        if due < last_day:
            silent.append(
                {
                    **ref(program_id),
                    "tpm": _tpm(program),
                    "last_update": timezone.localdate(last).isoformat() if last else None,
                    "due": due.isoformat(),
                    "days_overdue": (last_day - due).days,
                    "stale": bool(after.get(program_id, {}).get("stale")),
                }
            )
    return sorted(silent, key=lambda item: (-item["days_overdue"], item["program"]))


def report_content(*, portfolio_name: str, portfolio_slug: str, window: ReportWindow,
                   rows: "WeekRows") -> dict[str, Any]:  # fmt: skip
    """The stored content of a portfolio's report for the window's week."""
    ref = _Refs(rows.programs)
    before = _latest_by_program(rows.snapshots, window.before_day)
    after = _latest_by_program(rows.snapshots, window.last_day)
    return {
        "portfolio": {"name": portfolio_name, "slug": portfolio_slug},
        "week_start": window.week_start.isoformat(),
        "week_end": (window.week_end - datetime.timedelta(days=1)).isoformat(),
        "as_of": window.last_day.isoformat(),
        "grades": _grades(after),
        "grade_changes": _grade_changes(before, after, ref),
        "new_watermelons": _new_watermelons(before, after, ref),
        "slips": _slips(rows.slips, ref),
        "launches": _launches(rows.launches, ref),
        "asks": _asks(rows.asks, ref),
        "no_update": _no_update(rows.programs, after, window.last_day, ref),
    }


def visible_content(content: dict[str, Any], visible_ids: set[int] | None) -> dict[str, Any]:
    """The report as a reader sees it: items of programs they may not see are left out."""
    if visible_ids is None:
        return content
    keep = {**content}
    for section in (*SECTIONS, "grades"):
        keep[section] = [
            item for item in content.get(section, []) if item["program_id"] in visible_ids
        ]
    return keep


def summary(content: dict[str, Any]) -> dict[str, int]:
    """Programs per grade at the end of the week, and how many were stale, from the
    (visible) content."""
    counts = {grade.value: 0 for grade in Grade}
    stale = 0
    for item in content.get("grades", []):
        counts[item["grade"]] = counts.get(item["grade"], 0) + 1
        stale += bool(item.get("stale"))  # reports stored before stale was recorded: none
    counts["total"] = sum(counts.values())
    counts["stale"] = stale
    return counts
