"""How the API describes itself in OpenAPI: input serializers, errors, If-Match and ETag.

``PulseAutoSchema`` is every API view's schema class (``REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]``),
so each app's endpoints, and core's own, document the same answers. Every operation lists the
errors it can answer with, in the shapes that ``core.api.exception_handler`` produces:

- 400 field messages (``{"field": ["message"]}``) on anything that takes a body or filters;
- 401/403 for the unauthenticated and the unauthorised;
- 404 for objects that do not exist or are not visible to the caller;
- 409/412/428 on writes to an existing object (optimistic concurrency).

Views opt in to the richer parts by what they declare: ``get_input_serializer_class()`` names
the request body of a write, ``versioned_actions`` the actions that take If-Match, and a
queryset whose model has a ``version`` makes reads and writes of one object return an ETag
(unless the view sets ``etag_header = False``).
"""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, inline_serializer
from rest_framework import serializers

WRITE_METHODS = ("POST", "PUT", "PATCH")


class ErrorSerializer(serializers.Serializer):
    """A refusal without field detail."""

    detail = serializers.CharField()


class StaleVersionSerializer(serializers.Serializer):
    """A write based on an old version: the current version lets the client reload."""

    detail = serializers.CharField()
    current_version = serializers.IntegerField()


FIELD_ERRORS = inline_serializer(
    name="FieldErrors",
    fields={
        "field_name": serializers.ListField(
            child=serializers.CharField(),
            help_text="Messages for each invalid field (the key is the field's name); "
            "`non_field_errors` or `detail` for the request as a whole.",
        )
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
    "400": _error("Invalid input: a message per field.", FIELD_ERRORS),
    "401": _error("Not signed in: send `Authorization: Token <key>` or use a session."),
    "403": _error("Signed in, but not allowed to do this."),
    "404": _error("No such object, or it is not visible to you (confidential)."),
    "409": _error(
        "Stale `version` in the body: somebody changed it since.", StaleVersionSerializer
    ),
    "412": _error("Stale `If-Match`: somebody changed it since you read it."),
    "428": _error("Neither `If-Match` nor `version` was sent: say which version you edited."),
}


class PulseAutoSchema(AutoSchema):
    """AutoSchema that knows our views' input serializers, error answers and If-Match."""

    def _is_versioned_write(self) -> bool:
        """Updates and actions on an existing object, which carry optimistic concurrency."""
        return bool(getattr(self.view, "versioned_actions", None)) and (
            getattr(self.view, "action", None) in self.view.versioned_actions
        )

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
        return response

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        codes = ["401", "403"]
        if self.method in WRITE_METHODS or self._is_list_view():
            codes.append("400")
        if self._has_object():
            codes.append("404")
        if self._is_versioned_write():
            codes += ["409", "412", "428"]
        for code in sorted(codes):
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    ERRORS[code], code, direction=direction
                )
        return responses
