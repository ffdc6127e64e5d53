"""Every reviews list page and list endpoint runs the same number of queries whatever the
data size (no N+1): measured at two sizes with the shared ``same_queries_at_two_sizes``."""

import datetime
from functools import partial

import pytest
from django.test import Client
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


def populate(programs: range, *, author, reviewer, council, team) -> None:
    """For each of ``programs`` (numbers, for the titles), a program with two reviews (one
    submitted and signed in one area, one draft) and two capacity requests (one approved, one
    waiting)."""
    for i in programs:
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


def api_get(api: APIClient, user, path: str):
    """A request of ``user`` as the API authenticates it: the roles read afresh, as for a user
    loaded per request (``force_authenticate`` hands every request the same object)."""
    user._pulse_roles = None
    return api.get(path)


def test_query_counts_do_not_grow_with_data(checklist, same_queries_at_two_sizes):
    """2 programs and 30 programs cost the same queries on every list page and endpoint."""
    author = UserFactory(username="author", roles=["Engineer"])
    reviewer = ReviewerFactory(
        user=UserFactory(username="reviewer", roles=["Reviewer"]),
        areas=["security", "reliability"],
    ).user
    council = ReviewerFactory(
        user=UserFactory(username="council", roles=["Reviewer"]), capacity_council=True
    ).user
    team = TeamFactory(slug="team")
    team.members.add(author)
    CapacityBudgetFactory(team=team, quarter="2026-Q4", resource_kind="vcpu", amount=10_000)
    people = {"author": author, "reviewer": reviewer, "council": council, "team": team}
    populate(range(2), **people)
    review = LaunchReview.objects.filter(author=author, state="in_review").first()
    request = review.program.capacity_requests.first()
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
    endpoints = (
        "launch-reviews", "launch-review-items", "sign-offs", "review-comments",
        "capacity-budgets", "capacity-requests",
    )  # fmt: skip
    reads = {}
    for who in (author, reviewer):
        client = Client()
        client.force_login(who)
        client.get(reverse("reviews:queue"))  # warm the session
        api = APIClient()
        api.force_authenticate(who)
        for name, path in pages.items():
            reads[f"{who.username} {name}"] = partial(client.get, path)
        reads[f"{who.username} launches filtered"] = partial(
            client.get,
            reverse("reviews:launch-list"),
            {"state": "in_review", "q": "Launch", "page": 1},
        )
        for endpoint in endpoints:
            reads[f"{who.username} api {endpoint}"] = partial(
                api_get, api, who, f"/api/v1/{endpoint}/"
            )
    counts = same_queries_at_two_sizes(None, reads, grow=lambda: populate(range(2, 30), **people))
    print(counts)
