"""How a webhook delivery is signed, and how a receiver checks it (copy ``verify_signature``).

Each POST carries ``X-Pulse-Timestamp`` (Unix seconds when the attempt was made) and
``X-Pulse-Signature: sha256=<hex>``, the HMAC-SHA256 of ``<timestamp>.<raw body>`` keyed with
the endpoint's secret. A receiver recomputes it over the raw bytes it received (before any
JSON parsing), compares in constant time, and refuses a timestamp more than five minutes
away from its clock, so a captured request cannot be replayed later. Every attempt (a retry,
a re-send) is signed afresh with its own timestamp.
"""

import hashlib
import hmac
import time

TIMESTAMP_HEADER = "X-Pulse-Timestamp"
SIGNATURE_HEADER = "X-Pulse-Signature"
# Five minutes: clocks of two well-run machines agree far better; a replay waits longer.
TOLERANCE_SECONDS = 5 * 60


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The ``X-Pulse-Signature`` value of ``body`` sent at ``timestamp``."""
    signed = f"{timestamp}.".encode() + body
    return "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def signed_headers(secret: str, body: bytes, *, now: float | None = None) -> dict[str, str]:
    timestamp = int(time.time() if now is None else now)
    return {
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: signature(secret, timestamp, body),
    }


def verify_signature(
    *,
    secret: str,
    body: bytes,
    timestamp: str | None,
    signature_header: str | None,
    now: float | None = None,
    tolerance: int = TOLERANCE_SECONDS,
) -> bool:
    """Whether a request is from Pulse: the receiver's side, standard library only.

    ``body`` is the raw request body; ``timestamp`` and ``signature_header`` the values of
    ``X-Pulse-Timestamp`` and ``X-Pulse-Signature``. False for a missing or malformed header,
    a timestamp outside ``tolerance`` seconds of ``now``, or a signature that does not match.
    """
    if not timestamp or not signature_header:
        return False
    try:
        sent_at = int(timestamp)
    except ValueError:
        return False
    if abs((time.time() if now is None else now) - sent_at) > tolerance:
        return False
    expected = signature(secret, sent_at, body)
    return hmac.compare_digest(expected.encode(), signature_header.encode())
