"""Each page runs the same number of SQL queries whatever the data size (no N+1)."""

import datetime

import pytest
from django.urls import reverse

from metrics.services import health_recompute
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


def populate(*, tpm, programs: int, children: int) -> list:
    """``programs`` programs run by ``tpm``, each with ``children`` of every kind of row.

    Milestones depend on each other and on the previous program's, some have moved (a date
    ledger and changed history rows), risks are half closed, members have every role.
    """
    portfolio = PortfolioFactory()
    team = TeamFactory()
    created = []
    previous_milestone = None
    for p in range(programs):
        program = ProgramFactory(portfolio=portfolio, tpm=tpm, confidential=p % 3 == 0)
        program.teams.add(team)
        MembershipFactory(program=program, user=tpm, role="tpm")
        for _ in range(children):
            MembershipFactory(program=program, role="contributor")
        milestones = []
        for m in range(children):
            milestone = MilestoneFactory(program=program)
            if milestones:
                milestone.depends_on.add(milestones[-1])
            if previous_milestone is not None and m == 0:
                milestone.depends_on.add(previous_milestone)
            if m % 2 == 0:
                services.milestone_move(
                    milestone=milestone,
                    user=tpm,
                    version=milestone.version,
                    target_date=milestone.target_date + datetime.timedelta(days=7 + m),
                    category="vendor",
                    reason="Vendor slipped",
                )
            milestones.append(milestone)
        previous_milestone = milestones[-1] if milestones else None
        for u in range(children):
            StatusUpdateFactory(program=program, reported_health="at_risk" if u % 2 else "on_track")
        for r in range(children):
            RiskFactory(program=program, owner=tpm, state="closed" if r % 2 else "open")
            DecisionFactory(program=program, decided_by=tpm)
        created.append(program)
    # Scored, so the program page draws its health panel (reasons, what would make it green);
    # every other program's grade decided by its schedule, so the cause filter finds some at
    # both sizes.
    health_recompute(program_ids=[program.pk for program in created])
    Program.objects.filter(pk__in=[program.pk for program in created[::2]]).update(
        health_cause="schedule"
    )
    return created


def measure(client, count_queries, *, who: str, programs: int, children: int) -> dict[str, int]:
    tpm = UserFactory(username=f"tpm-{programs}-{children}", roles=["TPM"])
    viewer = tpm if who == "tpm" else UserFactory(username=f"{who}-{programs}", roles=["Engineer"])
    made = populate(tpm=tpm, programs=programs, children=children)
    client.force_login(viewer)
    client.get(reverse("home"))  # warm the session
    program = next(p for p in made if not p.confidential)
    return {
        "home": count_queries(client, reverse("home")),
        "list": count_queries(client, reverse("programs:list")),
        "list filtered": count_queries(
            client, f"{reverse('programs:list')}?q=Program&sort=-updated&page=1"
        ),
        "list by cause": count_queries(
            client, f"{reverse('programs:list')}?cause=schedule&sort=-score"
        ),
        "program": count_queries(client, program.get_absolute_url()),
        "move form": count_queries(
            client,
            reverse("programs:milestone-move", args=[program.slug, program.milestones.first().pk]),
        )
        if who == "tpm"
        else 0,
        "update form": count_queries(client, reverse("programs:update-create", args=[program.slug]))
        if who == "tpm"
        else 0,
    }


@pytest.mark.parametrize("who", ["tpm", "engineer"])
def test_page_query_counts_do_not_grow_with_data(client, who, count_queries):
    """3 programs × 2 children and 30 programs × 6 children cost the same queries per page.

    30 programs fill more than a list page (25); 6 of each child against 2 is growth enough
    for a per-row query to show (more children only made the test slower)."""
    small = measure(client, count_queries, who=who, programs=3, children=2)
    Program.objects.all().delete()
    large = measure(client, count_queries, who=who, programs=30, children=6)
    print(f"{who}: small={small} large={large}")
    assert small == large
