"""The Celery app and every periodic schedule (each with when and why)."""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("pulse")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    # Scores move with the calendar (milestones become overdue, updates go stale) even when
    # nobody edits anything: recompute everything every 30 minutes, which also keeps the
    # day's snapshot current. Edits recompute their own program within seconds anyway.
    "recompute-all-health": {
        "task": "metrics.tasks.recompute_all_health",
        "schedule": crontab(minute="*/30"),
    },
    # Every minute: rescore programs whose change could not be enqueued while Redis was down
    # (marked in the database); once the broker is back, this is the first task beat sends.
    "recompute-pending-health": {
        "task": "metrics.tasks.recompute_pending_health",
        "schedule": crontab(minute="*"),
    },
    # Weekday mornings, before stand-ups: remind TPMs whose status update is overdue.
    "update-reminders": {
        "task": "metrics.tasks.send_update_reminders",
        "schedule": crontab(hour=9, minute=0, day_of_week="mon-fri"),
    },
    # Monday 07:00, before leadership's staff meetings: each portfolio's report of the week that
    # just ended, mailed to its subscribers. Idempotent (one report per portfolio and week).
    "weekly-reports": {
        "task": "metrics.tasks.weekly_reports_generate",
        "schedule": crontab(hour=7, minute=0, day_of_week="mon"),
    },
    # Monday 08:00, before the weekly operational review: create that week's review (its
    # agenda is built live from health, updates, launches and capacity). Idempotent: a week that
    # already has a review (made by hand or by an earlier run) gets no second one.
    "weekly-operational-review": {
        "task": "reviews.tasks.operational_review_create_weekly",
        "schedule": crontab(hour=8, minute=0, day_of_week="mon"),
    },
    # Hourly: fail analytics exports whose worker died (a progress bar that never moves) and
    # delete exports past EXPORT_KEEP_DAYS (they hold confidential data).
    "analytics-exports-tidy": {
        "task": "metrics.tasks.analytics_exports_tidy",
        "schedule": crontab(minute=40),
    },
    # Sunday 05:00, a quiet hour: tune the forecast's slip factor from the last year's finished
    # milestones (metrics.tuning); the next recompute scores every program with it.
    "forecast-tune": {
        "task": "metrics.tasks.forecast_tune_weekly",
        "schedule": crontab(hour=5, minute=0, day_of_week="sun"),
    },
    # Every minute: queue again the Slack and webhook deliveries the broker lost (or that were
    # made while it was down); a delivery's own retries are Celery countdowns, not this.
    "deliveries-resume": {
        "task": "metrics.integrations.tasks.deliveries_resume",
        "schedule": crontab(minute="*"),
    },
    # Hourly: forget Idempotency-Keys past IDEMPOTENCY_KEY_TTL_HOURS (the table stays small).
    "idempotency-records-prune": {
        "task": "reviews.tasks.idempotency_records_prune",
        "schedule": crontab(minute=15),
    },
}
