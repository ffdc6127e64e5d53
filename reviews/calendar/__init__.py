"""Calendar feeds (iCalendar): launches, critical milestones and operational reviews.

A person's feed, and one per portfolio, reached by a secret URL (``core.models.CalendarToken``)
that calendar apps fetch without a session; each shows only what the token's owner may see.
"""
