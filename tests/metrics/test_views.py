"""The metrics pages: the health and success-metric sections of the program page, and forms."""

import datetime
import re

import pytest
from django.utils import timezone

from metrics.models import MetricReading, SuccessMetric
from metrics.services import health_recompute
from programs import services as program_services
from tests.factories import (
    HealthSnapshotFactory,
    MembershipFactory,
    MetricReadingFactory,
    MilestoneFactory,
    SuccessMetricFactory,
)

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


def test_long_overdue_forecast_says_overdue_not_a_date(client, tpm, program):
    """A next critical milestone 272 days overdue reads "overdue 272 days" in the health panel:
    the engine's forecast (no earlier than today) would only be today's date."""
    today = timezone.localdate()
    late = today - datetime.timedelta(days=272)
    MilestoneFactory(
        program=program, name="Cutover", critical=True, state="in_progress",
        baseline_date=late, target_date=late,
    )  # fmt: skip
    health_recompute(program_ids=[program.pk])
    client.force_login(tpm)
    health = _health_section(client.get(program.get_absolute_url()).content.decode())
    forecast = health.split('class="forecast"', 1)[1].split("</div>", 1)[0]
    assert "overdue 272 days" in forecast
    assert "forecast" not in forecast and "late" not in forecast
    assert f"{today.day} {today:%b %Y}" not in forecast  # today's date is no forecast


def test_metric_card_and_its_reason_expect_the_same_value(client, tpm, program):
    """The card's "expected" is the path's value on the latest reading's day, written as the
    reason writes it: both say 598.07 queues (today's path value, 647.59, would differ)."""
    today = timezone.localdate()
    metric = SuccessMetricFactory(
        program=program, name="Queues moved", unit="queues", baseline_value=0,
        target_value=1142.8, baseline_date=today - datetime.timedelta(days=170),
        target_date=today + datetime.timedelta(days=130),
    )  # fmt: skip
    MetricReadingFactory(
        metric=metric, value=120.5, measured_on=today - datetime.timedelta(days=13)
    )
    health_recompute(program_ids=[program.pk])
    client.force_login(tpm)
    html = client.get(program.get_absolute_url()).content.decode()
    assert "(expected 598.07 queues:" in _health_section(html)
    card = html.split(f'id="metric-{metric.pk}"', 1)[1].split("</article>", 1)[0]
    assert "expected 598.07 queues" in card
    assert "0 → 1,142.8 queues" in card and ">120.5<" in card


def _health_section(html: str) -> str:
    return html.split('id="health"', 1)[1].split("</section>\n", 1)[0]


@pytest.fixture
def red_program(program, tpm):
    """Red through the services: a critical milestone 30 days overdue (red), a high risk with
    no mitigation (yellow), a milestone 5 days overdue (watch), an on-track update (current)."""
    today = timezone.localdate()
    program_services.milestone_create(
        program=program, user=tpm, name="GA in eu-west", critical=True, state="in_progress",
        target_date=today - datetime.timedelta(days=30),
    )  # fmt: skip
    program_services.milestone_create(
        program=program, user=tpm, name="Docs refresh", state="in_progress",
        target_date=today - datetime.timedelta(days=5),
    )  # fmt: skip
    program_services.risk_create(
        program=program, user=tpm, title="Vendor firmware late", likelihood=4, impact=5
    )
    program_services.status_update_post(
        program=program, user=tpm, reported_health="on_track", summary="All fine."
    )
    health_recompute(program_ids=[program.pk])
    program.refresh_from_db()
    return program


def test_red_program_panel_shows_severities_and_what_would_make_it_green(client, tpm, red_program):
    """Each signal carries its severity, worst first; "what would make it green" lists the red
    and yellow ones in that order with their remedies, and leaves the watch line out."""
    assert red_program.health_grade == "red" and red_program.health_cause == "schedule"
    client.force_login(tpm)
    panel = _health_section(client.get(red_program.get_absolute_url()).content.decode())
    why, to_green = panel.split("What would make it green", 1)
    critical = "Critical milestone &#x27;GA in eu-west&#x27; is 30 days overdue"
    risk = "Risk &#x27;Vendor firmware late&#x27; (likelihood 4 × impact 5 = 20)"
    watch = "Milestone &#x27;Docs refresh&#x27; is 5 days overdue"
    assert why.index(critical) < why.index(risk) < why.index(watch)
    assert why.index('class="sev sev-red"') < why.index(critical)
    assert why.index(critical) < why.index('class="sev sev-yellow"') < why.index(risk)
    assert why.index(risk) < why.index('class="sev sev-watch"') < why.index(watch)
    assert "ceiling" not in panel
    remedy_critical = "Finish &#x27;GA in eu-west&#x27;, or re-plan it with a new date and a reason"
    remedy_risk = "Start mitigating &#x27;Vendor firmware late&#x27;, or set a new mitigation date"
    assert to_green.index(remedy_critical) < to_green.index(remedy_risk)
    assert critical in to_green and watch not in to_green
    # A current on-track update on a red program: the watermelon flag, explained in its title.
    assert 'class="tag tag-watermelon" title="Watermelon: green outside, red inside.' in panel
    assert "tag-stale" not in panel


def test_panel_scores_a_family_at_zero_and_says_which_have_no_data(client, tpm, program):
    """A family at 0 shows its number; a family with nothing to judge is "not scored"."""
    HealthSnapshotFactory(
        program=program, score=20, grade="red",
        components={"schedule": 0, "freshness": 100},
        reasons=[{"family": "schedule", "severity": "red", "code": "many_overdue",
                  "subject_id": None, "subject": "", "figures": {"count": 6}, "cost": 100}],
        computed_at=timezone.now(),
    )  # fmt: skip
    client.force_login(tpm)
    panel = _health_section(client.get(program.get_absolute_url()).content.decode())
    assert 'aria-label="Schedule 0 of 100"' in panel
    assert '<span class="component-score">0</span>' in panel
    risk_row = panel.split(">Risk</span>", 1)[1].split("</li>", 1)[0]
    assert "not scored: no data" in risk_row
    assert "6 open milestones are overdue" in panel


def test_panel_shows_a_stale_program_as_stale_and_old_reasons_in_their_words(client, tpm, program):
    """A stale snapshot is flagged stale (not watermelon); a reason stored before reasons were
    structured keeps its words and shows the points it cost."""
    HealthSnapshotFactory(
        program=program, score=60, grade="yellow", stale=True,
        reported_health="on_track", components={"freshness": 40},
        reasons=[{"component": "freshness", "text": "No update for 30 days", "points": 12.5}],
        computed_at=timezone.now(),
    )  # fmt: skip
    client.force_login(tpm)
    panel = _health_section(client.get(program.get_absolute_url()).content.decode())
    assert 'class="tag tag-stale"' in panel and "tag-watermelon" not in panel
    assert "No update for 30 days" in panel and "−12.5" in panel
    assert "What would make it green" not in panel  # an old reason has no severity to clear


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
            "reading_interval_days": "30",
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
    metric = SuccessMetricFactory(
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


def test_risk_matrix_counts_link_to_the_risk_entries_and_name_no_risk(client, tpm, program):
    """The matrix shows one count per occupied cell, linking to that cell's first risk in the
    Risks section; the risks' titles are written only there."""
    from tests.factories import RiskFactory

    first = RiskFactory(program=program, title="Vendor firmware late", likelihood=4, impact=5)
    RiskFactory(program=program, title="Vendor API churn", likelihood=4, impact=5)
    small = RiskFactory(program=program, title="Label printer jams", likelihood=1, impact=2)
    RiskFactory(program=program, title="Old lease", likelihood=5, impact=5, state="closed")
    client.force_login(tpm)
    html = client.get(program.get_absolute_url()).content.decode()
    matrix = html.split('id="risk-matrix"', 1)[1].split("</section>", 1)[0]
    assert "3 open" in matrix
    for title in ("Vendor firmware late", "Vendor API churn", "Label printer jams", "Old lease"):
        assert title not in matrix
    cells = re.findall(
        r'<a class="risk-cell-link" href="#risk-(\d+)"><span class="risk-count">(\d+)</span>',
        matrix,
    )
    assert sorted(cells) == sorted([(str(first.pk), "2"), (str(small.pk), "1")])
    assert (
        "> risks at likelihood 4, impact 5: go to the first in the list<" in matrix
    )  # its screen-reader name
    for pk, _ in cells:
        assert f'id="risk-{pk}"' in html  # the entries it links to are on the page
