"""Writes of the weekly report: build and store a week's report, mail it, subscribe."""

import datetime
import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from core.types import User
from metrics.integrations.events import publish
from metrics.integrations.models import EventKind
from metrics.models import ReportSubscription, WeeklyReport
from metrics.reports import selectors
from metrics.reports.build import visible_content, week_start_of
from metrics.reports.render import render_email, render_markdown
from programs.models import Portfolio

logger = logging.getLogger(__name__)


@transaction.atomic
def weekly_report_generate(
    *,
    portfolio: Portfolio,
    week_start: datetime.date,
    user: User | None = None,
    today: datetime.date | None = None,
) -> WeeklyReport:
    """Build and store a portfolio's report for the week: one per portfolio and week.

    Regenerating replaces the content (and keeps ``emailed_at``, so subscribers are not
    mailed twice for the same week).
    """
    week_start = week_start_of(week_start)
    content = selectors.weekly_report_content(
        portfolio=portfolio, week_start=week_start, today=today
    )
    report, created = WeeklyReport.objects.select_for_update().update_or_create(
        portfolio=portfolio,
        week_start=week_start,
        defaults={
            "content": content,
            "markdown": render_markdown(content, base_url=settings.SITE_URL),
            "generated_at": timezone.now(),
            "generated_by": user,
        },
    )
    if created:  # a regenerated report is not news
        publish(EventKind.WEEKLY_REPORT_READY, portfolio=portfolio, data={"report_id": report.pk})
    return report


def _mark_emailed(report: WeeklyReport) -> bool:
    """Mark the report mailed, under a row lock; False if it already was (another run)."""
    with transaction.atomic():
        locked = WeeklyReport.objects.select_for_update().get(pk=report.pk)
        if locked.emailed_at is not None:
            return False
        locked.emailed_at = timezone.now()
        locked.save(update_fields=["emailed_at"])
    return True


def weekly_report_email(*, report: WeeklyReport) -> int:
    """E-mail the report to its portfolio's subscribers, once; returns how many were sent.

    Each subscriber gets the version they may read (confidential programs left out for
    those who cannot see them). The report is marked first, so two runs never both send.
    """
    if not _mark_emailed(report):
        return 0
    week = datetime.date.fromisoformat(report.content["week_start"])
    url = f"{settings.SITE_URL}{report.get_absolute_url()}"
    sent = 0
    for subscription in selectors.subscriptions_of(portfolio_id=report.portfolio_id):
        user = subscription.user
        if not user.is_active or not user.email:
            continue
        visible = selectors.visible_program_ids(user=user, portfolio_id=report.portfolio_id)
        markdown = render_markdown(
            visible_content(report.content, visible), base_url=settings.SITE_URL
        )
        mail = render_email(portfolio=report.portfolio.name, week=week, markdown=markdown, url=url)
        try:
            send_mail(
                subject=mail.subject,
                message=mail.body,
                from_email=None,
                recipient_list=[user.email],
            )
        except Exception:  # noqa: BLE001 - one bad address must not stop the others
            logger.exception("weekly report: could not mail %s", user.email)
            continue
        sent += 1
    return sent


def subscription_toggle(*, user: User, portfolio: Portfolio) -> bool:
    """Subscribe the user to the portfolio's weekly report, or unsubscribe; True if now on."""
    deleted, _ = ReportSubscription.objects.filter(user=user, portfolio=portfolio).delete()
    if deleted:
        return False
    ReportSubscription.objects.get_or_create(user=user, portfolio=portfolio)
    return True
