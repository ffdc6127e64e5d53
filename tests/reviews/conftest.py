"""Fixtures of the reviews tests: a small tier-3 checklist, reviewers per area, a review.

The small checklist has required items in reliability and security (the areas that need a
sign-off) and one optional documentation item (an area that needs none).
"""

import datetime

import pytest

from programs.models import MembershipRole
from reviews.launch import services
from reviews.models import ChecklistTemplate, LaunchReview, LaunchReviewState
from tests.factories import (
    ChecklistItemFactory,
    ChecklistTemplateFactory,
    MembershipFactory,
    ReviewerFactory,
    UserFactory,
)

LAUNCH_DATE = datetime.date(2026, 11, 2)


@pytest.fixture
def checklist(db):
    ChecklistTemplate.objects.filter(tier=3, active=True).update(active=False)
    template = ChecklistTemplateFactory(name="Small checklist", tier=3, active=True)
    ChecklistItemFactory(template=template, area="reliability", question="SLOs defined?", order=1)
    ChecklistItemFactory(
        template=template, area="reliability", question="Autoscaling tested?", required=False,
        order=2,
    )  # fmt: skip
    ChecklistItemFactory(template=template, area="security", question="Threat model?", order=3)
    ChecklistItemFactory(
        template=template, area="documentation", question="Runbook?", required=False, order=4
    )
    return template


@pytest.fixture
def author(program):
    """An engineer on the program (contributor) who writes the review."""
    user = UserFactory(username="eve.author", roles=["Engineer"])
    MembershipFactory(program=program, user=user, role=MembershipRole.CONTRIBUTOR)
    return user


@pytest.fixture
def sre(db):
    return ReviewerFactory(
        user=UserFactory(username="sam.sre", roles=["Reviewer"]), areas=["reliability"]
    ).user


@pytest.fixture
def secops(db):
    return ReviewerFactory(
        user=UserFactory(username="sue.security", roles=["Reviewer"]), areas=["security"]
    ).user


@pytest.fixture
def review(program, author, checklist) -> LaunchReview:
    return services.launch_review_create(
        program=program, user=author, title="GA in eu-west", launch_date=LAUNCH_DATE, tier=3
    )


def answer_all(review: LaunchReview, user) -> None:
    """Mark every required item done."""
    for item in review.items.filter(required=True):
        services.launch_review_item_answer(
            item=item, user=user, version=item.version, status="done",
            evidence=["https://wiki.example.com/slo"],
        )  # fmt: skip


def put_in_state(review: LaunchReview, state: str) -> LaunchReview:
    """Force a review into ``state`` (for transition tables), bumping its version."""
    LaunchReview.objects.filter(pk=review.pk).update(state=state, version=review.version + 1)
    review.refresh_from_db()
    return review


@pytest.fixture
def submitted(review, author, sre, secops):
    answer_all(review, author)
    review.refresh_from_db()
    return services.launch_review_transition(
        review=review, user=author, action="submit", version=review.version
    )


ALL_STATES = list(LaunchReviewState.values)


# --- Capacity -------------------------------------------------------------------------------


@pytest.fixture
def team(db):
    from tests.factories import TeamFactory

    return TeamFactory(name="Storage", slug="storage")


@pytest.fixture
def requester(team, program):
    """An engineer in the storage team, working on the program."""
    user = UserFactory(username="rob.requester", roles=["Engineer"])
    team.members.add(user)
    MembershipFactory(program=program, user=user, role=MembershipRole.CONTRIBUTOR)
    return user


@pytest.fixture
def council(db):
    """A reviewer on the capacity council."""
    return ReviewerFactory(
        user=UserFactory(username="cal.council", roles=["Reviewer"]), capacity_council=True
    ).user


@pytest.fixture
def budget(team):
    from tests.factories import CapacityBudgetFactory

    return CapacityBudgetFactory(team=team, quarter="2026-Q4", resource_kind="vcpu", amount=100)


def file_request(requester, team, program, amount=60, kind="vcpu", submit=True):
    """A request of ``amount`` needed in 2026-Q4, submitted unless told otherwise."""
    from reviews.capacity import services as capacity_services

    request = capacity_services.capacity_request_create(
        user=requester, team=team, program=program, resource_kind=kind, amount=amount,
        environment="production", region="eu-west-1", needed_by=datetime.date(2026, 11, 15),
        justification="Launch traffic doubles reads.",
    )  # fmt: skip
    if submit:
        request = capacity_services.capacity_request_submit(
            request=request, user=requester, version=request.version
        )
    return request
