import time
import zoneinfo

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequired
from django.contrib.auth.signals import user_logged_in
from django.contrib.auth.views import redirect_to_login
from django.utils import timezone


class LoginRequiredMiddleware(DjangoLoginRequired):
    """Every page needs sign-in; the API answers 401/403 itself (token or session auth)."""

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path_info.startswith("/api/"):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


class UserTimezoneMiddleware:
    """Show times in the user's own zone, which the browser reports in the ``tz`` cookie."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        name = request.COOKIES.get("tz", "")
        try:
            timezone.activate(zoneinfo.ZoneInfo(name)) if name else timezone.deactivate()
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            timezone.deactivate()
        return self.get_response(request)


def _stamp_sign_in(sender, request, user, **kwargs) -> None:
    """Start the session's clocks at sign-in (saved with the login), so the first request
    after it writes nothing."""
    if hasattr(request, "session"):
        now = int(time.time())
        request.session["pulse_signed_in_at"] = now
        request.session["pulse_seen_at"] = now


user_logged_in.connect(_stamp_sign_in, dispatch_uid="core.session_expiry.stamp_sign_in")


class SessionExpiryMiddleware:
    """Sign a user out after ``SESSION_IDLE_TIMEOUT`` without a request, or
    ``SESSION_ABSOLUTE_TIMEOUT`` after signing in, whichever comes first (OWASP ASVS level 2:
    30 minutes idle, 12 hours in all, by default).

    The last request's time is written to the session at most once a minute, so a busy user
    costs one session write a minute, not one a request. Pages go back to the login page with
    a message; the API (a session-authenticated call) simply finds itself signed out.
    """

    # Seconds between two writes of the last request's time.
    TOUCH_EVERY = 60

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            now = int(time.time())
            started = request.session.setdefault("pulse_signed_in_at", now)
            seen = request.session.get("pulse_seen_at", now)
            idle = settings.SESSION_IDLE_TIMEOUT.total_seconds()
            absolute = settings.SESSION_ABSOLUTE_TIMEOUT.total_seconds()
            if now - seen > idle or now - started > absolute:
                logout(request)
                if not request.path_info.startswith("/api/"):
                    messages.info(request, "Your session expired. Sign in again to continue.")
                    return redirect_to_login(request.get_full_path())
            elif now - seen >= self.TOUCH_EVERY or "pulse_seen_at" not in request.session:
                request.session["pulse_seen_at"] = now
        return self.get_response(request)
