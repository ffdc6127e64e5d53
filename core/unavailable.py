"""Errors as users should see them: a database that cannot be reached is 503, not 500.

Django turns an exception it did not expect into a 500 through ``handler500``, wherever it was
raised: in a view, or in a middleware that loads the session or the user. While PostgreSQL
restarts or fails over, every request raises ``OperationalError``; this handler answers those
with 503 Service Unavailable and ``Retry-After`` (JSON under ``/api/``, a page elsewhere), so
clients and load balancers retry instead of reporting a bug. Everything else stays a 500.
"""

import logging
import sys

from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.views.defaults import server_error

logger = logging.getLogger(__name__)

# Seconds a client should wait before retrying: a PostgreSQL restart takes a few.
RETRY_AFTER_SECONDS = 5
UNAVAILABLE = (OperationalError, InterfaceError)


def database_unavailable(exc: BaseException | None) -> bool:
    """Whether an exception means the database cannot be reached (not a bad query)."""
    return isinstance(exc, UNAVAILABLE) or (
        isinstance(exc, DatabaseError) and isinstance(exc.__cause__, UNAVAILABLE)
    )


def service_unavailable(request: HttpRequest) -> HttpResponse:
    """503 with Retry-After: JSON for the API, a page (that needs no database) for people."""
    message = "Pulse cannot reach its database right now. Try again in a few seconds."
    response: HttpResponse
    if request.path_info.startswith("/api/"):
        response = JsonResponse({"detail": message}, status=503)
    else:
        page = loader.get_template("503.html").render({"message": message})
        response = HttpResponse(page, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def handler500(request: HttpRequest) -> HttpResponse:
    """``handler500``: called while the exception is being handled, so it can look at it."""
    exc = sys.exc_info()[1]
    if database_unavailable(exc):
        logger.warning("database unavailable: answered 503 for %s", request.path_info)
        return service_unavailable(request)
    return server_error(request)
