"""The playbook pages and endpoints run the same number of queries whatever the number of
playbooks, versions and owners (no N+1), measured with ``same_queries_at_two_sizes``; and the
pages that link a playbook do not pay a query per link."""

import datetime

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from tests.factories import PlaybookFactory, PlaybookVersionFactory, UserFactory

pytestmark = pytest.mark.django_db


def grow(owner, *, playbooks: int, versions: int) -> None:
    """``playbooks`` more playbooks of ``owner`` and another person, half overdue, each with
    ``versions`` more versions."""
    for n in range(playbooks):
        other = UserFactory()
        playbook = PlaybookFactory(
            owners=[owner, other],
            review_by=datetime.date(2020, 1, 1) if n % 2 else datetime.date(2099, 1, 1),
        )
        for _ in range(versions):
            PlaybookVersionFactory(playbook=playbook, author=other)


def test_pages_and_endpoints_do_not_grow_with_the_data(client, owner, same_queries_at_two_sizes):
    subject = PlaybookFactory(slug="subject", owners=[owner])
    PlaybookVersionFactory(playbook=subject)
    grow(owner, playbooks=2, versions=1)
    client.force_login(owner)
    client.get(reverse("home"))  # warm the session
    api = APIClient()
    api.force_authenticate(owner)

    def more():
        grow(owner, playbooks=30, versions=3)
        for _ in range(6):
            PlaybookVersionFactory(playbook=subject, author=UserFactory())
        subject.owners.add(*(UserFactory() for _ in range(4)))

    counts = same_queries_at_two_sizes(
        client,
        {
            "list": reverse("playbooks:list"),
            "list, mine overdue": f"{reverse('playbooks:list')}?mine=overdue&q=Process",
            "playbook": reverse("playbooks:detail", args=["subject"]),
            "version": reverse("playbooks:version", args=["subject", 1]),
            "diff": f"{reverse('playbooks:diff', args=['subject'])}?from=1&to=2",
            "home": reverse("home"),
            "api list": lambda: api.get("/api/v1/playbooks/"),
            "api versions": lambda: api.get("/api/v1/playbooks/subject/versions/"),
        },
        grow=more,
    )
    # Session and user, the playbooks and their owners, the page's count: a handful each.
    assert counts["list"] <= 8 and counts["playbook"] <= 8 and counts["api list"] <= 6
