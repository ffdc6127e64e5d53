"""Safely repeatable POSTs: the ``Idempotency-Key`` header.

A client (CI tooling, a retrying script) sends a key of its choosing with a write. The first
request with that key does the write and its successful answer is stored with the key, in the
same transaction. Later requests from the same user with the same key:

- and the same body get the stored answer again (header ``Idempotent-Replayed: true``),
  without a second write;
- and a different body (or another endpoint) are refused with 422.

Two identical requests racing each other serialise on the key's unique index: the second
waits for the first to commit and then replays its answer. A refused write (4xx) stores
nothing, so the corrected request may reuse the key.

A key is remembered for ``IDEMPOTENCY_KEY_TTL_HOURS`` (24 by default): after that it starts
afresh, as a new request would, and an hourly task deletes the expired records.
"""

import datetime
import hashlib
import json
from collections.abc import Callable

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from reviews.models import IdempotencyRecord

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 200

IDEMPOTENCY_KEY = OpenApiParameter(
    name=HEADER,
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        "A unique key of your choosing (e.g. a UUID or the CI run id). Repeating the request "
        "with the same key and body returns the stored answer without writing again; the same "
        "key with a different body is refused with 422."
    ),
)


class IdempotencyKeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = (
        "This Idempotency-Key was already used with a different request. "
        "Use a new key for a new request."
    )
    default_code = "idempotency_key_reused"


def _fingerprint(data) -> str:
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def expired_before() -> datetime.datetime:
    """Records created before this time are expired: their keys start afresh."""
    return timezone.now() - datetime.timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)


def idempotency_records_prune() -> int:
    """Delete the expired records (hourly, Celery beat); returns how many."""
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=expired_before()).delete()
    return deleted


def idempotent(request, *, scope: str, perform: Callable[[], Response]) -> Response:
    """Run ``perform`` once per (user, key); replay its stored answer for repeats."""
    key = request.headers.get(HEADER, "").strip()
    if not key:
        return perform()
    if len(key) > MAX_KEY_LENGTH:
        raise exceptions.ValidationError({HEADER: [f"At most {MAX_KEY_LENGTH} characters."]})
    fingerprint = _fingerprint(request.data)
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    user=request.user, key=key, scope=scope, fingerprint=fingerprint,
                    status_code=0, body={},
                )  # fmt: skip
        except IntegrityError:
            record = IdempotencyRecord.objects.select_for_update().get(user=request.user, key=key)
            if record.created_at < expired_before():
                # Not yet pruned: taken over in place (a request racing this one waits on the
                # lock, then finds this request's record).
                record.created_at = timezone.now()
                record.scope, record.fingerprint = scope, fingerprint
                record.status_code, record.body = 0, {}
                record.save()
            elif record.scope != scope or record.fingerprint != fingerprint:
                raise IdempotencyKeyReused() from None
            else:
                return Response(
                    record.body, status=record.status_code, headers={"Idempotent-Replayed": "true"}
                )
        response = perform()
        record.status_code = response.status_code
        record.body = json.loads(JSONRenderer().render(response.data))
        record.save(update_fields=["status_code", "body"])
        return response
