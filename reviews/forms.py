"""What the workflows' forms share."""

from django import forms


class TransitionForm(forms.Form):
    """A state change, bound to the version the user saw (a stale one is refused)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
