"""Sections that the apps above ``programs`` add to the program page.

``programs`` must not import ``reviews`` or ``metrics``; instead they register a provider here
(in their ``AppConfig.ready``) that returns a ``Panel`` for a program — its template, its
context and where it goes. The program page renders whatever is registered, in order.
Each provider runs a fixed number of queries, so the page's count stays independent of data size.

The page opens with a section bar (links to each section's ``id``). A panel joins it by setting
``anchor`` (the ``id`` of its ``<section>``) and ``nav_label``; panels that leave them empty are
looked up in ``KNOWN_SECTIONS`` by template, and otherwise stay out of the bar.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from django.http import HttpRequest

from programs.models import Program

Column = Literal["top", "main", "side"]


@dataclass(frozen=True)
class Panel:
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    column: Column = "main"
    order: int = 50  # lower comes first within its column
    anchor: str = ""  # the id of the panel's <section>, for the page's section bar
    nav_label: str = ""  # its name in the section bar ("" = not in the bar)


@dataclass(frozen=True)
class NavLink:
    anchor: str
    label: str


# Sections the page template itself writes, in page order. Main-column panels go before Activity.
PAGE_SECTIONS_BEFORE = (
    NavLink("updates", "Updates"),
    NavLink("milestones", "Milestones"),
    NavLink("dependencies", "Dependencies"),
    NavLink("risks", "Risks"),
    NavLink("decisions", "Decisions"),
)
PAGE_SECTIONS_AFTER = (NavLink("activity", "Activity"),)

# Anchors of the panels other apps register (their templates own the ids), for providers that
# do not set ``anchor``/``nav_label`` themselves. The risk matrix is reached through "Risks".
KNOWN_SECTIONS: dict[str, NavLink] = {
    "metrics/_health_panel.html": NavLink("health", "Health"),
    "metrics/_timeline_panel.html": NavLink("milestone-timeline", "Timeline"),
    "metrics/_metrics_panel.html": NavLink("metrics", "Metrics"),
    "reviews/launch/_panel.html": NavLink("launch-reviews", "Launches"),
    "reviews/capacity/_panel.html": NavLink("capacity-requests", "Capacity"),
}


@dataclass(frozen=True)
class ProgramPanels:
    """The panels of one program page by column, and the section bar that links to them."""

    top: list[Panel]
    main: list[Panel]
    side: list[Panel]
    nav: list[NavLink]


PanelProvider = Callable[[HttpRequest, Program, bool], Panel | None]

_providers: dict[str, PanelProvider] = {}


def register(name: str, provider: PanelProvider) -> None:
    """Add (or replace) the provider called ``name``; it gets (request, program, can_edit)."""
    _providers[name] = provider


def _link(panel: Panel) -> NavLink | None:
    if panel.anchor and panel.nav_label:
        return NavLink(panel.anchor, panel.nav_label)
    return KNOWN_SECTIONS.get(panel.template)


def section_nav(top: list[Panel], main: list[Panel], side: list[Panel]) -> list[NavLink]:
    """The section bar in reading order: top panels, the page's own sections with the
    main-column panels before Activity, then the side column."""
    links = [_link(p) for p in top]
    links += PAGE_SECTIONS_BEFORE
    links += [_link(p) for p in main]
    links += PAGE_SECTIONS_AFTER
    links += [_link(p) for p in side]
    seen: set[str] = set()
    nav = []
    for link in links:
        if link is not None and link.anchor not in seen:
            seen.add(link.anchor)
            nav.append(link)
    return nav


def panels_for(request: HttpRequest, program: Program, *, can_edit: bool) -> ProgramPanels:
    """The registered panels for this program, grouped by column and sorted, with the section bar."""
    columns: dict[str, list[Panel]] = {"top": [], "main": [], "side": []}
    for provider in _providers.values():
        panel = provider(request, program, can_edit)
        if panel is not None:
            columns[panel.column].append(panel)
    for panels in columns.values():
        panels.sort(key=lambda panel: panel.order)
    return ProgramPanels(
        top=columns["top"],
        main=columns["main"],
        side=columns["side"],
        nav=section_nav(columns["top"], columns["main"], columns["side"]),
    )
