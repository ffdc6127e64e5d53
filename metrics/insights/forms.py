"""The insights filter bar: portfolio, team and quarter, all in the query string."""

from django import forms

from core.forms import form_field
from metrics.insights.selectors import InsightsFilters, Quarter, current_quarter
from programs.models import Portfolio


class InsightsFilterForm(forms.Form):
    # Not a field: the view sets the chosen portfolio (or None) for the page's header.
    selected_portfolio: "Portfolio | None"

    portfolio = forms.ChoiceField(label="Portfolio", required=False)
    team = forms.ChoiceField(label="Team", required=False)
    quarter = forms.ChoiceField(label="Quarter", required=False)

    def __init__(self, *args, portfolios=(), teams=(), today=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.current = current_quarter(today)
        form_field(self, "portfolio", forms.ChoiceField).choices = [
            ("", "All portfolios"),
            *((p.slug, p.name) for p in portfolios),
        ]
        form_field(self, "team", forms.ChoiceField).choices = [
            ("", "All teams"),
            *((t.slug, t.name) for t in teams),
        ]
        # The last two years, newest first: what a review of governance looks back on.
        quarters = list(reversed(self.current.trend(8)))
        form_field(self, "quarter", forms.ChoiceField).choices = [
            (str(q), str(q) + (" (current)" if q == self.current else "")) for q in quarters
        ]

    def filters(self) -> InsightsFilters:
        """The valid filters; an invalid value (a stale link) falls back, not an error."""
        self.is_valid()
        data = {
            name: self.cleaned_data.get(name, "") for name in self.fields if name not in self.errors
        }
        return InsightsFilters(
            quarter=Quarter.parse(data.get("quarter", "")) or self.current,
            portfolio=data.get("portfolio", ""),
            team=data.get("team", ""),
        )
