"""E-mails: rendered from templates (text and HTML), absolute links from SITE_URL, sent by a
Celery task after the commit, never failing the write that caused them."""

import pytest
from django.core import mail
from django.test import override_settings

from core.emails import send_on_commit
from reviews.capacity import services as capacity_services
from reviews.launch import services
from tests.celery_support import celery_broker
from tests.reviews.conftest import answer_all, file_request

pytestmark = pytest.mark.django_db

SITE = "https://pulse.example.test"


def test_a_submitted_review_mails_its_reviewers_text_and_html_with_absolute_links(
    review, author, sre, secops, django_capture_on_commit_callbacks
):
    answer_all(review, author)
    review.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        services.launch_review_transition(
            review=review, user=author, action="submit", version=review.version
        )
    (message,) = mail.outbox
    link = f"{SITE}/reviews/launches/{review.pk}/"
    assert (
        message.subject == f"[Pulse] Launch review waiting: {review.title} ({review.program.name})"
    )
    assert link in message.body and "\n" not in message.subject
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and f'href="{link}"' in html


def test_html_mails_escape_what_people_typed(
    requester, team, program, budget, council, django_capture_on_commit_callbacks
):
    request = file_request(requester, team, program, amount=60)
    with django_capture_on_commit_callbacks(execute=True):
        capacity_services.capacity_request_deny(
            request=request, user=council, version=request.version,
            note="<script>alert(1)</script> use the shared pool",
        )  # fmt: skip
    (message,) = mail.outbox
    html = message.alternatives[0][0]
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<script>alert(1)</script> use the shared pool" in message.body  # plain text as typed
    assert "denied" in message.subject and f"{SITE}/reviews/capacity/" in message.body


def test_nothing_is_sent_when_the_write_rolls_back(
    review, author, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        send_on_commit(
            "emails/review_decided",
            {"who": "x", "what": "y", "title": "t", "url": "u"},
            ["a@example.com"],
        )
    assert len(callbacks) == 1 and mail.outbox == []  # queued for the commit, not sent


@override_settings(
    MAILERS={"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
)
def test_a_broker_that_is_down_does_not_lose_the_mail_nor_fail_the_write(
    review, author, sre, secops, django_capture_on_commit_callbacks
):
    """The task cannot be queued (nothing listens on the port): the mail is sent inline."""
    answer_all(review, author)
    review.refresh_from_db()
    with celery_broker("redis://127.0.0.1:9/0"), django_capture_on_commit_callbacks(execute=True):
        submitted = services.launch_review_transition(
            review=review, user=author, action="submit", version=review.version
        )
    assert submitted.state == "submitted"
    assert len(mail.outbox) == 1


def test_a_mail_server_that_is_down_never_fails_the_write(
    review, author, sre, secops, django_capture_on_commit_callbacks, settings
):
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": 9, "timeout": 1},
        }
    }
    answer_all(review, author)
    review.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        submitted = services.launch_review_transition(
            review=review, user=author, action="submit", version=review.version
        )
    assert submitted.state == "submitted"  # saved; the task retries the mail later
