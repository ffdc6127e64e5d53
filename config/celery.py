"""The Celery app and every periodic schedule (each with when and why)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("pulse")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Schedules are added here by the health engine and the reviews as they land.
app.conf.beat_schedule = {}
