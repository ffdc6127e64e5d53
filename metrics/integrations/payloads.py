"""The JSON a webhook endpoint receives for each event (Slack's message is made from it).

Every event has the same envelope::

    {
      "id": "5b0f…",                    # the event's id: the same on every retry and re-send
      "event": "program.grade_changed",  # one of EventKind
      "occurred_at": "2026-10-05T07:00:00+00:00",
      "portfolio": {"id": 3, "name": "Infrastructure", "slug": "infrastructure"},
      "program": {"id": 12, "name": "Fleet kernel upgrade", "slug": "fleet-kernel-upgrade",
                  "url": "https://pulse.example.com/programs/fleet-kernel-upgrade/",
                  "grade": "red", "score": 41, "confidential": false},   # null: portfolio-wide
      "data": {…}                        # what the event says, by event:
    }

``data`` by event:

- ``program.grade_changed``: ``from``, ``to`` (grades), ``worse`` (bool), ``score``, ``cause``
  (the family of the deciding reason, "" when green) and ``reason`` (its sentence).
- ``program.watermelon``: ``reported`` (the latest update's ``on_track``), ``grade``
  (Pulse's), ``score``,
  ``reason``.
- ``launch_review.decided``: ``decision`` (``approved`` or ``changes_requested``),
  ``decided_by``, ``comment`` and ``review`` (``id``, ``title``, ``url``, ``launch_date``,
  ``tier``).
- ``capacity_request.decided``: ``decision`` (``approved``, ``partially_approved``,
  ``denied``), ``decided_by`` (null when approved automatically), ``auto_approved``,
  ``note`` and ``request`` (``id``, ``url``, ``team``, ``resource_kind``, ``amount``,
  ``approved_amount``, ``amount_text``, ``approved_text``, ``quarter``, ``needed_by``).
- ``weekly_report.ready``: ``report`` (``id``, ``url``, ``week_start``) and ``counts`` (items
  per section, confidential programs left out).
- ``status_update.overdue``: ``due`` (date), ``days_overdue``, ``tpm`` and ``update_url``.

Links are absolute (``SITE_URL``). Every value is read when the event is fanned out (a worker,
a second after the change).
"""

from typing import Any

from django.contrib.auth import get_user_model
from django.urls import reverse

from core.emails import absolute
from core.formatting import format_quantity
from metrics.integrations.models import EventKind
from metrics.models import WeeklyReport
from metrics.reports.build import SECTIONS, visible_content
from programs.models import Portfolio, Program
from reviews.models import RESOURCE_UNITS, CapacityRequest, LaunchReview

type Json = dict[str, Any]


def _person(user_id: int | None) -> str | None:
    if not user_id:
        return None
    user = get_user_model().objects.filter(pk=user_id).first()
    return (user.get_full_name() or user.get_username()) if user else None


def _portfolio(portfolio: Portfolio | None) -> Json | None:
    if portfolio is None:
        return None
    return {"id": portfolio.pk, "name": portfolio.name, "slug": portfolio.slug}


def _program(program: Program | None) -> Json | None:
    if program is None:
        return None
    return {
        "id": program.pk,
        "name": program.name,
        "slug": program.slug,
        "url": absolute(reverse("programs:detail", kwargs={"slug": program.slug})),
        "grade": program.health_grade or None,
        "score": program.health_score,
        "confidential": program.confidential,
    }


def _launch_review(data: Json) -> Json:
    review = LaunchReview.objects.filter(pk=data["review_id"]).first()
    return {
        "decision": data["decision"],
        "decided_by": _person(data.get("decided_by_id")),
        "comment": data.get("comment", ""),
        "review": review
        and {
            "id": review.pk,
            "title": review.title,
            "url": absolute(review.get_absolute_url()),
            "launch_date": review.launch_date.isoformat(),
            "tier": review.tier,
        },
    }


def _capacity_request(data: Json) -> Json:
    request = CapacityRequest.objects.select_related("team").filter(pk=data["request_id"]).first()
    details = None
    if request is not None:
        unit = RESOURCE_UNITS[request.resource_kind]
        approved = request.approved_amount
        details = {
            "id": request.pk,
            "url": absolute(request.get_absolute_url()),
            "team": request.team.name,
            "resource_kind": request.resource_kind,
            "amount": str(request.amount),
            "approved_amount": None if approved is None else str(approved),
            "amount_text": format_quantity(request.amount, unit),
            "approved_text": None if approved is None else format_quantity(approved, unit),
            "quarter": request.quarter,
            "needed_by": request.needed_by.isoformat(),
        }
    return {
        "decision": data["decision"],
        "decided_by": _person(data.get("decided_by_id")),
        "auto_approved": bool(data.get("auto_approved")),
        "note": request.decision_note if request else "",
        "request": details,
    }


def _weekly_report(data: Json) -> Json:
    report = WeeklyReport.objects.select_related("portfolio").filter(pk=data["report_id"]).first()
    if report is None:
        return {"report": None, "counts": {}}
    public = set(
        Program.objects.filter(portfolio_id=report.portfolio_id, confidential=False).values_list(
            "pk", flat=True
        )
    )
    content = visible_content(report.content, public)
    return {
        "report": {
            "id": report.pk,
            "url": absolute(report.get_absolute_url()),
            "week_start": report.week_start.isoformat(),
        },
        "counts": {section: len(content.get(section, [])) for section in SECTIONS},
    }


def _update_overdue(data: Json, program: Program | None) -> Json:
    return {
        "due": data["due"],
        "days_overdue": data["days_overdue"],
        "tpm": _person(program.tpm_id) if program else None,
        "update_url": program and absolute(reverse("programs:update-create", args=[program.slug])),
    }


def envelope(event: Json, *, program: Program | None, portfolio: Portfolio | None) -> Json:
    """The webhook JSON of ``event`` (as ``events.publish`` queued it)."""
    kind = event["event"]
    data: Json = event.get("data") or {}
    if kind == EventKind.LAUNCH_REVIEW_DECIDED:
        data = _launch_review(data)
    elif kind == EventKind.CAPACITY_REQUEST_DECIDED:
        data = _capacity_request(data)
    elif kind == EventKind.WEEKLY_REPORT_READY:
        data = _weekly_report(data)
    elif kind == EventKind.UPDATE_OVERDUE:
        data = _update_overdue(data, program)
    return {
        "id": event["id"],
        "event": kind,
        "occurred_at": event["occurred_at"],
        "portfolio": _portfolio(portfolio),
        "program": _program(program),
        "data": data,
    }
