"""API throttling: per signed-in user and per address, rates from the settings.

``REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"]`` names these (a module of its own: DRF imports
the throttle classes while it defines ``APIView``, so this module must not import views).
Past the rate DRF answers 429 with ``Retry-After`` and ``{"detail": ...}``.
"""

import logging
from typing import cast

from rest_framework import throttling
from rest_framework.settings import api_settings

logger = logging.getLogger(__name__)


class _SettingsRate(throttling.SimpleRateThrottle):
    """Reads its rate from ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` when it is created (per
    request), not when DRF was imported, so the settings (and tests that change them) hold.

    Throttling is best-effort: if the cache that counts requests (Redis) cannot be reached, the
    request is let through and the failure logged; a request never fails because of it.
    """

    def get_rate(self) -> str | None:
        # The stubs type the rates as numbers; DRF's are strings such as "60/hour".
        rates = cast(dict[str, str | None], api_settings.DEFAULT_THROTTLE_RATES)
        rate = (rates.get(self.scope or "") or "").strip()
        return None if rate.lower() in ("", "off", "none") else rate

    def allow_request(self, request, view) -> bool:
        try:
            allowed = super().allow_request(request, view)
        except Exception:
            logger.warning("API throttling skipped: its cache is unavailable", exc_info=True)
            return True
        if not allowed:
            logger.warning(
                "API throttled (%s, %s): %s %s", self.scope, self.rate, request.method, request.path
            )
        return allowed


class UserRateThrottle(_SettingsRate, throttling.UserRateThrottle):
    """Signed-in callers: ``API_THROTTLE_USER`` requests per user (default 2000/hour)."""


class AnonRateThrottle(_SettingsRate, throttling.AnonRateThrottle):
    """Callers not signed in, per address: ``API_THROTTLE_ANON`` (default 60/hour).

    Every API operation needs a signed-in caller, so DRF (which checks permissions before
    throttles) would never count these; ``core.api.exception_handler`` counts each refused
    request (no or wrong credentials) here instead, so guessing tokens is slowed down to 429.
    """
