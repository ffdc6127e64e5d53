"""Template helpers available in every template (registered as builtins)."""

import datetime

from django import template
from django.utils.html import format_html, json_script
from django.utils.http import urlencode

from core.formatting import format_number, format_quantity
from core.markdown import render_markdown
from core.palette import CHART_TOKENS

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text):
    """Render Markdown sanitised: ``{{ program.problem_statement|markdown }}``."""
    return render_markdown(text)


# Longer texts show their start and a way to read the whole (a 200,000-character paste must
# not make a page tens of thousands of pixels tall).
FOLD_AT = 600


@register.filter
def markdown_folded(text):
    """Like ``markdown``, but a text longer than ``FOLD_AT`` characters shows its start, cut at
    a word, with a "Read all" disclosure holding the whole (no script: a <details>)."""
    if not text or len(text) <= FOLD_AT:
        return render_markdown(text)
    preview = text[:FOLD_AT].rsplit(None, 1)[0] + " …"
    return format_html(
        '<div class="folded"><div class="folded-preview">{}</div>'
        '<details class="folded-full"><summary>Read all ({} characters)</summary>{}</details>'
        "</div>",
        render_markdown(preview),
        f"{len(text):,}",
        render_markdown(text),
    )


@register.simple_tag(takes_context=True)
def query_replace(context, **changes):
    """The current query string with some parameters replaced (pagination, sorting)."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    return "?" + urlencode(sorted(params.items()), doseq=False) if params else "?"


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None


@register.filter
def person(user, fallback: str = "someone") -> str:
    """A person's name as pages show it: full name, else username; ``fallback`` when gone.

    ``{{ change.changed_by|person }}`` — safe for a nullable user (a deleted account), where
    ``get_full_name|default:user.username`` would fail resolving the filter's argument.
    """
    if not user:
        return fallback
    return user.get_full_name() or user.get_username()


@register.filter(name="number")
def number_filter(value) -> str:
    """``{{ reading.value|number }}`` → 12,000 / 48.5 (see ``format_number``)."""
    return format_number(value)


@register.filter(name="quantity")
def quantity_filter(value, unit: str = "") -> str:
    """``{{ reading.value|quantity:metric.unit }}`` → 59.02 % (see ``format_quantity``)."""
    return format_quantity(value, unit)


@register.filter
def duration(value) -> str:
    """A timedelta as people say it: '15 minutes', '2 hours', '1 hour 30 minutes'."""
    if value is None:
        return ""
    minutes = round(value.total_seconds() / 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{hours} hour{'s' if hours != 1 else ''}"] if hours else []
    if minutes or not parts:
        parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
    return " ".join(parts)


@register.filter
def isodate(value):
    """``"2026-11-16"`` → a date, so ``|date:"j M"`` formats it; anything else unchanged.

    For content stored as JSON (a frozen agenda, a report), which keeps dates as ISO strings.
    """
    try:
        return datetime.date.fromisoformat(value)
    except (TypeError, ValueError):
        return value


@register.simple_tag
def chart_tokens():
    """The charts' light token values by name, as a JSON script for static/js/charts.js."""
    return json_script(CHART_TOKENS, "chart-tokens")
