"""The list-page component's settings: what ``templates/components/list_page.html`` needs
besides the blocks a list template fills (heading, lead, actions, results)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class ListPage:
    """One list page: where its filter bar submits and which region htmx swaps.

    ``search_field`` is the id of the text input that filters as one types (empty: none);
    ``filters_class`` an extra class for the filter grid's columns.
    """

    url: str
    results_id: str
    filter_label: str
    search_field: str = ""
    filters_class: str = ""

    def wants_results_only(self, request) -> bool:
        """An htmx request aimed at the results region gets the results partial alone."""
        htmx = getattr(request, "htmx", None)
        return htmx is not None and bool(htmx) and htmx.target == self.results_id
