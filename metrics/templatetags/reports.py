"""Template filters of the weekly report's Markdown (``templates/metrics/report.md``).

Dates stored as ISO text are parsed by the builtin ``isodate`` (core.templatetags.pulse).
"""

from django import template

register = template.Library()


@register.filter
def oneline(value: str) -> str:
    """Text on one line, runs of white space as one space (a quote inside a Markdown item)."""
    return " ".join(value.split())


@register.filter
def spaced(value: str) -> str:
    """A stored choice as words: ``"on_track"`` → ``"on track"``."""
    return value.replace("_", " ")
