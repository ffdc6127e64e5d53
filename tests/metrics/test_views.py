"""The metrics pages: the health and success-metric sections of the program page, and forms."""

import datetime

import pytest
from django.utils import timezone

from metrics.models import MetricReading, SuccessMetric
from metrics.services import health_recompute
from tests.factories import MembershipFactory, MilestoneFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def scored_program(program):
    today = timezone.localdate()
    MilestoneFactory(
        program=program, name="GA in eu-west", critical=True, state="in_progress",
        baseline_date=today - datetime.timedelta(days=30), target_date=today - datetime.timedelta(days=30),
    )  # fmt: skip
    health_recompute(program_ids=[program.pk])
    return program


def test_program_page_shows_score_reasons_and_forecast(client, tpm, scored_program):
    client.force_login(tpm)
    html = client.get(scored_program.get_absolute_url()).content.decode()
    assert 'id="health"' in html
    assert "Critical milestone &#x27;GA in eu-west&#x27; is 30 days overdue" in html
    assert "Next critical milestone" in html
    assert "plotly-basic.min.js" in html and "js/charts.js" in html


def test_program_page_without_a_score_says_so(client, tpm, program):
    client.force_login(tpm)
    assert "Not scored yet" in client.get(program.get_absolute_url()).content.decode()


def test_tpm_adds_a_metric_and_records_a_reading(
    client, tpm, program, django_capture_on_commit_callbacks
):
    client.force_login(tpm)
    today = timezone.localdate()
    response = client.post(
        f"/programs/{program.slug}/metrics/new/",
        {
            "name": "Hosts on kernel 6.12",
            "unit": "hosts",
            "direction": "increase",
            "baseline_value": "0",
            "target_value": "1000",
            "baseline_date": (today - datetime.timedelta(days=50)).isoformat(),
            "target_date": (today + datetime.timedelta(days=50)).isoformat(),
        },  # fmt: skip
    )
    assert response.status_code == 302
    metric = SuccessMetric.objects.get(program=program)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/programs/{program.slug}/metrics/{metric.pk}/readings/new/",
            {"value": "200", "measured_on": today.isoformat(), "source": "fleet dashboard"},
        )
    assert response.status_code == 302
    assert MetricReading.objects.get(metric=metric).recorded_by == tpm
    html = client.get(program.get_absolute_url()).content.decode()
    assert "Hosts on kernel 6.12" in html and "behind · expected 500" in html
    program.refresh_from_db()
    assert program.health_score is not None, "the reading recomputed health on commit"


def test_metric_form_shows_field_errors_and_keeps_input(client, tpm, program):
    client.force_login(tpm)
    response = client.post(
        f"/programs/{program.slug}/metrics/new/",
        {"name": "Flat", "unit": "x", "direction": "increase", "baseline_value": "5",
         "target_value": "5", "baseline_date": "2026-01-01", "target_date": "2025-01-01"},
    )  # fmt: skip
    assert response.status_code == 200
    html = response.content.decode()
    assert 'value="Flat"' in html
    assert "must be after the baseline date" in html or "must differ" in html
    assert not SuccessMetric.objects.exists()


def test_future_reading_is_refused(client, tpm, program):
    metric = SuccessMetric.objects.create(
        program=program, name="m", baseline_value=0, target_value=1,
        baseline_date=datetime.date(2026, 1, 1), target_date=datetime.date(2027, 1, 1),
    )  # fmt: skip
    client.force_login(tpm)
    future = (timezone.localdate() + datetime.timedelta(days=3)).isoformat()
    response = client.post(
        f"/programs/{program.slug}/metrics/{metric.pk}/readings/new/",
        {"value": "1", "measured_on": future},
    )
    assert response.status_code == 200
    assert "cannot be dated in the future" in response.content.decode()
    assert not MetricReading.objects.exists()


@pytest.mark.parametrize(("who", "status"), [("contributor", 403), ("outsider", 403)])
def test_non_editors_cannot_add_metrics(client, program, outsider, who, status):
    user = outsider
    if who == "contributor":
        MembershipFactory(program=program, user=outsider, role="contributor")
    client.force_login(user)
    assert client.get(f"/programs/{program.slug}/metrics/new/").status_code == status


def test_confidential_program_metrics_are_404_for_outsiders(client, outsider, confidential_program):
    client.force_login(outsider)
    assert client.get(f"/programs/{confidential_program.slug}/metrics/new/").status_code == 404
