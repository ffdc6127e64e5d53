"""Slack messages: each event's webhook JSON (``payloads.envelope``) as a short, linked message.

A message is ``{"text": …, "blocks": […]}``: ``text`` is the one line notifications and
clients without blocks show; the blocks say the same with a detail line and a context line
(portfolio, and Pulse). Links are absolute, in Slack's ``<url|label>`` form. Pure: no queries.
"""

import datetime
from collections.abc import Callable
from typing import Any

from core.grades import GRADE_RANK, Grade
from metrics.integrations.models import EventKind
from programs.models import ReportedHealth
from reviews.models import ResourceKind

type Json = dict[str, Any]

GRADE_EMOJI = {
    Grade.GREEN: ":large_green_circle:",
    Grade.YELLOW: ":large_yellow_circle:",
    Grade.RED: ":red_circle:",
}
SECTION_WORDS = {
    "grade_changes": ("grade change", "grade changes"),
    "new_watermelons": ("new watermelon", "new watermelons"),
    "slips": ("milestone slip", "milestone slips"),
    "launches": ("launch ahead", "launches ahead"),
    "asks": ("ask of leadership", "asks of leadership"),
    "no_update": ("program without an update", "programs without an update"),
}


def escape(text: str) -> str:
    """Text as Slack's mrkdwn takes it: its three control characters escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def link(url: str | None, label: str) -> str:
    return f"<{url}|{escape(label)}>" if url else escape(label)


def _grade(value: str | None) -> str:
    return Grade(value).label if value in GRADE_RANK else "Unscored"


def _day(iso: str) -> str:
    day = datetime.date.fromisoformat(iso)
    return f"{day:%A} {day.day} {day:%B %Y}"


def _program_link(envelope: Json) -> str:
    program = envelope["program"] or {}
    return f"*{link(program.get('url'), program.get('name', 'A program'))}*"


# Each event: (headline, detail) in mrkdwn; the detail may be empty.
def _grade_changed(e: Json) -> tuple[str, str]:
    d = e["data"]
    emoji = GRADE_EMOJI.get(d["to"], "")
    verb = "dropped to" if d.get("worse") else "rose to"
    headline = (
        f"{emoji} {_program_link(e)} {verb} *{_grade(d['to'])}* "
        f"(was {_grade(d['from'])}), score {d.get('score')}."
    )
    return headline, escape(d.get("reason") or "")


def _watermelon(e: Json) -> tuple[str, str]:
    d = e["data"]
    reported = d.get("reported")
    said = ReportedHealth(reported).label if reported in ReportedHealth.values else "on track"
    headline = (
        f":watermelon: {_program_link(e)} is a watermelon: its update says "
        f"*{said.lower()}*, Pulse computes *{_grade(d['grade'])}* "
        f"(score {d.get('score')})."
    )
    return headline, escape(d.get("reason") or "")


def _launch_review(e: Json) -> tuple[str, str]:
    d = e["data"]
    review = d.get("review") or {}
    approved = d["decision"] == "approved"
    what = "approved" if approved else "sent back: changes requested"
    by = f" by {escape(d['decided_by'])}" if d.get("decided_by") else ""
    headline = (
        f"{':white_check_mark:' if approved else ':leftwards_arrow_with_hook:'} Launch review "
        f"*{link(review.get('url'), review.get('title', 'a launch review'))}* of "
        f"{_program_link(e)} was {what}{by}."
    )
    detail = ""
    if review.get("launch_date"):
        detail = f"Launch on {_day(review['launch_date'])}, tier {review.get('tier')}."
    if d.get("comment"):
        detail += f"\n> {escape(d['comment'])}"
    return headline, detail.strip()


def _capacity_request(e: Json) -> tuple[str, str]:
    d = e["data"]
    request = d.get("request") or {}
    kind = request.get("resource_kind")
    label = ResourceKind(kind).label if kind in ResourceKind.values else "capacity"
    asked = request.get("amount_text") or ""
    emoji = {"approved": ":white_check_mark:", "partially_approved": ":heavy_minus_sign:"}.get(
        d["decision"], ":no_entry:"
    )
    if d["decision"] == "denied":
        what = f"{asked} of {label} denied"
    elif d["decision"] == "partially_approved":
        what = f"{request.get('approved_text')} of {label} approved (of {asked} asked)"
    else:
        what = f"{asked} of {label} approved"
    by = " automatically" if d.get("auto_approved") else ""
    if d.get("decided_by"):
        by = f" by {escape(d['decided_by'])}"
    headline = (
        f"{emoji} Capacity request {link(request.get('url'), '#' + str(request.get('id', '')))} "
        f"of *{escape(request.get('team', ''))}* for {_program_link(e)}: {escape(what)}{by}."
    )
    detail = f"{request.get('quarter', '')} budget"
    if d.get("note"):
        detail += f"\n> {escape(d['note'])}"
    return headline, detail


def _weekly_report(e: Json) -> tuple[str, str]:
    d = e["data"]
    report = d.get("report") or {}
    portfolio = (e.get("portfolio") or {}).get("name", "")
    week = _day(report["week_start"]) if report.get("week_start") else "last week"
    headline = (
        f":bar_chart: The weekly report of *{escape(portfolio)}* for the week of {week} is "
        f"ready: {link(report.get('url'), 'read it in Pulse')}."
    )
    parts = []
    for section, count in (d.get("counts") or {}).items():
        if count:
            one, many = SECTION_WORDS.get(section, (section, section))
            parts.append(f"{count} {one if count == 1 else many}")
    return headline, " · ".join(parts) or "A quiet week: nothing to report."


def _update_overdue(e: Json) -> tuple[str, str]:
    d = e["data"]
    days = d.get("days_overdue", 0)
    headline = (
        f":hourglass: {_program_link(e)}'s status update is overdue: it was due "
        f"{_day(d['due'])} ({days} day{'s' if days != 1 else ''} ago)."
    )
    tpm = f"TPM: {escape(d['tpm'])}. " if d.get("tpm") else ""
    return headline, f"{tpm}{link(d.get('update_url'), 'Write the update')}"


FORMATTERS: dict[str, Callable[[Json], tuple[str, str]]] = {
    EventKind.GRADE_CHANGED: _grade_changed,
    EventKind.WATERMELON: _watermelon,
    EventKind.LAUNCH_REVIEW_DECIDED: _launch_review,
    EventKind.CAPACITY_REQUEST_DECIDED: _capacity_request,
    EventKind.WEEKLY_REPORT_READY: _weekly_report,
    EventKind.UPDATE_OVERDUE: _update_overdue,
}


def slack_message(envelope: Json) -> Json:
    """The Slack message of an event's webhook JSON."""
    headline, detail = FORMATTERS[envelope["event"]](envelope)
    portfolio = (envelope.get("portfolio") or {}).get("name")
    context = f"{EventKind(envelope['event']).label} · Pulse"
    if portfolio:
        context = f"{escape(portfolio)} · {context}"
    blocks: list[Json] = [{"type": "section", "text": {"type": "mrkdwn", "text": headline}}]
    if detail:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": detail}})
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": context}]})
    return {"text": headline, "blocks": blocks, "unfurl_links": False}
