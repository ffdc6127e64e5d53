"""A playbook's text as HTML: ``core.markdown.render_markdown`` (sanitised), with an ``id`` on
each heading so that a workflow can link a section (``/playbooks/capacity/v/3/#deciding``),
and the headings as a table of contents."""

import re
from dataclasses import dataclass

from django.utils.html import strip_tags
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import slugify

from core.markdown import render_markdown

_HEADING = re.compile(r"<h([23])>(.*?)</h\1>", re.DOTALL)


@dataclass(frozen=True)
class Heading:
    level: int
    anchor: str
    text: str


@dataclass(frozen=True)
class RenderedPlaybook:
    html: SafeString
    headings: list[Heading]


def heading_anchor(text: str) -> str:
    """The anchor of a heading: its words, slugified (what authors link to)."""
    return slugify(text) or "section"


def render_playbook(text: str) -> RenderedPlaybook:
    """The sanitised HTML with an anchor on every second- and third-level heading.

    The ids are slugs (letters, digits, hyphens), added after sanitising; a repeated heading
    gets ``-2``, ``-3``…
    """
    html = str(render_markdown(text))
    seen: dict[str, int] = {}
    headings: list[Heading] = []

    def with_id(match: re.Match) -> str:
        level, inner = int(match.group(1)), match.group(2)
        words = strip_tags(inner).strip()
        anchor = heading_anchor(words)
        seen[anchor] = seen.get(anchor, 0) + 1
        if seen[anchor] > 1:
            anchor = f"{anchor}-{seen[anchor]}"
        headings.append(Heading(level, anchor, words))
        return f'<h{level} id="{anchor}">{inner}</h{level}>'

    html = _HEADING.sub(with_id, html)
    return RenderedPlaybook(html=mark_safe(html), headings=headings)  # noqa: S308 - ids are slugs
