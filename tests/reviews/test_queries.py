"""Every reviews list page and list endpoint runs the same number of queries whatever the
data size (no N+1): measured with CaptureQueriesContext at two sizes."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from reviews.capacity import services as capacity_services
from reviews.launch import services
from reviews.models import LaunchReview
from tests.factories import (
    CapacityBudgetFactory,
    MembershipFactory,
    ProgramFactory,
    ReviewerFactory,
    TeamFactory,
    UserFactory,
)
from tests.reviews.conftest import answer_all

pytestmark = pytest.mark.django_db


def populate(n: int, *, author, reviewer, council, team) -> None:
    """``n`` programs, each with two reviews (one submitted and signed in one area, one
    draft) and two capacity requests (one approved, one waiting)."""
    for i in range(n):
        program = ProgramFactory(confidential=i % 3 == 0)
        MembershipFactory(program=program, user=author, role="contributor")
        submitted = services.launch_review_create(
            program=program, user=author, title=f"Launch {i}",
            launch_date=datetime.date(2026, 11, 1) + datetime.timedelta(days=i), tier=3,
        )  # fmt: skip
        answer_all(submitted, author)
        submitted.refresh_from_db()
        services.launch_review_transition(
            review=submitted, user=author, action="submit", version=submitted.version
        )
        services.launch_review_sign_off(
            review=submitted, user=reviewer, area="security", decision="approved"
        )
        services.review_comment_add(review=submitted, user=author, body="Thanks")
        services.launch_review_create(
            program=program, user=author, title=f"Draft {i}",
            launch_date=datetime.date(2026, 12, 1), tier=3,
        )  # fmt: skip
        for amount in (5, 6):
            request = capacity_services.capacity_request_create(
                user=author, team=team, program=program, resource_kind="vcpu", amount=amount,
                environment="production", region="eu-west-1",
                needed_by=datetime.date(2026, 11, 15), justification="Launch.",
            )  # fmt: skip
            request = capacity_services.capacity_request_submit(
                request=request, user=author, version=request.version
            )
            if amount == 5:
                capacity_services.capacity_request_approve(
                    request=request, user=council, version=request.version
                )


def count(client, path, **params) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, params)
    assert response.status_code == 200, (path, response.status_code)
    return len(queries)


def measure(client, api, *, n: int, suffix: str, checklist) -> dict[str, int]:
    author = UserFactory(username=f"author-{suffix}", roles=["Engineer"])
    reviewer = ReviewerFactory(
        user=UserFactory(username=f"rev-{suffix}", roles=["Reviewer"]),
        areas=["security", "reliability"],
    ).user
    council = ReviewerFactory(
        user=UserFactory(username=f"council-{suffix}", roles=["Reviewer"]), capacity_council=True
    ).user
    team = TeamFactory(slug=f"team-{suffix}")
    team.members.add(author)
    CapacityBudgetFactory(team=team, quarter="2026-Q4", resource_kind="vcpu", amount=10_000)
    populate(n, author=author, reviewer=reviewer, council=council, team=team)
    review = LaunchReview.objects.filter(author=author, state="in_review").first()
    request = review.program.capacity_requests.first()
    counts = {}
    for who in (author, reviewer):
        client.force_login(who)
        client.get(reverse("reviews:queue"))  # warm the session
        api.force_authenticate(who)
        pages = {
            "queue": reverse("reviews:queue"),
            "launches": reverse("reviews:launch-list"),
            "review": review.get_absolute_url(),
            "program": review.program.get_absolute_url(),
            "capacity": reverse("reviews:capacity-list"),
            "capacity request": request.get_absolute_url(),
            "team quarter": reverse("reviews:team-capacity", args=[team.slug, "2026-Q4"]),
            "budgets": reverse("reviews:budgets"),
        }
        for name, path in pages.items():
            counts[f"{who.username.split('-')[0]} {name}"] = count(client, path)
        counts[f"{who.username.split('-')[0]} launches filtered"] = count(
            client, reverse("reviews:launch-list"), state="in_review", q="Launch", page=1
        )
        for endpoint in (
            "launch-reviews", "launch-review-items", "sign-offs", "review-comments",
            "capacity-budgets", "capacity-requests",
        ):  # fmt: skip
            counts[f"{who.username.split('-')[0]} api {endpoint}"] = count(
                api, f"/api/v1/{endpoint}/"
            )
    return counts


def test_query_counts_do_not_grow_with_data(client, checklist):
    """2 programs and 30 programs cost the same queries on every list page and endpoint."""
    api = APIClient()
    small = measure(client, api, n=2, suffix="s", checklist=checklist)
    LaunchReview.objects.all().delete()
    large = measure(client, api, n=30, suffix="l", checklist=checklist)
    print({name: (small[name], large[name]) for name in small})
    assert small == large
