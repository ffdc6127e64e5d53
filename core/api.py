"""What every API shares: the error format, optimistic concurrency, a router,
and the bases of every viewset and input serializer (``PulseViewSet``, ``InputSerializer``).
The page size lives in ``core.pagination``: DRF loads the pagination class while it defines
its generic views, so that module may not import them (this one does).

Reads go through a queryset, writes through services; every change to an existing object says
which version it was based on: an ``If-Match`` header with the ETag from GET (stale: 412) or
``version`` in the body (stale: 409); with neither, 428. Who may write is each app's rule: a
viewset says it in ``check_can_write`` (and, for creation, ``check_can_create``).
"""

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.http import Http404
from rest_framework import (
    exceptions,
    mixins,
    permissions,
    serializers,
    status,
    viewsets,
)
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter
from rest_framework.serializers import as_serializer_error
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import StaleWriteError
from core.roles import is_admin
from core.schema import PulseAutoSchema
from core.types import SignedInApiRequest


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


# --- Bases of every viewset and input serializer ------------------------------------------

VERSION_HELP = (
    "The version you edited (from GET). Required unless an If-Match header is sent; "
    "a stale version is refused with 409."
)


class InputSerializer(serializers.Serializer):
    """Refuses fields it does not take, so a misspelt or read-only field is never dropped silently.

    ``refused_fields`` maps a field name to the message that says where it is changed instead.
    """

    refused_fields: Mapping[str, str] = {}

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {
                        name: [self.refused_fields.get(name, "This field cannot be set here.")]
                        for name in unknown
                    }
                )
        return super().to_internal_value(data)


class VersionedInputSerializer(InputSerializer):
    """An update: it may carry the version it was based on (or the client sends If-Match)."""

    version = serializers.IntegerField(required=False, min_value=1, help_text=VERSION_HELP)


class AdminWritesOnly(permissions.BasePermission):
    """Everyone signed in reads; only admins write."""

    message = "Only admins change portfolios and teams."

    def has_permission(self, request, view) -> bool:
        return request.method in permissions.SAFE_METHODS or is_admin(request.user)


class PulseViewSet(viewsets.GenericViewSet):
    """Reads through a queryset, writes through services, concurrency on every update.

    Subclasses name their output ``serializer_class``, their ``input_serializers`` per action,
    and implement ``perform_service(action, instance, data, version)`` for their writes.
    """

    schema = PulseAutoSchema()
    # The API's default permission (IsAuthenticated) refuses anonymous callers before any
    # action runs, so the user is always a real one.
    request: SignedInApiRequest
    # Always a queryset (never a bare manager), which ``base_queryset`` returns as it is.
    queryset: QuerySet[Any]
    input_serializers: dict[str, type] = {}
    # Actions that change an existing object: they need If-Match or a body version.
    versioned_actions: tuple[str, ...] = ("update", "partial_update")

    def base_queryset(self):
        """Every object with what its output needs, before the visibility filter."""
        return self.queryset

    def get_queryset(self):
        return self.base_queryset()

    def get_input_serializer_class(self):
        return self.input_serializers.get(getattr(self, "action", None) or "")

    def parse(self, *, instance=None, partial: bool = False) -> dict:
        """Validate the body with the action's input serializer; its data minus ``version``."""
        serializer = self.get_input_serializer_class()(
            instance=instance,
            data=self.request.data,
            partial=partial,
            context=self.get_serializer_context(),
        )
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("version", None)
        return data

    def respond(self, instance, *, status_code: int = status.HTTP_200_OK) -> Response:
        """The object as the output serializer shows it, re-read with its annotations, and its ETag."""
        fresh = self.base_queryset().get(pk=instance.pk)
        response = Response(self.get_serializer(fresh).data, status=status_code)
        if hasattr(fresh, "version"):
            response["ETag"] = etag_for(fresh)
        return response

    def check_can_write(self, instance) -> None:
        """Object-level write permission: every viewset that changes objects says who may."""
        raise exceptions.PermissionDenied()

    def versioned_write(self, *, partial: bool = False) -> Response:
        """Change an existing object: 404 unseen, 403 not allowed, 412/428 precondition, 400, 409."""
        instance = self.get_object()
        self.check_can_write(instance)
        version = expected_version(self.request, instance)
        data = self.parse(instance=instance, partial=partial)
        changed = self.perform_service(self.action, instance=instance, data=data, version=version)
        return self.respond(changed)

    def perform_service(self, action_name: str, *, instance, data: dict, version: int | None):
        raise NotImplementedError

    def retrieve(self, request, *args, **kwargs):
        instance = self.get_object()
        if not hasattr(instance, "version"):
            return Response(self.get_serializer(instance).data)
        etag = etag_for(instance)
        if etag in [tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")]:
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag})
        response = Response(self.get_serializer(instance).data)
        response["ETag"] = etag
        return response

    def update(self, request, *args, **kwargs):
        return self.versioned_write(partial=False)

    def partial_update(self, request, *args, **kwargs):
        return self.versioned_write(partial=True)


class ReadWriteViewSet(
    mixins.ListModelMixin,
    PulseViewSet,
):
    """List, retrieve, create, update (PUT/PATCH); no delete: programs are closed, not erased."""

    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def create(self, request, *args, **kwargs):
        self.check_can_create()
        data = self.parse()
        created = self.perform_create_service(data)
        return self.respond(created, status_code=status.HTTP_201_CREATED)

    def check_can_create(self) -> None:
        """Permission to create before the body is read; children check their program later."""

    def perform_create_service(self, data: dict):
        raise NotImplementedError
