"""Sign-in, the profile page with API tokens, and the probes.

The home page reads every app's data, so it lives at the top layer (``metrics.home``).
"""

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from kombu import Connection

from core.calendar_tokens import calendar_token_of, calendar_token_renew
from core.errors import DomainError
from core.tokens import api_token_create, api_token_revoke, api_tokens_of
from core.types import SignedInRequest

logger = logging.getLogger(__name__)


@login_not_required
@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness: the process answers. Touches neither the database nor the broker."""
    return JsonResponse({"status": "ok"})


@login_not_required
@never_cache
@require_GET
def readyz(request: HttpRequest) -> HttpResponse:
    """Readiness: the database answers and, when Celery has a broker, so does the broker."""
    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception:  # noqa: BLE001 - any failure means not ready
        logger.exception("readiness: database check failed")
        checks["database"] = "unavailable"
    if settings.CELERY_TASK_ALWAYS_EAGER:
        checks["broker"] = "eager"
    else:
        try:
            with Connection(settings.CELERY_BROKER_URL, connect_timeout=2) as conn:
                conn.ensure_connection(max_retries=1, timeout=2)
            checks["broker"] = "ok"
        except Exception:  # noqa: BLE001
            logger.exception("readiness: broker check failed")
            checks["broker"] = "unavailable"
    ready = all(value in ("ok", "eager") for value in checks.values())
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", **checks}, status=200 if ready else 503
    )


def profile(request: SignedInRequest) -> HttpResponse:
    """Who you are, your roles, and your API tokens (a new token's secret is shown once)."""
    new_token = request.session.pop("pulse_new_token", None)
    return render(
        request,
        "core/profile.html",
        {
            "tokens": api_tokens_of(request.user),
            "new_token": new_token,
            "lifetimes": settings.API_TOKEN_LIFETIMES_DAYS,
            "errors": request.session.pop("pulse_token_errors", None),
            "calendar_token": calendar_token_of(request.user),
        },
    )


@require_POST
def calendar_token_new(request: SignedInRequest) -> HttpResponse:
    """Make the calendar URL, or revoke it and make a new one (the old one answers 404)."""
    renewing = calendar_token_of(request.user) is not None
    calendar_token_renew(user=request.user)
    logger.info("Calendar URL %s by %s", "renewed" if renewing else "made", request.user.username)
    if renewing:
        messages.success(request, "Calendar URL replaced: the old one no longer works.")
    return redirect(f"{reverse('profile')}#calendar-heading")


@require_POST
def token_create(request: SignedInRequest) -> HttpResponse:
    """Make a named token; its secret is shown once, on the next page, then never again."""
    try:
        lifetime = int(request.POST.get("lifetime_days", "90"))
    except ValueError:
        lifetime = 0
    try:
        token, secret = api_token_create(
            user=request.user, name=request.POST.get("name", ""), lifetime_days=lifetime
        )
    except DomainError as error:
        request.session["pulse_token_errors"] = error.message_dict
        return redirect("profile")
    # Kept in the session for the one page that shows it (popped there), never in the database.
    request.session["pulse_new_token"] = {"name": token.name, "secret": secret}
    logger.info("API token %s… created by %s", token.token_key, request.user.username)
    return redirect("profile")


@require_POST
def token_revoke(request: SignedInRequest, token_key: str) -> HttpResponse:
    if api_token_revoke(user=request.user, token_key=token_key):
        logger.info("API token %s… revoked by %s", token_key, request.user.username)
        messages.success(request, "Token revoked: it no longer works.")
    else:
        messages.error(request, "No such token of yours (already revoked or expired).")
    return redirect("profile")
