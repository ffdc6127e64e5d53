"""Django admin for the programs domain: usable by the Admin role, closed to everyone else."""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.core.management.sql import emit_post_migrate_signal
from django.urls import reverse

from core.apps import grant_admin_role_permissions
from programs.management.seeding import DemoSeeder
from tests.factories import (
    DecisionFactory,
    MembershipFactory,
    MilestoneDateChangeFactory,
    MilestoneFactory,
    RiskFactory,
    StatusUpdateFactory,
    TeamFactory,
)

pytestmark = pytest.mark.django_db

MODELS = [
    "portfolio", "team", "program", "programmembership", "milestone", "milestonedatechange",
    "statusupdate", "risk", "decision",
]  # fmt: skip


@pytest.fixture
def domain(program, tpm):
    """One of each row, so every change page has an object to show."""
    milestone = MilestoneFactory(program=program, critical=True)
    MilestoneDateChangeFactory(milestone=milestone, changed_by=tpm, reason="Vendor hardware late.")
    MembershipFactory(program=program, user=tpm, role="tpm")
    team = TeamFactory(name="Platform storage", slug="platform-storage")
    program.teams.add(team)
    return {
        "portfolio": program.portfolio,
        "team": team,
        "program": program,
        "programmembership": program.memberships.first(),
        "milestone": milestone,
        "milestonedatechange": milestone.date_changes.first(),
        "statusupdate": StatusUpdateFactory(program=program),
        "risk": RiskFactory(program=program),
        "decision": DecisionFactory(program=program),
    }


@pytest.fixture
def admin_client(client, admin_user):
    """A staff user in the Admin role (not a superuser): the permissions come from the role."""
    admin_user.groups.add(Group.objects.get_or_create(name="Admin")[0])
    grant_admin_role_permissions()
    client.force_login(admin_user)
    return client


@pytest.mark.parametrize("model", MODELS)
def test_admin_role_sees_every_changelist(admin_client, domain, model):
    """Each list page renders for the Admin role, with the seeded row on it."""
    response = admin_client.get(reverse(f"admin:programs_{model}_changelist"))
    assert response.status_code == 200


@pytest.mark.parametrize("model", MODELS)
def test_admin_role_opens_every_change_page(admin_client, domain, model):
    """Each object's page renders (the ledger as read-only view)."""
    obj = domain[model]
    response = admin_client.get(reverse(f"admin:programs_{model}_change", args=[obj.pk]))
    assert response.status_code == 200


def test_history_pages_render(admin_client, domain):
    """simple-history's history view is available on programs and milestones."""
    for model in ("program", "milestone"):
        url = reverse(f"admin:programs_{model}_history", args=[domain[model].pk])
        assert admin_client.get(url).status_code == 200


def test_add_pages_render(admin_client, domain):
    for model in ("program", "milestone", "risk"):
        assert admin_client.get(reverse(f"admin:programs_{model}_add")).status_code == 200


def test_search_and_filters_work(admin_client, domain):
    url = reverse("admin:programs_program_changelist")
    response = admin_client.get(url, {"q": "kernel", "phase__exact": "executing"})
    assert response.status_code == 200
    assert "Fleet kernel upgrade" in response.content.decode()


def test_ledger_is_read_only(admin_client, domain):
    """Nobody adds, edits or deletes slips in admin: the add URL is refused."""
    response = admin_client.get(reverse("admin:programs_milestonedatechange_add"))
    assert response.status_code == 403


def test_milestone_dates_cannot_move_in_admin(admin_client, domain):
    """Baseline and target are read-only on an existing milestone: moves need a reason."""
    milestone = domain["milestone"]
    response = admin_client.get(reverse("admin:programs_milestone_change", args=[milestone.pk]))
    assert 'name="target_date"' not in response.content.decode()


def test_admin_edit_bumps_the_version(admin_client, domain):
    """An admin edit makes an API client's stale version fail like any other concurrent write."""
    program = domain["program"]
    url = reverse("admin:programs_program_change", args=[program.pk])
    data = {
        "name": "Fleet kernel upgrade 6.12",
        "slug": program.slug,
        "portfolio": program.portfolio_id,
        "tpm": program.tpm_id,
        "phase": program.phase,
        "priority": program.priority,
        "start_date": program.start_date.isoformat(),
        "target_date": program.target_date.isoformat(),
        "update_cadence_days": 7,
        "problem_statement": "",
        "success_criteria": "",
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
        "milestones-TOTAL_FORMS": "0",
        "milestones-INITIAL_FORMS": "0",
    }
    response = admin_client.post(url, {**data, "opened_at_version": "1"})
    assert response.status_code == 302, response.content.decode()[:2000]
    program.refresh_from_db()
    assert program.name == "Fleet kernel upgrade 6.12"
    assert program.version == 2
    # A form opened before that change (at version 1) is refused, not saved over it.
    stale = admin_client.post(url, {**data, "name": "Overwritten", "opened_at_version": "1"})
    assert stale.status_code == 200
    assert "Somebody changed this since you opened it" in stale.content.decode()
    program.refresh_from_db()
    assert (program.name, program.version) == ("Fleet kernel upgrade 6.12", 2)


def test_admin_bulk_delete_rescores_every_program_touched(
    admin_client, domain, django_capture_on_commit_callbacks
):
    """ "Delete selected" on risks: the programs they belonged to are recomputed."""
    from metrics.models import HealthSnapshot
    from programs.models import Risk

    program = domain["program"]
    RiskFactory(program=program, likelihood=5, impact=5, state="open")
    url = reverse("admin:programs_risk_changelist")
    ids = [str(pk) for pk in Risk.objects.values_list("pk", flat=True)]
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            url, {"action": "delete_selected", "_selected_action": ids, "post": "yes"}
        )
    assert response.status_code == 302
    assert not Risk.objects.exists()
    snapshot = HealthSnapshot.objects.get(program=program)  # recomputed (eager Celery)
    assert all(reason["family"] != "risk" for reason in snapshot.reasons)


@pytest.mark.parametrize("fixture", ["tpm", "engineer", "leader"])
def test_non_staff_are_sent_to_the_admin_login(client, domain, request, fixture):
    """People without staff status never see an admin page."""
    client.force_login(request.getfixturevalue(fixture))
    response = client.get(reverse("admin:programs_program_changelist"))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


def test_anonymous_is_redirected(client):
    response = client.get(reverse("admin:programs_program_changelist"))
    assert response.status_code == 302


def test_post_migrate_grants_the_admin_role_its_permissions():
    """After migrate the Admin group holds every permission of the apps it manages; repeatable."""
    group = Group.objects.get_or_create(name="Admin")[0]
    group.permissions.clear()
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
    codenames = set(group.permissions.values_list("codename", flat=True))
    assert {"change_program", "view_milestonedatechange", "add_user", "change_group"} <= codenames
    assert {"delete_apitoken", "delete_accessattempt"} <= codenames  # revoke tokens, unlock
    before = group.permissions.count()
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
    assert group.permissions.count() == before


@pytest.mark.parametrize("model", MODELS)
def test_changelist_queries_do_not_grow_with_rows(
    admin_client, domain, model, same_queries_at_two_sizes
):
    """A list page runs the same number of queries for a few rows as for many."""
    same_queries_at_two_sizes(
        admin_client,
        {model: reverse(f"admin:programs_{model}_changelist")},
        grow=DemoSeeder(programs=8, seed=2, today=datetime.date(2026, 3, 2)).run,
    )
