"""The weekly report as text: Markdown for the download and the stored copy, and its e-mail.

Both come from templates (``metrics/report.md``, ``emails/weekly_report.*``) fed the stored
content as it is: the wording lives in the templates, the content in the builder.
"""

import datetime
from typing import Any, NamedTuple

from django.template.loader import render_to_string

from metrics.reports.build import SECTION_TITLES, summary


def render_markdown(content: dict[str, Any], *, base_url: str = "") -> str:
    """The report as Markdown; links are absolute when ``base_url`` is given."""
    context = {
        "content": content,
        "summary": summary(content),
        "titles": SECTION_TITLES,
        "base_url": base_url,
    }
    return render_to_string("metrics/report.md", context)


class Email(NamedTuple):
    subject: str
    body: str


def render_email(*, portfolio: str, week: datetime.date, markdown: str, url: str) -> Email:
    """A subscriber's mail: their version of the report and a link to read it in Pulse."""
    context = {"portfolio": portfolio, "week": week, "body": markdown, "url": url}
    subject = " ".join(render_to_string("emails/weekly_report.subject.txt", context).split())
    return Email(subject, render_to_string("emails/weekly_report.txt", context))
