"""The weekly report: what changed in a portfolio over one week, built, stored, rendered, mailed.

A week runs Monday to Sunday. The report of the week starting ``week_start`` compares each
program's snapshot at the end of the week with the one a week earlier (grade moves, each with
the sentence of the reason that decides the new grade; new watermelons: a *current* update
reporting on track while the grade is yellow or red; a stale program, with no current update,
is never a watermelon and is marked stale among the programs without an update), lists the milestone slips recorded during the week with their reasons, the asks
of leadership in the week's status updates, the programs whose update was overdue at the end of
the week, and the launches of the 14 days after it.

Every item names its program, so readers get the report without the confidential programs
they may not see (``visible_content``); the stored Markdown is the full rendering.
"""

import datetime
import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, Max, Q
from django.urls import reverse
from django.utils import timezone

from metrics.health import reason_view
from metrics.models import HealthSnapshot, ReportSubscription, WeeklyReport
from programs.models import MilestoneDateChange, Portfolio, Program, StatusUpdate
from programs.selectors import ACTIVE_PHASES, visible_programs
from reviews.models import OPEN_REVIEW_STATES, LaunchReview

logger = logging.getLogger(__name__)

LAUNCH_LOOKAHEAD_DAYS = 14
# A snapshot this many days before the compared day still stands for it (a missed recompute).
SNAPSHOT_TOLERANCE_DAYS = 6
SECTIONS = ("grade_changes", "new_watermelons", "slips", "launches", "asks", "no_update")
SECTION_TITLES = {
    "grade_changes": "Grade changes",
    "new_watermelons": "New watermelons",
    "slips": "Milestone slips",
    "launches": "Launches in the next 14 days",
    "asks": "Asks of leadership",
    "no_update": "Programs without an update",
}
GRADE_RANK = {"red": 0, "yellow": 1, "green": 2}


def week_start_of(day: datetime.date) -> datetime.date:
    """The Monday of the week ``day`` falls in."""
    return day - datetime.timedelta(days=day.weekday())


def last_complete_week(today: datetime.date) -> datetime.date:
    """The Monday of the last full week before ``today`` (what Monday's report covers)."""
    return week_start_of(today) - datetime.timedelta(days=7)


def _start_of_day(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _person(user) -> str:
    if user is None:
        return "someone"
    return user.get_full_name() or user.username


def first_reason_text(reasons_head: dict | None, grade: str) -> str:
    """The sentence of the reason deciding a yellow or red grade (a snapshot's first reason,
    old stored ones in their words); '' for green, where reasons are watch lines at most."""
    if not reasons_head or grade not in ("yellow", "red"):
        return ""
    return reason_view(reasons_head)["text"]


def _latest_by_program(rows: Iterable[dict], until: datetime.date) -> dict[int, dict]:
    """The latest snapshot row on or before ``until`` (within the tolerance), per program."""
    since = until - datetime.timedelta(days=SNAPSHOT_TOLERANCE_DAYS)
    latest: dict[int, dict] = {}
    for row in rows:
        if since <= row["day"] <= until:
            current = latest.get(row["program_id"])
            if current is None or row["day"] > current["day"]:
                latest[row["program_id"]] = row
    return latest


def build_weekly_report(
    *, portfolio: Portfolio, week_start: datetime.date, today: datetime.date | None = None
) -> dict[str, Any]:
    """The structured content of a portfolio's report for one week (six queries)."""
    today = today or timezone.localdate()
    week_end = week_start + datetime.timedelta(days=7)  # exclusive: the next Monday
    last_day = min(week_end - datetime.timedelta(days=1), today)
    before_day = week_start - datetime.timedelta(days=1)  # the Sunday before: a week earlier
    issued_on = min(week_end, today)
    starts, ends = _start_of_day(week_start), _start_of_day(last_day + datetime.timedelta(days=1))

    programs = {
        p["id"]: p
        for p in Program.objects.filter(portfolio=portfolio, phase__in=ACTIVE_PHASES)
        .annotate(
            last_update=Max(
                "status_updates__created_at", filter=Q(status_updates__created_at__lt=ends)
            )
        )
        .values(
            "id",
            "name",
            "slug",
            "created_at",
            "update_cadence_days",
            "last_update",
            "tpm__first_name",
            "tpm__last_name",
            "tpm__username",
        )  # fmt: skip
    }
    ids = list(programs)

    def ref(program_id: int) -> dict[str, Any]:
        program = programs[program_id]
        return {"program_id": program_id, "program": program["name"], "slug": program["slug"]}

    snapshots = list(
        HealthSnapshot.objects.filter(
            program_id__in=ids,
            day__gte=before_day - datetime.timedelta(days=SNAPSHOT_TOLERANCE_DAYS),
            day__lte=last_day,
        ).values(
            "program_id",
            "day",
            "grade",
            "score",
            "watermelon",
            "stale",
            "reported_health",
            "reasons__0",  # the first reason only: the one that decides the grade
        )
    )
    before = _latest_by_program(snapshots, before_day)
    after = _latest_by_program(snapshots, last_day)

    grade_changes, new_watermelons, grades = [], [], []
    for program_id, now in after.items():
        grades.append(
            {
                "program_id": program_id,
                "grade": now["grade"],
                "score": now["score"],
                "stale": now["stale"],
            }
        )
        reason = first_reason_text(now["reasons__0"], now["grade"])
        then = before.get(program_id)
        if then and then["grade"] != now["grade"]:
            grade_changes.append(
                {
                    **ref(program_id),
                    "from": then["grade"],
                    "to": now["grade"],
                    "score_from": then["score"],
                    "score_to": now["score"],
                    "worse": GRADE_RANK.get(now["grade"], 0) < GRADE_RANK.get(then["grade"], 0),
                    "reason": reason,
                }
            )
        # Flagged by the engine's rule; a stale program (no current update) never is one.
        watermelon = now["watermelon"] and not now["stale"]
        if watermelon and not (then and then["watermelon"] and not then["stale"]):
            new_watermelons.append(
                {
                    **ref(program_id),
                    "reported": now["reported_health"],
                    "grade": now["grade"],
                    "score": now["score"],
                    "reason": reason,
                }
            )
    grade_changes.sort(key=lambda item: (not item["worse"], item["program"]))
    new_watermelons.sort(key=lambda item: item["program"])

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
        for change in MilestoneDateChange.objects.filter(
            milestone__program_id__in=ids,
            changed_at__gte=starts,
            changed_at__lt=ends,
            to_date__gt=F("from_date"),  # slips only, not pull-ins
        )
        .select_related("milestone", "changed_by")
        .order_by("-to_date", "changed_at")
    ]
    slips.sort(key=lambda item: (-item["days"], item["program"]))

    launches = [
        {
            **ref(review.program_id),
            "review_id": review.pk,
            "title": review.title,
            "date": review.launch_date.isoformat(),
            "state": review.state,
            "state_label": review.get_state_display(),
            "tier": review.tier,
        }
        for review in LaunchReview.objects.filter(
            program_id__in=ids,
            state__in=OPEN_REVIEW_STATES,
            launch_date__gte=issued_on,
            launch_date__lte=issued_on + datetime.timedelta(days=LAUNCH_LOOKAHEAD_DAYS),
        ).order_by("launch_date", "id")
    ]

    asks = [
        {
            **ref(update.program_id),
            "update_id": update.pk,
            "author": _person(update.author),
            "on": timezone.localdate(update.created_at).isoformat(),
            "asks": update.asks.strip(),
        }
        for update in StatusUpdate.objects.filter(
            program_id__in=ids, created_at__gte=starts, created_at__lt=ends
        )
        .exclude(asks="")
        .select_related("author")
        .order_by("program__name", "-created_at")
    ]

    no_update = []
    for program_id, program in programs.items():
        last = program["last_update"]
        since = timezone.localdate(last or program["created_at"])
        due = since + datetime.timedelta(days=program["update_cadence_days"])
        if due < last_day:
            no_update.append(
                {
                    **ref(program_id),
                    "tpm": f"{program['tpm__first_name']} {program['tpm__last_name']}".strip()
                    or program["tpm__username"],
                    "last_update": timezone.localdate(last).isoformat() if last else None,
                    "due": due.isoformat(),
                    "days_overdue": (last_day - due).days,
                    "stale": bool(after.get(program_id, {}).get("stale")),
                }
            )
    no_update.sort(key=lambda item: (-item["days_overdue"], item["program"]))

    return {
        "portfolio": {"name": portfolio.name, "slug": portfolio.slug},
        "week_start": week_start.isoformat(),
        "week_end": (week_end - datetime.timedelta(days=1)).isoformat(),
        "as_of": last_day.isoformat(),
        "grades": grades,
        "grade_changes": grade_changes,
        "new_watermelons": new_watermelons,
        "slips": slips,
        "launches": launches,
        "asks": asks,
        "no_update": no_update,
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
    counts = {"green": 0, "yellow": 0, "red": 0}
    stale = 0
    for item in content.get("grades", []):
        counts[item["grade"]] = counts.get(item["grade"], 0) + 1
        stale += bool(item.get("stale"))  # reports stored before stale was recorded: none
    counts["total"] = sum(counts.values())
    counts["stale"] = stale
    return counts


def _date(value: str) -> str:
    return datetime.date.fromisoformat(value).strftime("%a %-d %b")


def render_markdown(content: dict[str, Any], *, base_url: str = "") -> str:
    """The report as Markdown: for the download and the e-mail."""

    def link(item: dict[str, Any]) -> str:
        url = f"{base_url}{reverse('programs:detail', kwargs={'slug': item['slug']})}"
        return f"[{item['program']}]({url})"

    week_start = datetime.date.fromisoformat(content["week_start"])
    week_end = datetime.date.fromisoformat(content["week_end"])
    counts = summary(content)
    lines = [
        f"# {content['portfolio']['name']} — weekly report",
        "",
        f"Week of {week_start:%-d %b} to {week_end:%-d %b %Y}, as of {_date(content['as_of'])}.",
        "",
        f"**{counts['total']} program{'' if counts['total'] == 1 else 's'} scored:** {counts['green']} green, "
        f"{counts['yellow']} yellow, {counts['red']} red"
        + (f"; {counts['stale']} stale (no current update)." if counts["stale"] else "."),
    ]

    def why(item: dict[str, Any]) -> str:
        return f" — {item['reason']}" if item.get("reason") else ""

    def section(key: str, items: list[dict[str, Any]], line) -> None:
        lines.extend(["", f"## {SECTION_TITLES[key]} ({len(items)})", ""])
        if not items:
            lines.append("Nothing this week.")
        for item in items:
            lines.append(line(item))

    section(
        "grade_changes",
        content["grade_changes"],
        lambda i: (
            f"- {link(i)}: {i['from']} → **{i['to']}** (score {i['score_from']} → {i['score_to']})"
            + why(i)
        ),
    )
    section(
        "new_watermelons",
        content["new_watermelons"],
        lambda i: (
            f"- {link(i)}: reported {i['reported'].replace('_', ' ')}, computed "
            f"**{i['grade']}** ({i['score']})" + why(i)
        ),
    )
    section(
        "slips",
        content["slips"],
        lambda i: (
            f"- {link(i)} — {i['milestone']}{' (critical)' if i['critical'] else ''}: "
            f"{_date(i['from'])} → **{_date(i['to'])}** (+{i['days']} days). "
            f"Reason: {' '.join(i['reason'].split())} — {i['by']}, {_date(i['on'])}"
        ),
    )
    section(
        "launches",
        content["launches"],
        lambda i: (
            f"- {_date(i['date'])}: {link(i)} — {i['title']} (tier {i['tier']}, "
            f"{i['state_label'].lower()})"
        ),
    )
    section(
        "asks",
        content["asks"],
        lambda i: (
            f"- {link(i)} ({i['author']}, {_date(i['on'])}):\n"
            + "\n".join(f"  > {row}" if row else "  >" for row in i["asks"].splitlines())
        ),
    )
    section(
        "no_update",
        content["no_update"],
        lambda i: (
            f"- {link(i)} — TPM {i['tpm']}: due {_date(i['due'])}, "
            f"{i['days_overdue']} day{'s' if i['days_overdue'] != 1 else ''} overdue"
            + (f" (last {_date(i['last_update'])})" if i["last_update"] else " (never updated)")
            + (" — **stale**: what it last reported no longer counts" if i.get("stale") else "")
        ),
    )
    lines.append("")
    return "\n".join(lines)


# --- Writes ---------------------------------------------------------------------------------


@transaction.atomic
def weekly_report_generate(
    *,
    portfolio: Portfolio,
    week_start: datetime.date,
    user=None,
    today: datetime.date | None = None,
) -> WeeklyReport:
    """Build and store a portfolio's report for the week: one per portfolio and week.

    Regenerating replaces the content (and keeps ``emailed_at``, so subscribers are not
    mailed twice for the same week).
    """
    week_start = week_start_of(week_start)
    content = build_weekly_report(portfolio=portfolio, week_start=week_start, today=today)
    report, _created = WeeklyReport.objects.select_for_update().update_or_create(
        portfolio=portfolio,
        week_start=week_start,
        defaults={
            "content": content,
            "markdown": render_markdown(content, base_url=settings.SITE_URL),
            "generated_at": timezone.now(),
            "generated_by": user,
        },
    )
    return report


def weekly_report_email(*, report: WeeklyReport) -> int:
    """E-mail the report to its portfolio's subscribers, once; returns how many were sent.

    Each subscriber gets the version they may read (confidential programs left out for
    those who cannot see them). The report is marked first, under a row lock, so two runs
    never both send.
    """
    with transaction.atomic():
        locked = WeeklyReport.objects.select_for_update().get(pk=report.pk)
        if locked.emailed_at is not None:
            return 0
        locked.emailed_at = timezone.now()
        locked.save(update_fields=["emailed_at"])
    subscriptions = ReportSubscription.objects.filter(
        portfolio_id=report.portfolio_id
    ).select_related("user")
    sent = 0
    week = datetime.date.fromisoformat(report.content["week_start"])
    for subscription in subscriptions:
        user = subscription.user
        if not user.is_active or not user.email:
            continue
        visible = set(
            visible_programs(user)
            .filter(portfolio_id=report.portfolio_id)
            .values_list("pk", flat=True)
        )
        body = render_markdown(visible_content(report.content, visible), base_url=settings.SITE_URL)
        url = f"{settings.SITE_URL}{report.get_absolute_url()}"
        try:
            send_mail(
                subject=f"[Pulse] {report.portfolio.name}: weekly report, week of {week:%-d %b}",
                message=f"{body}\n---\nRead it in Pulse: {url}\nUnsubscribe on that page.\n",
                from_email=None,
                recipient_list=[user.email],
            )
        except Exception:  # noqa: BLE001 - one bad address must not stop the others
            logger.exception("weekly report: could not mail %s", user.email)
            continue
        sent += 1
    return sent


def subscription_toggle(*, user, portfolio: Portfolio) -> bool:
    """Subscribe the user to the portfolio's weekly report, or unsubscribe; True if now on."""
    deleted, _ = ReportSubscription.objects.filter(user=user, portfolio=portfolio).delete()
    if deleted:
        return False
    ReportSubscription.objects.get_or_create(user=user, portfolio=portfolio)
    return True
