"""Search across program plans and playbooks (issue 16).

On PostgreSQL, full-text search: the query is read as a web search (``"quoted phrases"``,
``-excluded``, ``or``), matched in English against a plan's program name and the text of its
published version, and a playbook's title, summary and current text, ranked (a match in a name
or title weighs most) and shown with a snippet around the matches. On SQLite (the embedded
demo), a case-insensitive match of every word, newest first, with a snippet around the first
one. Only plans of programs the reader may see are searched; playbooks are for everyone.

The vectors are computed per query, over the current versions only (a plan's latest version, a
playbook's current one): hundreds of documents, not a search engine's scale. A GIN index on a
stored vector is the next step if plans reach tens of thousands.
"""

import re
from dataclasses import dataclass
from typing import Any

from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
    SearchRank,
    SearchVector,
)
from django.db import connection
from django.db.models import F, Q, QuerySet
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from programs.plans.models import PlanVersion
from programs.playbooks.models import Playbook
from programs.selectors import visible_programs

RESULTS_PER_KIND = 20
SNIPPET_WORDS = 30
# Markers the headline puts around matches; the snippet is escaped, then they become <mark>.
_START, _STOP = "\x02", "\x03"


@dataclass(frozen=True)
class Hit:
    kind: str  # "plan" or "playbook"
    title: str
    url: str
    snippet: SafeString
    detail: str  # e.g. "v3", "Capacity process · v2"


@dataclass(frozen=True)
class SearchResults:
    query: str
    plans: list[Hit]
    playbooks: list[Hit]
    full_text: bool  # PostgreSQL's full-text search (else the simple fallback)

    @property
    def count(self) -> int:
        return len(self.plans) + len(self.playbooks)


def _marked(text: str) -> SafeString:
    """A headline's text made safe: escaped, its match markers turned into <mark>."""
    html = escape(text).replace(_START, "<mark>").replace(_STOP, "</mark>")
    return mark_safe(html)  # noqa: S308 - escaped just above; only our own tags added


def _current_plan_versions(user: Any) -> QuerySet[PlanVersion]:
    return PlanVersion.objects.filter(
        plan__program__in=visible_programs(user).values("pk"), number=F("plan__published")
    ).select_related("plan__program")


def _current_playbooks() -> QuerySet[Playbook]:
    return Playbook.objects.filter(current_version__isnull=False).select_related("current_version")


def search(*, user: Any, query: str) -> SearchResults:
    query = " ".join((query or "").split())[:200]
    if not query:
        return SearchResults(query="", plans=[], playbooks=[], full_text=False)
    if connection.vendor == "postgresql":
        return _full_text(user, query)
    return _simple(user, query)


def _full_text(user: Any, query: str) -> SearchResults:
    q = SearchQuery(query, search_type="websearch", config="english")

    def headline(field: str) -> SearchHeadline:
        return SearchHeadline(
            field, q, config="english", start_sel=_START, stop_sel=_STOP,
            max_words=SNIPPET_WORDS, min_words=12, max_fragments=2, fragment_delimiter=" … ",
        )  # fmt: skip

    plan_vector = SearchVector("plan__program__name", weight="A", config="english") + (
        SearchVector("text", weight="B", config="english")
    )
    plans = (
        _current_plan_versions(user)
        .annotate(vector=plan_vector)
        .filter(vector=q)
        .annotate(
            rank=SearchRank(F("vector"), q),
            snippet=headline("text"),
        )
        .order_by("-rank", "-published_at")[:RESULTS_PER_KIND]
    )
    playbook_vector = (
        SearchVector("title", weight="A", config="english")
        + SearchVector("summary", weight="B", config="english")
        + SearchVector("current_version__body", weight="C", config="english")
    )
    playbooks = (
        _current_playbooks()
        .annotate(vector=playbook_vector)
        .filter(vector=q)
        .annotate(
            rank=SearchRank(F("vector"), q),
            snippet=headline("current_version__body"),
        )
        .order_by("-rank", "title")[:RESULTS_PER_KIND]
    )
    return SearchResults(
        query=query,
        plans=[_plan_hit(v, v.snippet) for v in plans],
        playbooks=[_playbook_hit(p, p.snippet) for p in playbooks],
        full_text=True,
    )


def _simple(user: Any, query: str) -> SearchResults:
    words = query.split()[:8]
    plan_match, playbook_match = Q(), Q()
    for word in words:
        plan_match &= Q(text__icontains=word) | Q(plan__program__name__icontains=word)
        playbook_match &= (
            Q(title__icontains=word)
            | Q(summary__icontains=word)
            | Q(current_version__body__icontains=word)
        )
    plans = _current_plan_versions(user).filter(plan_match).order_by("-published_at")
    playbooks = _current_playbooks().filter(playbook_match).order_by("title")
    return SearchResults(
        query=query,
        plans=[_plan_hit(v, _snippet(v.text, words)) for v in plans[:RESULTS_PER_KIND]],
        playbooks=[
            _playbook_hit(p, _snippet(p.current_version.body if p.current_version else "", words))
            for p in playbooks[:RESULTS_PER_KIND]
        ],
        full_text=False,
    )


def _snippet(text: str, words: list[str]) -> SafeString:
    """Some 30 words around the first match, the matches marked (the fallback's headline)."""
    found = [m.start() for w in words if (m := re.search(re.escape(w), text, re.IGNORECASE))]
    start = max(0, min(found) - 80) if found else 0
    part = text[start : start + 240]
    pattern = re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)
    marked = pattern.sub(lambda m: f"{_START}{m.group(0)}{_STOP}", part)
    return _marked(("… " if start else "") + marked + (" …" if start + 240 < len(text) else ""))


def _plan_hit(version: PlanVersion, snippet: Any) -> Hit:
    program = version.plan.program
    return Hit(
        kind="plan",
        title=f"Plan of {program.name}",
        url=reverse("plans:detail", kwargs={"slug": program.slug}),
        snippet=snippet if isinstance(snippet, SafeString) else _marked(snippet or ""),
        detail=f"v{version.number} · {version.published_at:%-d %b %Y}",
    )


def _playbook_hit(playbook: Playbook, snippet: Any) -> Hit:
    number = playbook.current_version.number if playbook.current_version else 0
    return Hit(
        kind="playbook",
        title=playbook.title,
        url=reverse("playbooks:detail", kwargs={"slug": playbook.slug}),
        snippet=snippet if isinstance(snippet, SafeString) else _marked(snippet or ""),
        detail=f"Playbook · v{number}",
    )
