"""The one body every "form → service → message → redirect" page shares.

A write page does the same five things in every app: bind the form, validate it, call one
service with the cleaned data, flash what happened and redirect; or, when the form or the
service refuses, render the page again with the errors beside the fields. ``service_form_view``
is that body, so a view only says which form, which service, what to say and where to go.

A service refusal never reaches the user as a 500: a ``DomainError`` (or any
``ValidationError``) becomes field errors, a ``StaleWriteError`` a form-wide error that keeps
what the user typed (``form.stale`` lets the page offer a reload).
"""

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from core.forms import call_service

# An URL, or an object with ``get_absolute_url`` (what ``redirect`` takes).
type Redirect = str | SupportsGetAbsoluteUrl


class SupportsGetAbsoluteUrl(Protocol):
    def get_absolute_url(self) -> str: ...


def service_form_view[T](
    request: HttpRequest,
    *,
    form: forms.BaseForm,
    service: Callable[[dict[str, Any]], T],
    success_message: str | Callable[[T], str],
    success_url: Redirect | Callable[[T], Redirect],
    template: str,
    context: Mapping[str, Any],
) -> HttpResponse:
    """Run ``service`` with the form's cleaned data on a valid POST, else (re-)render the page.

    ``service`` receives a copy of ``cleaned_data`` (it may pop from it). On success the
    message is flashed and the user redirected to ``success_url`` (an URL, a model with
    ``get_absolute_url``, or a callable of the service's result giving either). Otherwise
    ``template`` is rendered with ``context`` and ``form``.
    """
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        succeeded, result = call_service(form, lambda: service(data))
        if succeeded:
            # The service returned normally, so the result has the service's type.
            done: T = result  # type: ignore[assignment]
            message = success_message(done) if callable(success_message) else success_message
            messages.success(request, message)
            return redirect(success_url(done) if callable(success_url) else success_url)
    return render(request, template, {**context, "form": form})
