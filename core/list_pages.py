"""The list-page component: what ``templates/components/list_page.html`` needs besides the
blocks a list template fills (heading, lead, actions, results), and the page side of a list's
FilterSet.

Each list has one FilterSet that its API accepts, and a page subclass that adds what only a
page has (a search box, a sort, a default the page applies, selects that name what the API
takes by slug) through ``PageFilterMixin``.
"""

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, cast

from django import forms

from core.forms import form_field


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


class OneOfSelect(forms.Select):
    """One choice from a select, for a filter the API lets repeat (``?phase=a&phase=b``).

    The page offers one value at a time; a link that repeats the parameter still works.
    """

    def value_from_datadict(self, data, files, name) -> list[str]:
        values = data.getlist(name) if hasattr(data, "getlist") else [data.get(name)]
        return [value for value in values if value]


class PageFilterMixin:
    """The page side of a list's FilterSet.

    ``ANY`` names the "no filter" choice of each select the page offers one value at a time
    (the API lets those repeat); ``PAGE_ONLY`` lists the filters that shape the page without
    narrowing it (what the empty state's "no match" needs to know). An invalid value (a stale
    bookmark) fails its field and is left out of the filtering, not shown as an error.
    """

    ANY: ClassVar[dict[str, str]] = {}
    PAGE_ONLY: ClassVar[tuple[str, ...]] = ()

    if TYPE_CHECKING:  # what the FilterSet this mixes into provides

        @property
        def form(self) -> forms.Form: ...

        def is_valid(self) -> bool: ...

    def select(self, form: forms.Form, name: str, choices: Any = None) -> None:
        """Offer ``name`` as a select of one value, its first choice the ``ANY`` label.

        ``choices`` default to the filter's own; given, they name what the API takes by slug
        or username. A filter the API lets repeat (``?state=a&state=b``) still takes a link
        that repeats it. A value not among the choices (a team since renamed) fails the field
        and is left out.
        """
        field = form.fields[name]
        if choices is None:
            # Django normalises a choice field's choices to (value, label) pairs; the stubs
            # type the getter as anything the setter accepts.
            own = cast(list[tuple[Any, Any]], form_field(form, name, forms.ChoiceField).choices)
            choices = [choice for choice in own if choice[0] != ""]
        if isinstance(field, forms.MultipleChoiceField):
            field.widget = OneOfSelect(choices=[("", self.ANY[name]), *choices])
        else:
            form.fields[name] = forms.ChoiceField(
                label=field.label, required=False, choices=[("", self.ANY[name]), *choices]
            )

    @property
    def cleaned(self) -> dict[str, Any]:
        """The valid values (the invalid ones left out)."""
        self.is_valid()
        return getattr(self.form, "cleaned_data", {})

    @property
    def narrows(self) -> bool:
        """Whether a filter narrows the list (the empty state says "no match" then)."""
        return any(value for name, value in self.cleaned.items() if name not in self.PAGE_ONLY)
