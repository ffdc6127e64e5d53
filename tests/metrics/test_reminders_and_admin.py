"""Overdue-update reminders and the metrics admin."""

import datetime

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from metrics.models import HealthPolicy, UpdateReminder
from metrics.tasks import send_update_reminders
from programs.models import Program
from tests.factories import HealthPolicyFactory, ProgramFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_reminders_go_to_tpms_with_overdue_updates_once_a_day(django_capture_on_commit_callbacks):
    late_tpm = UserFactory(email="late@example.com")
    late = ProgramFactory(tpm=late_tpm, name="Late program")
    Program.objects.filter(pk=late.pk).update(
        last_update_at=timezone.now() - datetime.timedelta(days=10)
    )
    fresh = ProgramFactory()
    Program.objects.filter(pk=fresh.pk).update(last_update_at=timezone.now())
    ProgramFactory(phase="done")
    with django_capture_on_commit_callbacks(execute=True):  # mails leave once the rows commit
        assert send_update_reminders() == 1
        assert send_update_reminders() == 0, "a re-run the same day sends nothing more"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["late@example.com"]
    assert "Late program" in message.subject
    assert (
        f"https://pulse.example.test/programs/{late.slug}/updates/new/" in message.body
    )  # absolute
    assert message.alternatives[0].mimetype == "text/html"
    assert UpdateReminder.objects.get().program == late


def test_only_one_default_policy():
    HealthPolicyFactory()
    with pytest.raises(ValidationError, match="already a default"):
        HealthPolicy(green_at=80).full_clean()


def test_yellow_must_be_below_green():
    with pytest.raises(ValidationError, match="below the green"):
        HealthPolicy(green_at=50, yellow_at=60).full_clean()


@pytest.mark.parametrize(
    "url",
    ["/admin/metrics/healthpolicy/", "/admin/metrics/healthpolicy/add/", "/admin/metrics/successmetric/",
     "/admin/metrics/healthsnapshot/", "/admin/metrics/updatereminder/"],
)  # fmt: skip
def test_metrics_admin_pages_render_for_the_admin_role(client, admin_user, url):
    client.force_login(admin_user)
    assert client.get(url).status_code == 200
