"""The generic form view: a service's result redirects with a message; its refusal re-renders."""

import pytest
from django import forms
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.cache import SessionStore
from django.test import RequestFactory

from core.errors import DomainError, StaleWriteError
from core.generic_views import service_form_view


class NameForm(forms.Form):
    name = forms.CharField()


def post(data: dict):
    request = RequestFactory().post("/things/new/", data)
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    return request


def run(request, service):
    return service_form_view(
        request,
        form=NameForm(request.POST or None),
        service=service,
        success_message=lambda result: f"Saved {result}.",
        success_url=lambda result: f"/things/{result}/",
        template="programs/form_page.html",
        context={"title": "New thing", "submit_label": "Save", "cancel_url": "/"},
    )


def test_a_result_redirects_with_its_message():
    request = post({"name": "disk"})
    response = run(request, lambda data: data["name"].upper())
    assert (response.status_code, response.url) == (302, "/things/DISK/")
    assert [str(m) for m in get_messages(request)] == ["Saved DISK."]


def test_a_service_returning_nothing_still_succeeded():
    response = run(post({"name": "disk"}), lambda data: None)
    assert (response.status_code, response.url) == (302, "/things/None/")


@pytest.mark.parametrize(
    ("error", "shown"),
    [
        (DomainError({"name": "That name is taken."}), "That name is taken."),
        (DomainError("Not on a Sunday."), "Not on a Sunday."),
        (StaleWriteError(current_version=3, submitted_version=2), "changed by someone else"),
    ],
)
def test_a_refusal_is_shown_on_the_form_never_a_500(error, shown):
    def refuse(data):
        raise error

    request = post({"name": "disk"})
    response = run(request, refuse)
    assert response.status_code == 200
    assert shown in response.content.decode()
    assert list(get_messages(request)) == []


def test_an_invalid_form_never_calls_the_service():
    called = []
    response = run(post({"name": ""}), called.append)
    assert response.status_code == 200 and called == []
