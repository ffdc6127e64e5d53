"""Every log line knows its request: a request id, kept for the request's duration.

``RequestIdMiddleware`` takes the id from the ``X-Request-ID`` header a proxy set (when it looks
like one) or makes one, returns it in the response, and ``RequestIdFilter`` puts it on every
log record as ``request_id`` ("-" outside a request: Celery tasks, commands). The production
settings write records as JSON lines (python-json-logger) that carry it.
"""

import contextvars
import logging
import re
import uuid

from django.core.signals import request_finished

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")

# A proxy's id is kept only if it is short and plain: it ends up in every log line.
_ACCEPTABLE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.headers.get("X-Request-ID", "")
        value = given if _ACCEPTABLE.match(given) else uuid.uuid4().hex
        # Kept until the response is closed (``request_finished``), not just while the middleware
        # runs: Django logs a 4xx or 5xx answer ("Not Found: ...") after the middleware returns.
        request_id.set(value)
        request.request_id = value
        response = self.get_response(request)
        response["X-Request-ID"] = value
        return response


def _forget_request_id(**kwargs) -> None:
    request_id.set("-")


request_finished.connect(_forget_request_id, dispatch_uid="core.logging.forget_request_id")


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True
