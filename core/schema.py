"""How the API describes itself in OpenAPI: input serializers, errors, If-Match and ETag.

``PulseAutoSchema`` is every API view's schema class (``REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]``),
so each app's endpoints, and core's own, document the same answers. Every operation lists the
errors it can answer with, in the shapes that ``core.api.exception_handler`` produces:

- 400 ``ValidationErrors`` (``{"field": ["message"]}``, ``non_field_errors``, or ``detail``
  for a body that cannot be parsed) on writes, deletions (a refused one) and lists (filters);
- 401/403 for the unauthenticated and the unauthorised;
- 404 for objects that do not exist or are not visible to the caller, and lists' pages past
  the end;
- 409/412/428 on writes to an existing object (optimistic concurrency);
- 415 on writes, for a body of a media type the operation does not take, or of none;
- 429 (throttled, ``core.throttling``) and 503 (database unreachable, ``core.unavailable``)
  on every operation, both with ``Retry-After``.

A view documents anything else it answers with ``extend_schema(responses={...})`` and
``error_response(code)``. Views opt in to the richer parts by what they declare:
``get_input_serializer_class()`` names the request body of a write, ``versioned_actions`` the
actions that take If-Match, and a queryset whose model has a ``version`` makes reads and
writes of one object return an ETag (unless the view sets ``etag_header = False``).
Read-only fields over optional model fields are marked nullable (or blank-able) from the
model, so answers never hold a null or "" the schema does not allow.

``tests/test_schemathesis.py`` holds every operation to this, with schemathesis.
"""

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers

WRITE_METHODS = ("POST", "PUT", "PATCH")


class ErrorSerializer(serializers.Serializer):
    """A refusal without field detail."""

    detail = serializers.CharField()


class StaleVersionSerializer(serializers.Serializer):
    """A write based on an old version: the current version lets the client reload."""

    detail = serializers.CharField()
    current_version = serializers.IntegerField()


# What a 400 really carries: DRF's validation errors keyed by field (a list of messages, a
# nested object for a nested input, a list of those for a list input), ``non_field_errors``
# for the request as a whole, or ``detail`` alone when the body could not be parsed at all.
VALIDATION_ERRORS = ResolvedComponent(
    name="ValidationErrors",
    type=ResolvedComponent.SCHEMA,
    object="ValidationErrors",
    schema={
        "type": "object",
        "description": "Why the input was refused. Each key is the name of an invalid field "
        "(or a query parameter) with its messages; a nested input has the same shape inside. "
        "`non_field_errors` is about the request as a whole; a body that cannot be parsed "
        "answers with `detail` alone.",
        "properties": {
            "detail": {"type": "string", "description": "The body could not be parsed."},
            "non_field_errors": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Messages about the request as a whole.",
            },
        },
        "additionalProperties": {
            "description": "A field's messages, or the errors of a nested input.",
            "anyOf": [
                {"type": "array", "items": {}},
                {"type": "object", "additionalProperties": {}},
                {"type": "string"},
            ],
        },
        "example": {"target_date": ["The target date cannot be before the start date."]},
    },
)

IF_MATCH = OpenApiParameter(
    name="If-Match",
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        'The ETag of the version you edited, e.g. `"3"` (from the `ETag` header of GET). '
        "A stale tag is refused with 412. Without it, send `version` in the body "
        "(stale: 409); with neither, the write is refused with 428."
    ),
)


def _error(description: str, serializer=ErrorSerializer) -> OpenApiResponse:
    return OpenApiResponse(response=serializer, description=description)


ERRORS = {
    "400": _error("Invalid input: messages per field.", {"$ref": VALIDATION_ERRORS.ref["$ref"]}),
    "401": _error("Not signed in: send `Authorization: Token <key>` or use a session."),
    "403": _error("Signed in, but not allowed to do this."),
    "404": _error(
        "No such object, or it is not visible to you (confidential); on a list, no such page."
    ),
    "409": _error(
        "Stale `version` in the body: somebody changed it since.", StaleVersionSerializer
    ),
    "412": _error("Stale `If-Match`: somebody changed it since you read it."),
    "415": _error("The body is not of a media type this operation takes (or has no Content-Type)."),
    "422": _error("This `Idempotency-Key` was already used with a different request."),
    "428": _error("Neither `If-Match` nor `version` was sent: say which version you edited."),
    "429": _error(
        "Too many requests (API_THROTTLE_USER / API_THROTTLE_ANON): wait `Retry-After` seconds."
    ),
    "503": _error("The database cannot be reached right now: retry after `Retry-After` seconds."),
}

RETRY_AFTER = {
    "schema": {"type": "integer"},
    "description": "Seconds to wait before trying again.",
}


def error_response(code: int | str) -> OpenApiResponse:
    """The shared description of an error answer, for a view's own ``extend_schema``."""
    return ERRORS[str(code)]


def _model_source(field):
    """The model field a declared serializer field reads, and whether null can come on the way.

    ModelSerializer describes the fields it builds itself, but not fields declared by hand (a
    ``SlugRelatedField(read_only=True)`` over an optional person, say), and it drops
    ``allow_blank`` from read-only fields. Following the field's source to the model tells what
    the answer can really hold. ``(None, False)`` when the source is not a model field.
    """
    parent = getattr(field, "parent", None)
    model = getattr(getattr(parent, "Meta", None), "model", None)
    source_attrs = getattr(field, "source_attrs", None)
    if model is None or not source_attrs:
        return None, False
    nullable = False
    model_field = None
    for attr in source_attrs:
        if model is None:
            return None, False
        try:
            model_field = model._meta.get_field(attr)
        except FieldDoesNotExist:
            return None, False
        if getattr(model_field, "null", False) and not model_field.many_to_many:
            nullable = True
        model = model_field.related_model
    return model_field, nullable


class PulseAutoSchema(AutoSchema):
    """AutoSchema that knows our views' input serializers, error answers and If-Match."""

    def _is_versioned_write(self) -> bool:
        """Updates and actions on an existing object, which carry optimistic concurrency."""
        versioned_actions = getattr(self.view, "versioned_actions", None)
        return bool(versioned_actions and getattr(self.view, "action", None) in versioned_actions)

    def _has_object(self) -> bool:
        return "{" in self.path

    def get_tags(self) -> list[str]:
        """One tag per resource (``/api/v1/<resource>/...``), so the docs group by resource."""
        parts = [part for part in self.path.split("/") if part]
        return [parts[2]] if len(parts) > 2 and parts[:2] == ["api", "v1"] else super().get_tags()

    def get_request_serializer(self):
        getter = getattr(self.view, "get_input_serializer_class", None)
        if getter is not None and self.method in WRITE_METHODS:
            serializer_class = getter()
            if serializer_class is not None:
                return serializer_class
        return super().get_request_serializer()

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        if self._is_versioned_write():
            parameters.append(IF_MATCH)
        return parameters

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        """Read-only fields say what they can really hold: null, or a blank choice."""
        if direction == "response" and field.read_only and not getattr(field, "many", False):
            model_field, nullable = _model_source(field)
            if nullable:
                field.allow_null = True
            if (
                isinstance(field, serializers.CharField | serializers.ChoiceField)
                and model_field is not None
                and getattr(model_field, "blank", False)
                and isinstance(model_field, models.CharField | models.TextField)
            ):
                field.allow_blank = True
        return super()._map_serializer_field(field, direction, bypass_extensions)

    def _returns_etag(self) -> bool:
        """Reads of one versioned object and writes to one answer with its ``ETag``.

        A view over another aspect of a versioned model (e.g. a program's computed health,
        which changes without its version) says ``etag_header = False``.
        """
        queryset = getattr(self.view, "queryset", None)
        if queryset is None or not hasattr(queryset.model, "version"):
            return False
        if not getattr(self.view, "etag_header", True):
            return False
        action = getattr(self.view, "action", None)
        return action in ("retrieve", "create") or self._is_versioned_write()

    def _get_response_for_code(
        self, serializer, status_code, media_types=None, direction="response"
    ):
        response = super()._get_response_for_code(serializer, status_code, media_types, direction)
        if status_code in ("200", "201") and self._returns_etag():
            response.setdefault("headers", {})["ETag"] = {
                "schema": {"type": "string"},
                "description": 'The object\'s version as an entity tag, e.g. `"3"`: '
                "send it back in If-Match when you change the object.",
            }
        if status_code in ("429", "503"):
            response.setdefault("headers", {})["Retry-After"] = RETRY_AFTER
        return response

    def _error_codes(self) -> list[str]:
        """Every refusal this operation can answer with (see the module's docstring)."""
        codes = ["401", "403", "429", "503"]
        is_list = self.method == "GET" and self._is_list_view()
        if self.method in (*WRITE_METHODS, "DELETE") or is_list:
            codes.append("400")  # bad input; a list's bad filter; a refused deletion
        if self._has_object() or is_list:
            codes.append("404")  # no such object; a list's page past the end
        if self._is_versioned_write():
            codes += ["409", "412", "428"]
        if self.method in WRITE_METHODS:
            codes.append("415")  # a body sent without a Content-Type, or of one not listed
        return codes

    def _get_response_bodies(self, direction="response"):
        self.registry.register_on_missing(VALIDATION_ERRORS)
        responses = super()._get_response_bodies(direction)
        for code in sorted(self._error_codes()):
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    ERRORS[code], code, direction=direction
                )
        return responses
