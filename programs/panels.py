"""Sections that the apps above ``programs`` add to the program page.

``programs`` must not import ``reviews`` or ``metrics``; instead they register a provider here
(in their ``AppConfig.ready``) that returns a ``Panel`` for a program — its template, its
context and where it goes. The program page renders whatever is registered, in order.
Each provider runs a fixed number of queries, so the page's count stays independent of data size.
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


PanelProvider = Callable[[HttpRequest, Program, bool], Panel | None]

_providers: dict[str, PanelProvider] = {}


def register(name: str, provider: PanelProvider) -> None:
    """Add (or replace) the provider called ``name``; it gets (request, program, can_edit)."""
    _providers[name] = provider


def panels_for(request: HttpRequest, program: Program, *, can_edit: bool) -> dict[str, list[Panel]]:
    """The registered panels for this program, grouped by column and sorted."""
    columns: dict[str, list[Panel]] = {"top": [], "main": [], "side": []}
    for provider in _providers.values():
        panel = provider(request, program, can_edit)
        if panel is not None:
            columns[panel.column].append(panel)
    for panels in columns.values():
        panels.sort(key=lambda panel: panel.order)
    return columns
