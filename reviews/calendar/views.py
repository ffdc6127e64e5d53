"""The feeds (no session: the secret in the URL is the credential) and the page listing them.

An unknown or revoked secret, an inactive owner, or an unknown portfolio answer 404 alike, so
a URL tells nothing about which part was wrong.
"""

from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core.calendar_tokens import calendar_feed_owner, calendar_token_of
from core.types import SignedInRequest, User
from programs.models import Portfolio
from reviews.calendar.feeds import calendar_document
from reviews.calendar.selectors import feed_events


def _owner(key: str) -> User:
    owner = calendar_feed_owner(key)
    if owner is None:
        raise Http404("No such calendar.")
    return owner


def _ics(document: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(document, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    # The URL is a secret: keep it (and the feed) out of search engines and shared caches.
    response["X-Robots-Tag"] = "noindex"
    return response


@login_not_required
@never_cache
@require_GET
def user_feed(request: HttpRequest, key: str) -> HttpResponse:
    """The token owner's feed: every program they may see."""
    user = _owner(key)
    events = feed_events(user=user, today=timezone.localdate())
    return _ics(calendar_document(name="Pulse: launches and reviews", events=events), "pulse.ics")


@login_not_required
@never_cache
@require_GET
def portfolio_feed(request: HttpRequest, key: str, slug: str) -> HttpResponse:
    """One portfolio's feed, as the token's owner may see it."""
    user = _owner(key)
    portfolio = Portfolio.objects.filter(slug=slug).first()
    if portfolio is None:
        raise Http404("No such calendar.")
    events = feed_events(user=user, today=timezone.localdate(), portfolio=portfolio)
    return _ics(
        calendar_document(name=f"Pulse: {portfolio.name}", events=events),
        f"pulse-{portfolio.slug}.ics",
    )


def feeds_page(request: SignedInRequest) -> HttpResponse:
    """Your calendar URLs: yours, and one per portfolio (made on the profile page)."""
    return render(
        request,
        "reviews/calendar/feeds.html",
        {
            "calendar_token": calendar_token_of(request.user),
            "portfolios": Portfolio.objects.order_by("name").only("name", "slug"),
        },
    )
