"""What every API shares: pagination, the error format, and optimistic concurrency."""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, pagination, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import StaleWriteError


class Pagination(pagination.PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


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


def exception_handler(exc, context):
    """Domain and Django validation errors become 400 with field messages; stale writes 409."""
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, StaleWriteError):
        response = Response(
            {"detail": str(exc), "current_version": exc.current_version},
            status=status.HTTP_409_CONFLICT,
        )
        return response
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    return drf_exception_handler(exc, context)


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
