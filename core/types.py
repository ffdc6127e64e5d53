"""Types the apps share in annotations: the user model and the requests a signed-in user sends.

``User`` is the project's user model as the type checker sees it. django-stubs resolves its
``_User`` alias to ``settings.AUTH_USER_MODEL`` (what ``get_user_model()`` returns), so an
annotation follows the setting instead of naming ``auth.User``. ``_User`` exists only in the
stubs, hence the import under ``TYPE_CHECKING``; the alias itself is lazy, so nothing evaluates
it at run time.

The request types are what a view may rely on: ``LoginRequiredMiddleware`` turns every anonymous
page request away before a view runs (the ``@login_not_required`` views keep ``HttpRequest``),
and the API's default ``IsAuthenticated`` permission does the same for every API view, so their
``user`` is a real user, never ``AnonymousUser``. ``HtmxMiddleware`` adds ``htmx`` to every
request.
"""

from typing import TYPE_CHECKING

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails
from rest_framework.request import Request

if TYPE_CHECKING:
    from django.contrib.auth.models import _User

type User = _User


class SignedInRequest(HttpRequest):
    """A page request past ``LoginRequiredMiddleware`` (for annotations; never instantiated)."""

    user: User
    htmx: HtmxDetails


class SignedInApiRequest(Request):
    """An API request past ``IsAuthenticated`` (for annotations; never instantiated)."""

    user: User
    htmx: HtmxDetails
