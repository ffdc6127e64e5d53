"""Deliveries to a receiver the test starts on 127.0.0.1: signed JSON that a consumer verifies
(and refuses when forged or stale), Slack's message, retries with their log, who gets which
event, the sweep, and re-sending and secrets in the admin.

Celery runs eagerly here (no Redis), so each task runs in the test once the transaction
"commits" (``django_capture_on_commit_callbacks``); tests/integrations/test_worker.py sends
through a real worker.
"""

import datetime
import time

import pytest
import requests
from django.contrib.messages import get_messages
from django.db import transaction
from django.utils import timezone

from metrics.integrations import events, services, signing
from metrics.integrations.models import (
    Delivery,
    DeliveryStatus,
    EventKind,
    SlackChannel,
    WebhookEndpoint,
)
from tests.factories import (
    DeliveryAttemptFactory,
    DeliveryFactory,
    PortfolioFactory,
    ProgramFactory,
    SlackChannelFactory,
    WebhookEndpointFactory,
)
from tests.integrations.conftest import SECRET
from tests.integrations.receiver import Receiver

pytestmark = pytest.mark.django_db

GRADE_DROP = {"from": "green", "to": "red", "worse": True, "score": 41, "cause": "schedule",
              "reason": "Critical milestone GA in eu-west is 40 days overdue."}  # fmt: skip


def publish_grade_drop(capture, program) -> None:
    with capture(execute=True):
        events.publish(EventKind.GRADE_CHANGED, program=program, data=GRADE_DROP)


def test_a_signed_delivery_is_verified_and_accepted_by_the_receiver(
    receiver, program, django_capture_on_commit_callbacks
):
    endpoint = WebhookEndpointFactory(url=receiver.url(), secret=SECRET)
    publish_grade_drop(django_capture_on_commit_callbacks, program)

    (request,) = receiver.received
    assert request.verified and request.answered == 200
    assert request.headers["X-Pulse-Signature"].startswith("sha256=")
    assert request.headers["X-Pulse-Event"] == "program.grade_changed"
    body = request.json
    assert body["event"] == "program.grade_changed" and body["data"] == GRADE_DROP
    assert body["program"] == {
        "id": program.pk, "name": "Fleet kernel upgrade", "slug": "fleet-kernel-upgrade",
        "url": "https://pulse.example.test/programs/fleet-kernel-upgrade/",
        "grade": program.health_grade or None, "score": program.health_score,
        "confidential": False,
    }  # fmt: skip
    assert body["portfolio"]["id"] == program.portfolio_id
    delivery = Delivery.objects.get()
    assert (delivery.endpoint, delivery.status, delivery.status_code, delivery.attempts) == (
        endpoint, DeliveryStatus.DELIVERED, 200, 1,
    )  # fmt: skip
    assert delivery.delivered_at and delivery.next_retry_at is None
    assert str(delivery.event_id) == body["id"] and delivery.payload == body
    assert request.headers["X-Pulse-Delivery"] == str(delivery.pk)


def test_a_receiver_with_another_secret_refuses_the_delivery(
    receiver, program, django_capture_on_commit_callbacks, settings
):
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    WebhookEndpointFactory(url=receiver.url(), secret="not-the-receivers-secret")
    publish_grade_drop(django_capture_on_commit_callbacks, program)

    (request,) = receiver.received
    assert request.verified is False and request.answered == 401
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.status_code) == (DeliveryStatus.FAILED, 401)
    assert delivery.last_error == "HTTP 401: bad signature"


def test_the_sample_verifier_refuses_a_stale_timestamp_a_tampered_body_and_garbage(receiver):
    body = b'{"event":"program.grade_changed"}'
    now = time.time()
    headers = signing.signed_headers(SECRET, body, now=now)
    timestamp, signature = headers["X-Pulse-Timestamp"], headers["X-Pulse-Signature"]

    def verify(body=body, timestamp=timestamp, signature=signature, now=now, secret=SECRET):
        return signing.verify_signature(
            secret=secret, body=body, timestamp=timestamp, signature_header=signature, now=now
        )

    assert verify()
    assert verify(now=now + 299), "within five minutes"
    assert not verify(now=now + 301), "a replay more than five minutes later"
    assert not verify(body=body.replace(b"grade", b"GRADE"))
    assert not verify(secret="another")
    assert not verify(timestamp=str(int(timestamp) + 1)), "the timestamp is signed too"
    assert not verify(timestamp="yesterday") and not verify(signature=None)

    # The receiver itself, sent a correctly signed request made ten minutes ago: refused.
    old = signing.signed_headers(SECRET, body, now=now - 600)
    answer = requests.post(receiver.url(), data=body, headers=old, timeout=5)
    fresh = requests.post(receiver.url(), data=body, headers=headers, timeout=5)
    assert (answer.status_code, fresh.status_code) == (401, 200)


def test_a_failing_receiver_is_retried_with_each_attempt_logged(
    program, django_capture_on_commit_callbacks, settings
):
    settings.WEBHOOK_RETRY_BACKOFF_SECONDS = 0  # eager Celery retries at once; see test_worker
    flaky = Receiver(secret=SECRET, answers=[500, 500, 200])
    try:
        WebhookEndpointFactory(url=flaky.url(), secret=SECRET)
        publish_grade_drop(django_capture_on_commit_callbacks, program)
    finally:
        flaky.stop()

    assert [r.answered for r in flaky.received] == [500, 500, 200]
    assert all(r.verified for r in flaky.received), "each attempt signed afresh"
    assert len({r.json["id"] for r in flaky.received}) == 1, "one event id on every attempt"
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.status_code, delivery.last_error) == (
        DeliveryStatus.DELIVERED, 3, 200, "",
    )  # fmt: skip
    log = list(delivery.attempt_log.values_list("number", "status_code", "error"))
    assert log == [
        (1, 500, "HTTP 500: receiver trouble"),
        (2, 500, "HTTP 500: receiver trouble"),
        (3, 200, ""),
    ]


def test_after_the_last_attempt_a_delivery_fails_and_no_answer_is_logged_too(
    program, django_capture_on_commit_callbacks, settings
):
    settings.WEBHOOK_RETRY_BACKOFF_SECONDS = 0
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    gone = Receiver()
    url = gone.url()
    gone.stop()  # nobody listens on that port any more: connection refused
    WebhookEndpointFactory(url=url)
    publish_grade_drop(django_capture_on_commit_callbacks, program)

    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.next_retry_at) == (
        DeliveryStatus.FAILED, 2, None,
    )  # fmt: skip
    assert delivery.last_error.startswith("ConnectionError")
    assert list(delivery.attempt_log.values_list("status_code", flat=True)) == [None, None]


def test_retries_back_off_exponentially_up_to_the_cap(settings):
    settings.WEBHOOK_RETRY_BACKOFF_SECONDS = 30
    settings.WEBHOOK_RETRY_BACKOFF_MAX_SECONDS = 3600
    assert [services.retry_delay(n) for n in range(1, 9)] == [
        30, 60, 120, 240, 480, 960, 1920, 3600,
    ]  # fmt: skip


def test_a_later_retry_waits_for_its_time(program, django_capture_on_commit_callbacks, settings):
    """With a real backoff, the failed attempt leaves the delivery pending with its next time;
    an early run of the task (a duplicate) sends nothing."""
    settings.WEBHOOK_RETRY_BACKOFF_SECONDS = 60
    flaky = Receiver(answers=[503])
    try:
        WebhookEndpointFactory(url=flaky.url())
        publish_grade_drop(django_capture_on_commit_callbacks, program)
        delivery = Delivery.objects.get()
        assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 1
        assert 55 <= (delivery.next_retry_at - delivery.updated_at).total_seconds() <= 61
        assert services.delivery_attempt(delivery_id=delivery.pk) is None
        assert len(flaky.received) == 1
    finally:
        flaky.stop()


def test_a_slack_message_is_readable_with_absolute_links(
    slack, program, django_capture_on_commit_callbacks
):
    SlackChannelFactory(portfolio=program.portfolio, webhook_url=slack.url("/services/T1/B1/x"))
    publish_grade_drop(django_capture_on_commit_callbacks, program)

    (request,) = slack.received
    assert request.path == "/services/T1/B1/x" and "X-Pulse-Signature" not in request.headers
    message = request.json
    assert set(message) == {"text", "blocks", "unfurl_links"}
    link = "<https://pulse.example.test/programs/fleet-kernel-upgrade/|Fleet kernel upgrade>"
    assert message["text"] == f":red_circle: *{link}* dropped to *Red* (was Green), score 41."
    kinds = [block["type"] for block in message["blocks"]]
    assert kinds == ["section", "section", "context"]
    assert message["blocks"][0]["text"] == {"type": "mrkdwn", "text": message["text"]}
    assert message["blocks"][1]["text"]["text"] == GRADE_DROP["reason"]
    context = message["blocks"][2]["elements"][0]["text"]
    assert context == f"{program.portfolio.name} · A program's grade changed · Pulse"


def test_slack_text_is_escaped(slack, tpm, django_capture_on_commit_callbacks):
    program = ProgramFactory(tpm=tpm, name="R&D <beta> rollout", slug="rd-beta")
    SlackChannelFactory(program=program, portfolio=None, webhook_url=slack.url())
    publish_grade_drop(django_capture_on_commit_callbacks, program)
    assert "|R&amp;D &lt;beta&gt; rollout>" in slack.received[0].json["text"]


def test_each_destination_gets_only_its_scope_its_events_and_no_confidential_program(
    receiver, slack, program, confidential_program, django_capture_on_commit_callbacks
):
    other_portfolio = PortfolioFactory()
    SlackChannelFactory(name="#ours", portfolio=program.portfolio, webhook_url=slack.url("/ours"))
    SlackChannelFactory(name="#theirs", portfolio=other_portfolio, webhook_url=slack.url("/theirs"))
    SlackChannelFactory(
        name="#reports-only", portfolio=program.portfolio, webhook_url=slack.url("/reports"),
        event_types=[EventKind.WEEKLY_REPORT_READY],
    )  # fmt: skip
    SlackChannelFactory(
        name="#off", portfolio=program.portfolio, webhook_url=slack.url("/off"), active=False
    )
    SlackChannelFactory(
        name="#nightjar", program=confidential_program, portfolio=None,
        webhook_url=slack.url("/nightjar"), include_confidential=True,
    )  # fmt: skip
    WebhookEndpointFactory(url=receiver.url("/all"), secret=SECRET)
    WebhookEndpointFactory(url=receiver.url("/other"), secret=SECRET, portfolio=other_portfolio)
    assert confidential_program.portfolio_id != other_portfolio.pk

    publish_grade_drop(django_capture_on_commit_callbacks, program)
    publish_grade_drop(django_capture_on_commit_callbacks, confidential_program)

    assert sorted((r.path, r.json["text"].split("|")[1][:12]) for r in slack.received) == [
        ("/nightjar", "Project Nigh"),
        ("/ours", "Fleet kernel"),
    ]
    assert [(r.path, r.json["program"]["slug"]) for r in receiver.received] == [
        ("/all", "fleet-kernel-upgrade")
    ]


def test_an_event_nobody_wants_queues_nothing(
    program, django_capture_on_commit_callbacks, count_queries
):
    """The subscribed kinds are cached: an unwanted event is dropped without a query (a queued
    one would be fanned out, eagerly here, reading its program and destinations)."""
    SlackChannelFactory(portfolio=program.portfolio, event_types=[EventKind.WATERMELON])
    assert events.subscribed_kinds() == {EventKind.WATERMELON}

    def publish_unwanted() -> None:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            events.publish(EventKind.GRADE_CHANGED, program=program, data=GRADE_DROP)
        assert len(callbacks) == 1, "published on commit"

    assert count_queries(publish_unwanted) == 0, "dropped, not fanned out"
    assert not Delivery.objects.exists()


def test_nothing_is_published_before_the_commit_nor_after_a_rollback(
    receiver, program, django_capture_on_commit_callbacks
):
    WebhookEndpointFactory(url=receiver.url(), secret=SECRET)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        events.publish(EventKind.GRADE_CHANGED, program=program, data=GRADE_DROP)
        assert not Delivery.objects.exists() and not receiver.received
    assert len(callbacks) == 1
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                events.publish(EventKind.GRADE_CHANGED, program=program, data=GRADE_DROP)
                raise RuntimeError("the write fails")
        except RuntimeError:
            pass
    assert callbacks == [] and not receiver.received


def test_the_sweep_sends_deliveries_the_broker_lost(receiver, django_capture_on_commit_callbacks):
    endpoint = WebhookEndpointFactory(url=receiver.url(), secret=SECRET)
    lost = DeliveryFactory(
        endpoint=endpoint, next_retry_at=timezone.now() - datetime.timedelta(minutes=5)
    )
    waiting = DeliveryFactory(
        endpoint=endpoint, next_retry_at=timezone.now() + datetime.timedelta(minutes=5)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert services.deliveries_resume() == 1
    lost.refresh_from_db()
    waiting.refresh_from_db()
    assert (lost.status, waiting.status) == (DeliveryStatus.DELIVERED, DeliveryStatus.PENDING)
    assert [r.json["id"] for r in receiver.received] == [str(lost.event_id)]


def test_a_switched_off_endpoint_fails_its_pending_deliveries_unsent(receiver):
    delivery = DeliveryFactory(endpoint=WebhookEndpointFactory(url=receiver.url(), active=False))
    attempted = services.delivery_attempt(delivery_id=delivery.pk)
    assert attempted is not None and attempted.status == DeliveryStatus.FAILED
    delivery.refresh_from_db()
    assert delivery.last_error == "Not sent: the destination is switched off."
    assert not receiver.received


# --- The admin --------------------------------------------------------------------------------


def test_resend_from_the_admin_sends_the_same_event_again(
    client, admin_user, receiver, program, django_capture_on_commit_callbacks
):
    WebhookEndpointFactory(url=receiver.url(), secret=SECRET)
    publish_grade_drop(django_capture_on_commit_callbacks, program)
    first = Delivery.objects.get()
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/integrations/delivery/",
            {"action": "resend", "_selected_action": [first.pk]},
            follow=True,
        )
    assert response.status_code == 200
    assert "1 delivery queued again" in [str(m) for m in get_messages(response.wsgi_request)][0]
    again = Delivery.objects.exclude(pk=first.pk).get()
    assert (again.resent_from, again.status, again.attempts) == (
        first, DeliveryStatus.DELIVERED, 1,
    )  # fmt: skip
    assert [r.json for r in receiver.received] == [first.payload, first.payload]
    assert all(r.verified for r in receiver.received)
    assert [r.headers["X-Pulse-Delivery"] for r in receiver.received] == [
        str(first.pk), str(again.pk),
    ]  # fmt: skip


def test_an_endpoints_secret_is_shown_once_and_masked_after(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        "/admin/integrations/webhookendpoint/add/",
        {"name": "Incident bot", "url": "https://bot.example.com/pulse",
         "event_types": [EventKind.GRADE_CHANGED, EventKind.WATERMELON], "active": "on"},
        follow=True,
    )  # fmt: skip
    assert response.status_code == 200
    endpoint = WebhookEndpoint.objects.get()
    assert len(endpoint.secret) >= 40
    assert endpoint.event_types == ["program.grade_changed", "program.watermelon"]
    assert endpoint.secret in response.content.decode(), "shown once, on saving"
    listing = client.get("/admin/integrations/webhookendpoint/").content.decode()
    form = client.get(f"/admin/integrations/webhookendpoint/{endpoint.pk}/change/")
    assert endpoint.secret not in listing and endpoint.secret not in form.content.decode()
    assert f"••••{endpoint.secret[-4:]}" in listing

    rotated = client.post(
        "/admin/integrations/webhookendpoint/",
        {"action": "rotate_secret", "_selected_action": [endpoint.pk]},
        follow=True,
    ).content.decode()
    old = endpoint.secret
    endpoint.refresh_from_db()
    assert endpoint.secret != old and endpoint.secret in rotated


def test_a_slack_webhook_url_is_never_shown_and_kept_when_left_blank(client, admin_user):
    portfolio = PortfolioFactory()
    url = "https://hooks.slack.com/services/T000/B000/very-secret-token"
    client.force_login(admin_user)
    response = client.post(
        "/admin/integrations/slackchannel/add/",
        {"name": "#infra-pulse", "portfolio": portfolio.pk, "webhook_url": url,
         "event_types": list(EventKind.values), "active": "on"},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    channel = SlackChannel.objects.get()
    assert channel.webhook_url == url
    for page in ("/admin/integrations/slackchannel/",
                 f"/admin/integrations/slackchannel/{channel.pk}/change/"):  # fmt: skip
        assert "very-secret-token" not in client.get(page).content.decode()
    edited = client.post(
        f"/admin/integrations/slackchannel/{channel.pk}/change/",
        {"name": "#infra", "portfolio": portfolio.pk, "webhook_url": "",
         "event_types": [EventKind.WEEKLY_REPORT_READY], "active": "on"},
    )  # fmt: skip
    assert edited.status_code == 302
    channel.refresh_from_db()
    assert (channel.name, channel.webhook_url) == ("#infra", url)
    # Neither a portfolio nor a program: refused.
    refused = client.post(
        "/admin/integrations/slackchannel/add/",
        {"name": "#nowhere", "webhook_url": url, "event_types": list(EventKind.values)},
    )
    assert refused.status_code == 200 and "one portfolio or one program" in refused.content.decode()


def test_admin_pages_have_fixed_query_counts(client, admin_user, same_queries_at_two_sizes):
    client.force_login(admin_user)

    def grow(n: int) -> None:
        for _ in range(n):
            delivery = DeliveryFactory(program=ProgramFactory())
            DeliveryFactory(endpoint=None, channel=SlackChannelFactory(), program=None)
            DeliveryAttemptFactory(delivery=delivery, number=1)
            DeliveryAttemptFactory(delivery=delivery, number=2, status_code=500, error="HTTP 500")

    grow(2)
    delivery = Delivery.objects.filter(endpoint__isnull=False).first()
    assert delivery is not None
    same_queries_at_two_sizes(
        client,
        {
            "deliveries": "/admin/integrations/delivery/",
            "failed": "/admin/integrations/delivery/?status__exact=failed",
            "delivery": f"/admin/integrations/delivery/{delivery.pk}/change/",
            "channels": "/admin/integrations/slackchannel/",
            "endpoints": "/admin/integrations/webhookendpoint/",
        },
        grow=lambda: grow(12),
    )
