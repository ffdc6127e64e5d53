"""Each of Pulse's events, made where it happens (the health recompute, a launch review's last
sign-off, a capacity decision, the weekly report, the overdue-update reminder), reaches a
signed webhook and a Slack channel with the documented JSON and a readable message."""

import datetime

import pytest
from django.utils import timezone

from metrics.integrations.models import Delivery, DeliveryStatus, EventKind
from metrics.reports import services as report_services
from metrics.services import health_recompute
from metrics.tasks import send_update_reminders
from programs import services as program_services
from programs.models import Program
from reviews.capacity import services as capacity_services
from reviews.launch import services as launch_services
from tests.factories import MilestoneFactory, SlackChannelFactory, WebhookEndpointFactory
from tests.integrations.conftest import SECRET
from tests.reviews.conftest import file_request

pytestmark = pytest.mark.django_db

ENVELOPE = {"id", "event", "occurred_at", "portfolio", "program", "data"}


@pytest.fixture
def destinations(receiver, slack, program):
    """A webhook for every portfolio and a Slack channel of the program's portfolio."""
    WebhookEndpointFactory(url=receiver.url(), secret=SECRET)
    SlackChannelFactory(portfolio=program.portfolio, webhook_url=slack.url())


def sent(receiver, slack, kind: str) -> tuple[dict, dict]:
    """The one webhook body and the one Slack message of ``kind``; every request verified."""
    assert all(r.verified for r in receiver.received)
    bodies = [r.json for r in receiver.received if r.json["event"] == kind]
    assert len(bodies) == 1, [r.json["event"] for r in receiver.received]
    assert set(bodies[0]) == ENVELOPE
    (to_slack,) = Delivery.objects.filter(event=kind, channel__isnull=False)
    assert to_slack.status == DeliveryStatus.DELIVERED
    assert to_slack.payload in [r.json for r in slack.received]
    return bodies[0], to_slack.payload


def test_a_grade_change_and_a_new_watermelon(
    destinations, receiver, slack, program, tpm, django_capture_on_commit_callbacks
):
    today = timezone.localdate()
    MilestoneFactory(
        program=program, name="GA in eu-west", critical=True, state="in_progress",
        baseline_date=today - datetime.timedelta(days=40),
        target_date=today - datetime.timedelta(days=40),
    )  # fmt: skip
    program_services.status_update_post(
        program=program, user=tpm, reported_health="on_track", summary="All green!"
    )
    # As it was scored before: green, and no watermelon.
    Program.objects.filter(pk=program.pk).update(health_grade="green", health_watermelon=False)
    with django_capture_on_commit_callbacks(execute=True):
        health_recompute(program_ids=[program.pk], today=today)

    body, message = sent(receiver, slack, EventKind.GRADE_CHANGED)
    data = body["data"]
    assert (data["from"], data["to"], data["worse"], data["cause"]) == (
        "green", "red", True, "schedule",
    )  # fmt: skip
    assert "GA in eu-west" in data["reason"] and isinstance(data["score"], int)
    assert body["program"]["grade"] == "red"
    assert "dropped to *Red* (was Green)" in message["text"]

    body, message = sent(receiver, slack, EventKind.WATERMELON)
    assert (body["data"]["reported"], body["data"]["grade"]) == ("on_track", "red")
    assert message["text"].startswith(":watermelon: ")
    assert "its update says *on track*, Pulse computes *Red*" in message["text"]

    # Scored again unchanged: no new event.
    with django_capture_on_commit_callbacks(execute=True):
        health_recompute(program_ids=[program.pk], today=today)
    assert len(receiver.received) == 2


def test_a_first_score_is_not_a_grade_change(
    destinations, receiver, program, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        health_recompute(program_ids=[program.pk], today=timezone.localdate())
    program.refresh_from_db()
    assert program.health_grade and not receiver.received


def test_a_launch_review_decided(
    destinations, receiver, slack, submitted, sre, secops, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        launch_services.launch_review_sign_off(
            review=submitted, user=sre, area="reliability", decision="approved"
        )
    assert not receiver.received, "one area signed off is not a decision"
    with django_capture_on_commit_callbacks(execute=True):
        launch_services.launch_review_sign_off(
            review=submitted, user=secops, area="security", decision="approved", comment="LGTM"
        )

    body, message = sent(receiver, slack, EventKind.LAUNCH_REVIEW_DECIDED)
    assert body["data"]["decision"] == "approved" and body["data"]["comment"] == "LGTM"
    assert body["data"]["decided_by"] == secops.get_full_name()
    assert body["data"]["review"] == {
        "id": submitted.pk, "title": "GA in eu-west", "launch_date": "2026-11-02", "tier": 3,
        "url": f"https://pulse.example.test/reviews/launches/{submitted.pk}/",
    }  # fmt: skip
    assert (
        f"<https://pulse.example.test/reviews/launches/{submitted.pk}/|GA in eu-west>"
        in (message["text"])
    )
    assert "was approved by" in message["text"]
    assert "> LGTM" in message["blocks"][1]["text"]["text"]


def test_a_launch_review_sent_back(
    destinations, receiver, slack, submitted, sre, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        launch_services.launch_review_sign_off(
            review=submitted, user=sre, area="reliability", decision="changes_requested",
            comment="No load test.",
        )  # fmt: skip
    body, message = sent(receiver, slack, EventKind.LAUNCH_REVIEW_DECIDED)
    assert body["data"]["decision"] == "changes_requested"
    assert "sent back: changes requested by" in message["text"]


def test_a_capacity_request_decided(
    destinations, receiver, slack, requester, team, program, council, budget,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    request = file_request(requester, team, program, amount=60)
    with django_capture_on_commit_callbacks(execute=True):
        capacity_services.capacity_request_approve(
            request=request, user=council, version=request.version, approved_amount=40,
            note="Start with 40.",
        )  # fmt: skip

    body, message = sent(receiver, slack, EventKind.CAPACITY_REQUEST_DECIDED)
    data = body["data"]
    assert (data["decision"], data["decided_by"], data["auto_approved"], data["note"]) == (
        "partially_approved", council.get_full_name(), False, "Start with 40.",
    )  # fmt: skip
    assert data["request"]["team"] == "Storage" and data["request"]["quarter"] == "2026-Q4"
    assert (data["request"]["amount"], data["request"]["approved_amount"]) == ("60.00", "40.00")
    assert (
        "of *Storage* for" in message["text"] and "approved (of 60 vCPU asked)" in (message["text"])
    )


def test_a_capacity_request_approved_automatically(
    destinations, receiver, slack, requester, team, program, budget,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    from tests.factories import AutoApprovalThresholdFactory

    AutoApprovalThresholdFactory(resource_kind="vcpu", max_amount=10)
    with django_capture_on_commit_callbacks(execute=True):
        file_request(requester, team, program, amount=8)
    body, message = sent(receiver, slack, EventKind.CAPACITY_REQUEST_DECIDED)
    assert (body["data"]["decision"], body["data"]["decided_by"]) == ("approved", None)
    assert body["data"]["auto_approved"] and "approved automatically." in message["text"]


def test_the_weekly_report_is_ready_once(
    destinations, receiver, slack, program, django_capture_on_commit_callbacks
):
    week = datetime.date(2026, 10, 5)
    with django_capture_on_commit_callbacks(execute=True):
        report = report_services.weekly_report_generate(
            portfolio=program.portfolio, week_start=week
        )
    body, message = sent(receiver, slack, EventKind.WEEKLY_REPORT_READY)
    assert body["program"] is None and body["portfolio"]["id"] == program.portfolio_id
    assert body["data"]["report"]["week_start"] == "2026-10-05"
    assert body["data"]["report"]["url"] == f"https://pulse.example.test{report.get_absolute_url()}"
    assert set(body["data"]["counts"]) == {
        "grade_changes", "new_watermelons", "slips", "launches", "asks", "no_update",
    }  # fmt: skip
    assert "for the week of Monday 5 October 2026 is ready" in message["text"]
    with django_capture_on_commit_callbacks(execute=True):  # regenerated: not news
        report_services.weekly_report_generate(portfolio=program.portfolio, week_start=week)
    assert len(receiver.received) == 1


def test_an_overdue_status_update(
    destinations, receiver, slack, program, tpm, django_capture_on_commit_callbacks
):
    Program.objects.filter(pk=program.pk).update(
        last_update_at=timezone.now() - datetime.timedelta(days=10)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert send_update_reminders() == 1
        assert send_update_reminders() == 0  # reminded today: no second event either
    body, message = sent(receiver, slack, EventKind.UPDATE_OVERDUE)
    assert body["data"]["days_overdue"] == 3  # a weekly cadence: due three days ago
    assert body["data"]["tpm"] == tpm.get_full_name()
    assert body["data"]["update_url"] == (
        f"https://pulse.example.test/programs/{program.slug}/updates/new/"
    )
    assert "status update is overdue" in message["text"] and "(3 days ago)" in message["text"]
