"""The insights pages: an overview, one page per section, and each block's CSV."""

import csv
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from core.types import SignedInRequest
from metrics.analytics.export import may_export
from metrics.insights import cache
from metrics.insights.forms import InsightsFilterForm
from metrics.insights.sections import SECTIONS, Section
from metrics.insights.selectors import InsightsFilters, filter_choices, may_read_insights


def _allowed(request: SignedInRequest) -> None:
    if not may_read_insights(request.user):
        raise PermissionDenied("Insights are for TPMs and leadership.")


def _filters(request: SignedInRequest) -> tuple[InsightsFilterForm, InsightsFilters]:
    portfolios, teams = filter_choices()
    form = InsightsFilterForm(
        request.GET or None, portfolios=portfolios, teams=teams, today=timezone.localdate()
    )
    filters = form.filters() if request.GET else InsightsFilters(quarter=form.current)
    form.selected_portfolio = next((p for p in portfolios if p.slug == filters.portfolio), None)
    return form, filters


def _section(slug: str) -> Section:
    section = SECTIONS.get(slug)
    if section is None:
        raise Http404("No such insights section.")
    return section


def _computed(
    section: Section,
    request: SignedInRequest,
    filters: InsightsFilters,
    generation_token: str | None = None,
) -> Any:
    return cache.section_data(
        slug=section.slug, selector=section.selector, user=request.user, filters=filters,
        now=timezone.now(), generation_token=generation_token,
    )  # fmt: skip


@require_http_methods(["GET", "HEAD"])
def overview(request: SignedInRequest) -> HttpResponse:
    """Every section's headline numbers for the chosen scope, each linking to its page."""
    _allowed(request)
    form, filters = _filters(request)
    cards = []
    # One cache round trip for every section's generation.
    tokens = cache.generations() if cache.cache_seconds() > 0 else {}
    for section in SECTIONS.values():
        shown = section.present(_computed(section, request, filters, tokens.get(section.slug)))
        cards.append({"section": section, "kpis": shown.kpis, "trend": shown.blocks[0]})
    return render(
        request,
        "metrics/insights/overview.html",
        {"filter_form": form, "filters": filters, "cards": cards, "sections": SECTIONS.values(),
         "nav_section": "insights", "may_export": may_export(request.user)},
    )  # fmt: skip


@require_http_methods(["GET", "HEAD"])
def section_page(request: SignedInRequest, section: str) -> HttpResponse:
    _allowed(request)
    chosen = _section(section)
    form, filters = _filters(request)
    shown = chosen.present(_computed(chosen, request, filters))
    return render(
        request,
        "metrics/insights/section.html",
        {"filter_form": form, "filters": filters, "section": chosen, "presentation": shown,
         "sections": SECTIONS.values(), "nav_section": "insights"},
    )  # fmt: skip


class _Echo:
    """A file-like object whose write returns the line: csv.writer feeding a stream."""

    def write(self, value: str) -> str:
        return value


@require_http_methods(["GET", "HEAD"])
def block_csv(request: SignedInRequest, section: str, block: str) -> StreamingHttpResponse:
    """One block's table as CSV, with the page's filters: what the table shows, every row."""
    _allowed(request)
    chosen = _section(section)
    _form, filters = _filters(request)
    found = chosen.present(_computed(chosen, request, filters)).block(block)
    if found is None:
        raise Http404("No such table in this section.")
    writer = csv.writer(_Echo())
    scope = "-".join(v for v in (filters.portfolio, filters.team) if v) or "all"
    name = f"pulse-insights-{chosen.slug}-{found.key}-{filters.quarter}-{scope}.csv"
    return StreamingHttpResponse(
        (writer.writerow(row) for row in found.csv_rows()),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
