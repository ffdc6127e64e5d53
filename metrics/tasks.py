"""Celery tasks of the health engine. Thin: ids in, the service does the work.

Every task is idempotent (a snapshot is an upsert keyed by program and day), acknowledged
late and re-queued if its worker dies (settings: acks_late, reject_on_worker_lost).
"""

import datetime
import logging
from functools import reduce
from operator import or_

from celery import shared_task
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from core.emails import absolute, send_on_commit
from metrics.analytics.export import export_run, exports_tidy
from metrics.integrations.events import publish
from metrics.integrations.models import EventKind
from metrics.models import UpdateReminder
from metrics.reports import services as report_services
from metrics.reports.build import last_complete_week
from metrics.services import health_recompute
from metrics.tuning import forecast_tune
from programs.models import Phase, Portfolio, Program

logger = logging.getLogger(__name__)

# Edits within this window after the first one share one recompute: a burst costs one run.
COALESCE_SECONDS = 1
PENDING_KEY = "health:pending:{}"
RETRY = {
    "autoretry_for": (Exception,),
    "retry_backoff": 5,
    "retry_backoff_max": 120,
    "max_retries": 5,
}


def schedule_program_recompute(program_ids) -> None:
    """Enqueue one recompute per program unless one is already waiting to run (coalescing).

    Best effort: a save never fails because Redis (the cache that coalesces, or the broker) is
    down. A program whose recompute could not be enqueued is marked in the database
    (``health_pending_since``) and ``recompute_pending_health`` rescores it once the broker is
    back.
    """
    missed = []
    for program_id in program_ids:
        try:
            if cache.add(PENDING_KEY.format(program_id), 1, timeout=60):
                # retry=False: with the broker down, fail at once rather than hold the request.
                recompute_program_health.apply_async(
                    args=[program_id], countdown=COALESCE_SECONDS, retry=False
                )
        except Exception:  # redis, kombu and socket errors alike: the change is saved anyway
            logger.warning(
                "health recompute of program %s not enqueued; marked for the sweep",
                program_id,
                exc_info=True,
            )
            missed.append(program_id)
    if missed:
        Program.objects.filter(pk__in=missed).update(health_pending_since=timezone.now())


@shared_task(bind=True, **RETRY)
def recompute_program_health(self, program_id: int) -> int:
    """Recompute one program after a change (and re-open the coalescing window first)."""
    cache.delete(PENDING_KEY.format(program_id))
    return health_recompute(program_ids=[program_id]).programs


# Programs rescored per sweep; more wait for the next minute's.
SWEEP_BATCH = 1000


@shared_task(bind=True, **RETRY)
def recompute_pending_health(self) -> int:
    """Every minute (Celery beat): rescore the programs whose change could not be enqueued.

    A mark is cleared only if it did not change meanwhile: a change made while this runs is
    rescored by the next sweep. Idempotent: running it twice rescores the same programs.
    """
    pending = list(
        Program.objects.filter(health_pending_since__isnull=False)
        .order_by("health_pending_since")
        .values_list("pk", "health_pending_since")[:SWEEP_BATCH]
    )
    if not pending:
        return 0
    health_recompute(program_ids=[program_id for program_id, _ in pending])
    # One UPDATE: each program's mark cleared only if it is still the one read above.
    still_as_read = reduce(or_, (Q(pk=pk, health_pending_since=since) for pk, since in pending))
    Program.objects.filter(still_as_read).update(health_pending_since=None)
    logger.info("rescored %d programs whose recompute had not been enqueued", len(pending))
    return len(pending)


@shared_task(bind=True, **RETRY)
def recompute_all_health(self) -> int:
    """Recompute every program and write the day's snapshots (Celery beat)."""
    done = health_recompute()
    logger.info(
        "recomputed health of %d programs: %d scored, %d changed",
        done.programs, done.scored, done.changed,
    )  # fmt: skip
    return done.programs


@shared_task(bind=True, **RETRY)
def send_update_reminders(self) -> int:
    """E-mail each TPM whose program's status update is overdue; at most once a day each."""
    today = timezone.localdate()
    sent = 0
    candidates = (
        Program.objects.exclude(phase__in=[Phase.DONE, Phase.CANCELLED, Phase.PROPOSED])
        .select_related("tpm")
        .only("id", "name", "slug", "update_cadence_days", "last_update_at", "created_at", "tpm__email",
              "tpm__first_name", "tpm__username")
    )  # fmt: skip
    for program in candidates.iterator(chunk_size=1000):
        since = program.last_update_at or program.created_at
        due = timezone.localdate(since) + datetime.timedelta(days=program.update_cadence_days)
        if due >= today or not program.tpm.email:
            continue
        try:
            with transaction.atomic():
                UpdateReminder.objects.create(program=program, day=today, sent_to=program.tpm.email)
                send_on_commit(
                    "emails/update_reminder",
                    {
                        "name": program.tpm.first_name or program.tpm.username,
                        "program": program.name,
                        "due": f"{due:%A} {due.day} {due:%B}",
                        "url": absolute(reverse("programs:update-create", args=[program.slug])),
                    },
                    [program.tpm.email],
                )
                publish(
                    EventKind.UPDATE_OVERDUE,
                    program=program.pk,
                    data={"due": due.isoformat(), "days_overdue": (today - due).days},
                )
        except IntegrityError:
            continue  # already reminded today (a re-run of this task)
        sent += 1
    return sent


@shared_task(bind=True, **RETRY)
def weekly_report_generate(self, portfolio_id: int, week_start: str) -> int:
    """Build one portfolio's report for the week and mail its subscribers (once per report).

    Safe to run twice: the report is replaced in place and ``emailed_at`` stops a second mail.
    """
    portfolio = Portfolio.objects.filter(pk=portfolio_id).first()
    if portfolio is None:
        return 0  # deleted since it was queued
    report = report_services.weekly_report_generate(
        portfolio=portfolio, week_start=datetime.date.fromisoformat(week_start)
    )
    return report_services.weekly_report_email(report=report)


@shared_task(bind=True, **RETRY)
def weekly_reports_generate(self, week_start: str | None = None) -> int:
    """Monday morning (Celery beat): one report task per portfolio for the week just ended."""
    week = week_start or last_complete_week(timezone.localdate()).isoformat()
    ids = list(Portfolio.objects.order_by("pk").values_list("pk", flat=True))
    for portfolio_id in ids:
        weekly_report_generate.delay(portfolio_id, week)
    return len(ids)


# An export of 10,000 programs takes minutes: its limits stay under the broker's visibility
# timeout (15 min) so a slow run is not delivered twice, and it is not retried (the job row
# says it failed; the user starts another).
@shared_task(bind=True, time_limit=14 * 60, soft_time_limit=13 * 60)
def analytics_export(self, job_id: int) -> int:
    """Build one analytics export (metrics.analytics.export); returns the rows written."""
    job = export_run(job_id=job_id)
    return job.rows_written if job else 0


@shared_task(bind=True, **RETRY)
def analytics_exports_tidy(self) -> int:
    """Hourly (Celery beat): fail exports whose worker died, delete those past their keep."""
    stalled, deleted = exports_tidy(now=timezone.now())
    return stalled + deleted


@shared_task(bind=True, **RETRY)
def forecast_tune_weekly(self) -> float:
    """Weekly (Celery beat): tune the forecast from the year's finished milestones
    (metrics.tuning); returns the slip factor now in force."""
    return forecast_tune(now=timezone.now()).slip_factor


@shared_task(bind=True, ignore_result=True)
def insights_warm_up(self) -> list[str]:
    """A few seconds after writes replaced insights' generations: compute the sections
    leadership opens, so their first read finds them ready (metrics.insights.cache)."""
    from metrics.insights.cache import warm_up

    return warm_up()
