"""Template helpers of the weekly report, whose stored content keeps dates as ISO strings."""

import datetime

from django import template

register = template.Library()


@register.filter
def isodate(value):
    """``"2026-11-16"`` → a date, so ``|date:"j M"`` formats it; anything else unchanged."""
    try:
        return datetime.date.fromisoformat(value)
    except (TypeError, ValueError):
        return value
