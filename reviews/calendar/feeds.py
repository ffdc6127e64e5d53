"""Calendar events as an iCalendar (RFC 5545) document that Google Calendar and Outlook read.

Each event is all-day (``DTSTART;VALUE=DATE`` with the next day as ``DTEND``, so no time zone
is involved), with a UID that stays the same for the same object, a DTSTAMP and LAST-MODIFIED
from its last change, and its SEQUENCE from the object's version.
"""

import datetime
from collections.abc import Iterable
from urllib.parse import urlsplit

from django.conf import settings
from icalendar import Calendar, Event

from core.emails import absolute
from reviews.calendar.selectors import CalendarEvent

PRODUCT_ID = "-//Pulse//Calendar feed//EN"
# How often calendar apps that honour it should fetch again (Google Calendar decides itself).
REFRESH_INTERVAL = datetime.timedelta(hours=1)


def uid_domain() -> str:
    """The right-hand side of every UID: the site's host, so UIDs are unique across sites."""
    return urlsplit(settings.SITE_URL).hostname or "pulse"


def calendar_document(*, name: str, events: Iterable[CalendarEvent]) -> bytes:
    """The feed called ``name`` holding ``events``, serialised (CRLF lines, folded at 75)."""
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("refresh-interval", REFRESH_INTERVAL, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", REFRESH_INTERVAL)
    domain = uid_domain()
    for item in events:
        url = absolute(item.path)
        event = Event()
        event.add("uid", f"{item.uid}@{domain}")
        stamp = item.changed_at.astimezone(datetime.UTC)
        event.add("dtstamp", stamp)
        event.add("last-modified", stamp)
        event.add("sequence", item.sequence)
        event.add("dtstart", item.day)
        event.add("dtend", item.day + datetime.timedelta(days=1))
        event.add("summary", item.summary)
        event.add("description", f"{item.description}\n{url}")
        event.add("url", url)
        event.add("categories", [item.category])
        event.add("transp", "TRANSPARENT")  # a launch day does not make anyone busy
        calendar.add_component(event)
    return calendar.to_ical()
