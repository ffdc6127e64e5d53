"""Every list endpoint of the API runs the same number of SQL queries at any data size.

Each list is read at two sizes (3 and 30 programs, each with milestones and dependencies,
slips, updates, risks, decisions, members and teams) by a TPM who is a member of some
programs and not of the confidential ones; the query counts must be equal.
"""

import datetime
from functools import partial

import pytest
from rest_framework.test import APIClient

from core.tokens import api_token_create
from programs import services
from programs.models import Program
from tests.factories import (
    DecisionFactory,
    MembershipFactory,
    MilestoneFactory,
    PortfolioFactory,
    ProgramFactory,
    RiskFactory,
    StatusUpdateFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

# list → queries: 1 token (with its user), 1 the caller's roles (where visibility applies),
# 1 count, 1 page, and one per prefetched relation (team members, program teams,
# milestone dependencies).
LISTS = {
    "/api/v1/portfolios/": 3,
    "/api/v1/teams/": 4,
    "/api/v1/programs/": 5,
    "/api/v1/memberships/": 4,
    "/api/v1/milestones/": 5,
    "/api/v1/milestone-date-changes/": 4,
    "/api/v1/status-updates/": 4,
    "/api/v1/risks/": 4,
    "/api/v1/decisions/": 4,
}


def build_programs(count: int, *, reader, offset: int) -> None:
    """``count`` programs with children; every third is confidential, every other has ``reader``."""
    for n in range(offset, offset + count):
        portfolio = PortfolioFactory(slug=f"portfolio-{n % 4}", name=f"Portfolio {n % 4}")
        team = TeamFactory(slug=f"team-{n}", name=f"Team {n}")
        team.members.add(UserFactory(username=f"member-{n}"), reader)
        tpm = UserFactory(username=f"tpm-{n}", roles=["TPM"])
        program = ProgramFactory(
            name=f"Program {n:03d}",
            slug=f"program-{n:03d}",
            portfolio=portfolio,
            tpm=tpm,
            sponsor=tpm,
            confidential=n % 3 == 0,
        )
        program.teams.add(team)
        if n % 2:
            Program.objects.filter(pk=program.pk).update(
                health_score=40,
                health_grade="red",
                health_cause="schedule",
                health_stale=n % 4 == 3,
            )
        MembershipFactory(program=program, user=tpm, role="tpm")
        if n % 2:
            MembershipFactory(program=program, user=reader, role="eng_lead")
        first = MilestoneFactory(program=program, owner_team=team)
        second = MilestoneFactory(program=program, baseline_date=datetime.date(2027, 2, 1))
        second.depends_on.add(first)
        services.milestone_move(
            milestone=first,
            user=tpm,
            version=1,
            target_date=datetime.date(2026, 12, 15),
            category="vendor",
            reason="Vendor",
        )
        StatusUpdateFactory(program=program)
        StatusUpdateFactory(program=program, reported_health="at_risk")
        RiskFactory(program=program, owner=tpm)
        DecisionFactory(program=program, decided_by=tpm)


def listed(client: APIClient, url: str):
    """A GET of a list that must hold rows (an empty page would cost fewer queries)."""
    response = client.get(url)
    assert response.status_code == 200 and response.json()["results"], url
    return response


@pytest.fixture
def reader(db):
    return UserFactory(username="rhea.reader", roles=["TPM"])


@pytest.fixture
def client(reader):
    """Token authentication, as scripts use: the user and roles are read on every request."""
    client = APIClient()
    _, secret = api_token_create(user=reader, name="query counts", lifetime_days=1)
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    client.get("/api/v1/me/")  # the token's first use is noted once: not part of any count
    return client


def test_every_list_costs_the_same_queries_at_3_and_30_programs(
    client, reader, same_queries_at_two_sizes
):
    build_programs(3, reader=reader, offset=0)
    same_queries_at_two_sizes(
        client,
        {url: partial(listed, client, url) for url in LISTS},
        grow=lambda: build_programs(27, reader=reader, offset=3),
        expected=LISTS,
    )


FILTERED = {
    "/api/v1/programs/?team=team-1&portfolio=portfolio-1&ordering=-health_score": 5,
    "/api/v1/programs/?cause=schedule&cause=risk&stale=false&health_grade=red": 5,
}


def test_program_list_filters_keep_the_query_count(client, reader, same_queries_at_two_sizes):
    build_programs(3, reader=reader, offset=0)
    same_queries_at_two_sizes(
        client,
        {url: partial(listed, client, url) for url in FILTERED},
        grow=lambda: build_programs(27, reader=reader, offset=3),
        expected=FILTERED,
    )
