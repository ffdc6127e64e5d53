"""What every API shares: pagination, the error format, optimistic concurrency, a router."""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, pagination, status
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter
from rest_framework.serializers import as_serializer_error
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import StaleWriteError


class Pagination(pagination.PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class Router(DefaultRouter):
    """The API's router: an object's lookup matches any path segment, dots included.

    DRF's default (``[^/.]+``) leaves ``/milestones/1.5/`` to Django's HTML 404 page; here the
    view gets it and answers the API's JSON 404 ("no such object"), as the schema says.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._default_value_pattern = "[^/]+"


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "The If-Match header does not match the current version of this object."
    default_code = "precondition_failed"


class PreconditionRequired(exceptions.APIException):
    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_detail = (
        "Send the version you edited: an If-Match header with the object's ETag, "
        "or a 'version' field in the body."
    )
    default_code = "precondition_required"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "stale_version"


def _throttled_anonymous(request, view) -> exceptions.Throttled | None:
    """Count a refused anonymous request; past the rate, the 429 to answer instead."""
    if request is None:
        return None
    from core.throttling import AnonRateThrottle

    throttle = AnonRateThrottle()
    if throttle.allow_request(request, view):
        return None
    return exceptions.Throttled(wait=throttle.wait())


def exception_handler(exc, context):
    """Every refusal in the shapes the schema documents (``core.schema``).

    - Domain and Django validation errors become 400 with field messages (always an object);
    - a stale write is 409 with the current version, or 412 when the client sent If-Match: a
      write whose If-Match matched when the view read the object can still find it changed
      once the service holds the row lock (another writer got there in between), which is the
      same stale precondition as a mismatch seen earlier. Only a stale ``version`` in the
      body answers 409 (with the current version, to reload);
    - a request refused for want of credentials counts against the anonymous rate, and past
      it answers 429 with Retry-After (``core.throttling``).
    """
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        exc = _throttled_anonymous(context.get("request"), context.get("view")) or exc
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, StaleWriteError):
        if _used_if_match(context):
            exc = PreconditionFailed()
        else:
            return Response(
                {"detail": str(exc), "current_version": exc.current_version},
                status=status.HTTP_409_CONFLICT,
            )
    elif isinstance(exc, exceptions.ValidationError) and isinstance(exc.detail, list):
        # A refusal not tied to a field (e.g. DRF's search filter refusing a NUL character)
        # takes the documented shape: an object, with its messages as ``non_field_errors``.
        exc = exceptions.ValidationError({api_settings.NON_FIELD_ERRORS_KEY: exc.detail})
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    return drf_exception_handler(exc, context)


def _used_if_match(context) -> bool:
    """Whether the failed write's precondition was an If-Match header (a versioned action)."""
    request, view = context.get("request"), context.get("view")
    versioned = getattr(view, "versioned_actions", ())
    return bool(
        request is not None
        and request.headers.get("If-Match")
        and getattr(view, "action", None) in versioned
    )


def etag_for(instance) -> str:
    return f'"{instance.version}"'


def expected_version(request, instance) -> int:
    """The version a write is based on: If-Match (412 if stale) or the body's ``version``.

    A stale body version is left to the service, which refuses it with 409 under a row lock.
    """
    if_match = request.headers.get("If-Match")
    if if_match:
        tags = [tag.strip().removeprefix("W/") for tag in if_match.split(",")]
        if "*" in tags:
            return instance.version
        if etag_for(instance) not in tags:
            raise PreconditionFailed()
        return instance.version
    raw = request.data.get("version") if hasattr(request.data, "get") else None
    if raw in (None, ""):
        raise PreconditionRequired()
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise exceptions.ValidationError({"version": ["A whole number is required."]}) from None
