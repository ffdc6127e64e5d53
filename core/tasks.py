"""Celery tasks every app shares: sending e-mail."""

from celery import shared_task
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string


@shared_task(
    bind=True,
    autoretry_for=(OSError,),  # SMTP and socket errors: the mail server is down or refuses
    retry_backoff=30,
    retry_backoff_max=30 * 60,
    max_retries=8,
)
def send_email(self, template: str, context: dict, recipients: list[str]) -> int:
    """Render ``template``'s subject, text and HTML parts and send them to ``recipients``.

    Safe to run again after a failure (nothing was sent then); a task re-run after the mail
    left would send it twice, which e-mail tolerates better than a lost one.
    """
    subject = " ".join(render_to_string(f"{template}.subject.txt", context).split())
    message = EmailMultiAlternatives(
        subject=subject, body=render_to_string(f"{template}.txt", context), to=recipients
    )
    message.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
    return message.send()
