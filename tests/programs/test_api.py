"""The programs REST API: writes through services, browser-equal permissions, concurrency, errors.

Every test talks HTTP to /api/v1/ with DRF's APIClient against the real PostgreSQL schema.
"""

import datetime

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from programs.models import (
    Decision,
    Milestone,
    MilestoneDateChange,
    Portfolio,
    Program,
    ProgramMembership,
    Risk,
    StatusUpdate,
    Team,
)
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

API = "/api/v1"


def as_user(user) -> APIClient:
    """An API client signed in as ``user`` (anonymous for None)."""
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def eng_lead(program):
    user = UserFactory(username="ed.lead", roles=["Engineer"])
    MembershipFactory(program=program, user=user, role="eng_lead")
    return user


@pytest.fixture
def contributor(program):
    user = UserFactory(username="cora.contributor", roles=["Engineer"])
    MembershipFactory(program=program, user=user, role="contributor")
    return user


@pytest.fixture
def people(tpm, eng_lead, contributor, outsider, leader, admin_user):
    return {
        "tpm": tpm,
        "eng_lead": eng_lead,
        "contributor": contributor,
        "outsider": outsider,
        "leader": leader,
        "admin": admin_user,
        "anonymous": None,
    }


@pytest.fixture
def milestone(program):
    return MilestoneFactory(
        program=program,
        name="GA in eu-west",
        baseline_date=datetime.date(2026, 12, 1),
        critical=True,
    )


def program_payload(**overrides):
    portfolio = PortfolioFactory(slug="core-infra", name="Core Infrastructure")
    payload = {
        "name": "Zonal storage migration",
        "portfolio": portfolio.slug,
        "tpm": "tina.tpm",
        "start_date": "2026-01-05",
        "target_date": "2026-09-30",
        "phase": "planning",
        "priority": 1,
        "problem_statement": "Disks fail **zonally**.",
    }
    return {**payload, **overrides}


# --- CRUD through services ------------------------------------------------------------------


def test_tpm_creates_a_program_and_becomes_its_tpm_member(tpm):
    TeamFactory(slug="storage", name="Storage")
    response = as_user(tpm).post(
        f"{API}/programs/", program_payload(teams=["storage"]), format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["slug"] == "zonal-storage-migration"
    assert body["version"] == 1
    assert body["teams"] == ["storage"]
    assert body["health_score"] is None and body["health_grade"] == ""
    assert (body["health_stale"], body["health_cause"]) == (False, "")
    assert body["next_milestone"] is None and body["latest_reported_health"] is None
    assert response["ETag"] == '"1"'
    program = Program.objects.get(slug="zonal-storage-migration")
    assert program.history.count() == 1
    assert program.memberships.get().role == "tpm"


def test_program_detail_carries_etag_health_and_next_milestone(tpm, program, milestone):
    Program.objects.filter(pk=program.pk).update(
        health_score=62,
        health_grade="yellow",
        health_stale=True,
        health_cause="freshness",
        health_computed_at=timezone.now(),
    )
    StatusUpdateFactory(program=program, reported_health="at_risk")
    response = as_user(tpm).get(f"{API}/programs/{program.slug}/")
    assert response.status_code == 200
    assert response["ETag"] == '"1"'
    body = response.json()
    assert (body["health_score"], body["health_grade"]) == (62, "yellow")
    assert body["health_computed_at"] is not None
    assert (body["health_stale"], body["health_cause"]) == (True, "freshness")
    assert body["latest_reported_health"] == "at_risk"
    assert body["next_milestone"] == {"name": "GA in eu-west", "target_date": "2026-12-01"}


def test_get_with_current_etag_in_if_none_match_answers_304(tpm, program):
    response = as_user(tpm).get(f"{API}/programs/{program.slug}/", HTTP_IF_NONE_MATCH='"1"')
    assert response.status_code == 304


def test_patch_program_with_if_match_changes_it_and_records_history(tpm, program):
    before = program.history.count()
    response = as_user(tpm).patch(
        f"{API}/programs/{program.slug}/",
        {"phase": "launching", "confidential": True},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    assert response.status_code == 200, response.json()
    assert response.json()["version"] == 2
    assert response["ETag"] == '"2"'
    program.refresh_from_db()
    assert (program.phase, program.confidential, program.version) == ("launching", True, 2)
    assert program.history.count() == before + 1


def test_put_program_with_body_version_replaces_its_fields(tpm, program):
    payload = program_payload(name="Fleet kernel upgrade v2", version=1)
    response = as_user(tpm).put(f"{API}/programs/{program.slug}/", payload, format="json")
    assert response.status_code == 200, response.json()
    program.refresh_from_db()
    assert program.name == "Fleet kernel upgrade v2"
    assert program.portfolio.slug == "core-infra"
    assert program.slug == "fleet-kernel-upgrade"  # the slug is the program's stable name


def test_milestone_lifecycle_create_edit_move_complete(tpm, program):
    client = as_user(tpm)
    created = client.post(
        f"{API}/milestones/",
        {"program": program.slug, "name": "Canary", "target_date": "2026-10-01", "critical": True},
        format="json",
    )
    assert created.status_code == 201, created.json()
    milestone = Milestone.objects.get(pk=created.json()["id"])
    assert milestone.baseline_date == datetime.date(2026, 10, 1)
    url = f"{API}/milestones/{milestone.pk}/"

    edited = client.patch(url, {"description": "1% of hosts", "version": 1}, format="json")
    assert edited.status_code == 200, edited.json()

    moved = client.post(
        f"{url}move/",
        {"target_date": "2026-10-20", "category": "vendor", "reason": "Vendor firmware late"},
        format="json",
        HTTP_IF_MATCH='"2"',
    )
    assert moved.status_code == 200, moved.json()
    assert moved.json()["target_date"] == "2026-10-20"
    assert moved.json()["baseline_date"] == "2026-10-01"
    assert moved.json()["slip_days"] == 19
    change = MilestoneDateChange.objects.get(milestone=milestone)
    assert (change.from_date, change.to_date) == (
        datetime.date(2026, 10, 1),
        datetime.date(2026, 10, 20),
    )
    assert change.reason == "Vendor firmware late" and change.changed_by == tpm

    ledger = client.get(f"{API}/milestone-date-changes/", {"program": program.slug})
    assert [row["reason"] for row in ledger.json()["results"]] == ["Vendor firmware late"]

    done = client.post(f"{url}complete/", {"version": 3}, format="json")
    assert done.status_code == 200, done.json()
    assert done.json()["state"] == "done"
    assert done.json()["completed_date"] == timezone.localdate().isoformat()
    assert Milestone.history.filter(id=milestone.pk).count() == 4


def test_milestone_depends_on_milestones_by_id(tpm, program, milestone):
    response = as_user(tpm).post(
        f"{API}/milestones/",
        {
            "program": program.slug,
            "name": "GA",
            "target_date": "2027-01-10",
            "depends_on": [milestone.pk],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["depends_on"] == [milestone.pk]


def test_status_update_is_posted_by_the_caller_and_can_be_corrected(eng_lead, program):
    client = as_user(eng_lead)
    response = client.post(
        f"{API}/status-updates/",
        {"program": program.slug, "reported_health": "at_risk", "summary": "Canary slipped."},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["author"] == "ed.lead"
    program.refresh_from_db()
    assert program.last_update_at is not None
    update_id = response.json()["id"]
    corrected = client.patch(
        f"{API}/status-updates/{update_id}/",
        {"summary": "Canary slipped a week."},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    assert corrected.status_code == 200
    assert StatusUpdate.objects.get(pk=update_id).summary == "Canary slipped a week."
    assert StatusUpdate.history.filter(id=update_id).count() == 2


def test_risk_is_logged_changed_and_closed(tpm, program):
    client = as_user(tpm)
    response = client.post(
        f"{API}/risks/",
        {
            "program": program.slug,
            "title": "Vendor",
            "likelihood": 4,
            "impact": 5,
            "owner": "tina.tpm",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["exposure"] == 20
    url = f"{API}/risks/{response.json()['id']}/"
    assert (
        client.patch(url, {"state": "mitigating", "version": 1}, format="json").status_code == 200
    )
    closed = client.post(f"{url}close/", {}, format="json", HTTP_IF_MATCH='"2"')
    assert closed.status_code == 200, closed.json()
    assert closed.json()["state"] == "closed" and closed.json()["closed_at"] is not None
    assert Risk.history.filter(id=response.json()["id"]).count() == 3


def test_decision_is_recorded_by_the_caller_and_corrected(tpm, program, leader):
    client = as_user(tpm)
    response = client.post(
        f"{API}/decisions/",
        {
            "program": program.slug,
            "title": "Roll out zone by zone",
            "outcome": "Zone by zone.",
            "decided_on": "2026-11-02",
            "decided_by": leader.username,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert (response.json()["recorded_by"], response.json()["decided_by"]) == (
        "tina.tpm",
        "lee.leader",
    )
    url = f"{API}/decisions/{response.json()['id']}/"
    assert (
        client.patch(url, {"context": "Two options.", "version": 1}, format="json").status_code
        == 200
    )
    assert Decision.history.filter(id=response.json()["id"]).count() == 2


def test_memberships_are_added_listed_and_removed(tpm, program, outsider):
    client = as_user(tpm)
    added = client.post(
        f"{API}/memberships/",
        {"program": program.slug, "user": outsider.username, "role": "pm"},
        format="json",
    )
    assert added.status_code == 201, added.json()
    again = client.post(
        f"{API}/memberships/",
        {"program": program.slug, "user": outsider.username, "role": "eng_lead"},
        format="json",
    )
    assert again.status_code == 400 and "user" in again.json()
    listed = client.get(f"{API}/memberships/", {"program": program.slug})
    assert [row["user"] for row in listed.json()["results"]] == [outsider.username]
    assert client.delete(f"{API}/memberships/{added.json()['id']}/").status_code == 204
    assert not ProgramMembership.objects.filter(program=program, user=outsider).exists()


def test_the_tpm_membership_cannot_be_removed(tpm, program):
    membership = MembershipFactory(program=program, user=tpm, role="tpm")
    response = as_user(tpm).delete(f"{API}/memberships/{membership.pk}/")
    assert response.status_code == 400
    assert ProgramMembership.objects.filter(pk=membership.pk).exists()


@pytest.mark.parametrize(
    "who, status_code", [("contributor", 403), ("outsider", 403), ("eng_lead", 204)]
)
def test_only_editors_remove_members(who, status_code, people, program):
    membership = MembershipFactory(program=program, role="pm")
    response = as_user(people[who]).delete(f"{API}/memberships/{membership.pk}/")
    assert response.status_code == status_code
    assert ProgramMembership.objects.filter(pk=membership.pk).exists() == (status_code != 204)


def test_admins_write_portfolios_and_teams_everyone_reads_them(admin_user, tpm):
    admin = as_user(admin_user)
    created = admin.post(f"{API}/portfolios/", {"name": "Core Infrastructure"}, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["slug"] == "core-infrastructure"
    changed = admin.patch(
        f"{API}/portfolios/core-infrastructure/",
        {"description": "Compute, storage, network.", "leader": "tina.tpm"},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    assert changed.status_code == 200, changed.json()
    assert Portfolio.objects.get().leader == tpm
    team = admin.post(f"{API}/teams/", {"name": "Storage", "members": ["tina.tpm"]}, format="json")
    assert team.status_code == 201 and team.json()["members"] == ["tina.tpm"]
    renamed = admin.put(
        f"{API}/teams/storage/", {"name": "Storage SRE", "version": 1}, format="json"
    )
    assert renamed.status_code == 200 and Team.objects.get().name == "Storage SRE"

    reader = as_user(tpm)
    assert reader.get(f"{API}/teams/storage/").status_code == 200
    assert reader.get(f"{API}/portfolios/").json()["count"] == 1
    assert reader.post(f"{API}/teams/", {"name": "Rogue"}, format="json").status_code == 403
    assert (
        reader.patch(
            f"{API}/teams/storage/", {"name": "x"}, format="json", HTTP_IF_MATCH='"2"'
        ).status_code
        == 403
    )


def test_create_permission_is_checked_before_the_body(engineer):
    response = as_user(engineer).post(f"{API}/programs/", {"name": ""}, format="json")
    assert response.status_code == 403


def test_date_changes_are_read_only(tpm, milestone):
    response = as_user(tpm).put(f"{API}/milestone-date-changes/1/", {}, format="json")
    assert response.status_code == 405


# --- Permission matrix ----------------------------------------------------------------------

# who → expected status of: read the program, change it, add a milestone, create a program
MATRIX = {
    "tpm": (200, 200, 201, 201),
    "eng_lead": (200, 200, 201, 403),
    "contributor": (200, 403, 403, 403),
    "outsider": (200, 403, 403, 403),
    "leader": (200, 403, 403, 403),
    "admin": (200, 200, 201, 201),
    "anonymous": (401, 401, 401, 401),
}


@pytest.mark.parametrize("who", MATRIX)
def test_permission_matrix_on_a_public_program(who, people, program):
    read, change, add_child, create = MATRIX[who]
    client = as_user(people[who])
    assert client.get(f"{API}/programs/{program.slug}/").status_code == read
    patch = client.patch(
        f"{API}/programs/{program.slug}/",
        {"phase": "launching"},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    assert patch.status_code == change
    milestone = client.post(
        f"{API}/milestones/",
        {"program": program.slug, "name": f"M by {who}", "target_date": "2026-12-01"},
        format="json",
    )
    assert milestone.status_code == add_child
    created = client.post(f"{API}/programs/", program_payload(name=f"New by {who}"), format="json")
    assert created.status_code == create
    program.refresh_from_db()
    assert program.phase == ("launching" if change == 200 else "executing")
    assert Program.objects.filter(name=f"New by {who}").exists() == (create == 201)


@pytest.mark.parametrize(
    "who, status_code",
    [("contributor", 403), ("outsider", 403), ("leader", 403), ("anonymous", 401)],
)
def test_children_writes_are_refused_to_non_editors(who, status_code, people, program, milestone):
    client = as_user(people[who])
    risk = RiskFactory(program=program)
    checks = [
        client.post(
            f"{API}/milestones/{milestone.pk}/move/",
            {"target_date": "2027-01-01", "category": "other", "reason": "x"},
            format="json",
            HTTP_IF_MATCH='"1"',
        ),
        client.post(f"{API}/risks/{risk.pk}/close/", {"version": 1}, format="json"),
        client.post(
            f"{API}/status-updates/",
            {"program": program.slug, "reported_health": "on_track", "summary": "."},
            format="json",
        ),
    ]
    assert [response.status_code for response in checks] == [status_code] * 3
    milestone.refresh_from_db()
    assert milestone.target_date == datetime.date(2026, 12, 1)
    assert Risk.objects.get(pk=risk.pk).state == "open"


# who → sees the confidential program (in lists and by URL), may edit it
CONFIDENTIAL = {
    "tpm": (True, True),
    "engineer": (True, False),  # a contributor member of it
    "outsider": (False, False),
    "reviewer": (False, False),
    "leader": (True, False),
    "admin": (True, True),
}


@pytest.mark.parametrize("who", CONFIDENTIAL)
def test_confidential_program_is_invisible_to_outsiders_with_its_children(
    who, request, confidential_program, program
):
    user = request.getfixturevalue({"admin": "admin_user"}.get(who, who))
    sees, edits = CONFIDENTIAL[who]
    secret = MilestoneFactory(program=confidential_program, name="Secret GA")
    StatusUpdateFactory(program=confidential_program)
    RiskFactory(program=confidential_program)
    DecisionFactory(program=confidential_program)
    client = as_user(user)

    listed = {row["slug"] for row in client.get(f"{API}/programs/").json()["results"]}
    assert ("project-nightjar" in listed) == sees
    assert "fleet-kernel-upgrade" in listed
    detail = client.get(f"{API}/programs/project-nightjar/")
    assert detail.status_code == (200 if sees else 404)
    assert client.get(f"{API}/milestones/{secret.pk}/").status_code == (200 if sees else 404)
    for resource in ("milestones", "status-updates", "risks", "decisions"):
        rows = client.get(f"{API}/{resource}/", {"program": "project-nightjar"}).json()["results"]
        assert bool(rows) == sees, resource

    patch = client.patch(
        f"{API}/programs/project-nightjar/",
        {"phase": "launching"},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    assert patch.status_code == (200 if edits else 403 if sees else 404)
    move = client.post(
        f"{API}/milestones/{secret.pk}/move/",
        {"target_date": "2027-02-01", "category": "other", "reason": "Late"},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    assert move.status_code == (200 if edits else 403 if sees else 404)
    child = client.post(
        f"{API}/risks/",
        {"program": "project-nightjar", "title": "Leak", "likelihood": 2, "impact": 5},
        format="json",
    )
    if sees:
        assert child.status_code == (201 if edits else 403)
    else:
        # Not visible: the slug "does not exist" for this caller, as a field error.
        assert child.status_code == 400 and "program" in child.json()


# --- Optimistic concurrency -----------------------------------------------------------------


@pytest.fixture
def stale_program(tpm, program):
    """A program somebody else changed after we read version 1."""
    Program.objects.filter(pk=program.pk).update(version=2, name="Changed elsewhere")
    return program


@pytest.mark.parametrize(
    "headers, body, status_code",
    [
        ({"HTTP_IF_MATCH": '"1"'}, {}, 412),
        ({}, {"version": 1}, 409),
        ({}, {}, 428),
    ],
    ids=["stale-if-match", "stale-body-version", "no-precondition"],
)
def test_stale_or_unconditional_writes_are_refused_and_change_nothing(
    tpm, stale_program, headers, body, status_code
):
    response = as_user(tpm).patch(
        f"{API}/programs/{stale_program.slug}/",
        {"name": "Mine", **body},
        format="json",
        **headers,
    )
    assert response.status_code == status_code, response.json()
    assert "detail" in response.json()
    if status_code == 409:
        assert response.json()["current_version"] == 2
    stale_program.refresh_from_db()
    assert (stale_program.name, stale_program.version) == ("Changed elsewhere", 2)


@pytest.mark.parametrize(
    "headers, body, status_code",
    [({"HTTP_IF_MATCH": '"7"'}, {}, 412), ({}, {"version": 7}, 409), ({}, {}, 428)],
)
def test_stale_move_is_refused_and_writes_no_ledger_row(tpm, milestone, headers, body, status_code):
    response = as_user(tpm).post(
        f"{API}/milestones/{milestone.pk}/move/",
        {"target_date": "2027-03-01", "category": "other", "reason": "Late", **body},
        format="json",
        **headers,
    )
    assert response.status_code == status_code
    milestone.refresh_from_db()
    assert (milestone.target_date, milestone.version) == (datetime.date(2026, 12, 1), 1)
    assert not MilestoneDateChange.objects.exists()


def test_weak_and_wildcard_etags_are_accepted(tpm, program):
    client = as_user(tpm)
    url = f"{API}/programs/{program.slug}/"
    assert client.patch(url, {"phase": "planning"}, HTTP_IF_MATCH='W/"1"').status_code == 200
    assert client.patch(url, {"phase": "launching"}, HTTP_IF_MATCH="*").status_code == 200
    program.refresh_from_db()
    assert program.version == 3


def test_move_without_reason_names_the_reason_field_and_keeps_the_dates(tpm, milestone):
    client = as_user(tpm)
    url = f"{API}/milestones/{milestone.pk}/move/"
    moved = {"target_date": "2027-01-15", "category": "scope"}
    missing = client.post(url, moved, format="json", HTTP_IF_MATCH='"1"')
    blank = client.post(url, {**moved, "reason": "  "}, format="json", HTTP_IF_MATCH='"1"')
    for response in (missing, blank):
        assert response.status_code == 400
        assert response.json()["reason"]
    milestone.refresh_from_db()
    assert milestone.target_date == milestone.baseline_date == datetime.date(2026, 12, 1)
    assert not MilestoneDateChange.objects.exists()


def test_milestone_target_date_cannot_be_patched_around_the_ledger(tpm, milestone):
    response = as_user(tpm).patch(
        f"{API}/milestones/{milestone.pk}/",
        {"target_date": "2027-05-01"},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    assert response.status_code == 400
    assert "move" in response.json()["target_date"][0]
    milestone.refresh_from_db()
    assert milestone.target_date == datetime.date(2026, 12, 1)


# --- Errors are JSON with field messages, never a 500 ---------------------------------------


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"start_date": "2026-13-45"}, "start_date"),
        ({"target_date": "soon"}, "target_date"),
        ({"target_date": "2025-01-01"}, "target_date"),
        ({"portfolio": "no-such-portfolio"}, "portfolio"),
        ({"portfolio": {"slug": "x"}}, "portfolio"),
        ({"tpm": "nobody"}, "tpm"),
        ({"teams": ["ghost-team"]}, "teams"),
        ({"phase": "imagined"}, "phase"),
        ({"priority": 9}, "priority"),
        ({"update_cadence_days": 0}, "update_cadence_days"),
        ({"health_score": 100}, "health_score"),
        ({"health_cause": "schedule"}, "health_cause"),
        ({"health_stale": False}, "health_stale"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_bad_program_input_answers_400_with_the_field(tpm, overrides, field):
    response = as_user(tpm).post(f"{API}/programs/", program_payload(**overrides), format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Program.objects.exists()


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"likelihood": 9}, "likelihood"),
        ({"impact": 0}, "impact"),
        ({"likelihood": "high"}, "likelihood"),
        ({"due_date": "31/12/2026"}, "due_date"),
        ({"owner": "ghost"}, "owner"),
        ({"program": "no-such-program"}, "program"),
        ({"state": "forgotten"}, "state"),
    ],
)
def test_bad_risk_input_answers_400_with_the_field(tpm, program, payload, field):
    body = {"program": program.slug, "title": "Vendor", "likelihood": 3, "impact": 3, **payload}
    response = as_user(tpm).post(f"{API}/risks/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_non_integer_version_is_a_field_error(tpm, program):
    response = as_user(tpm).patch(
        f"{API}/programs/{program.slug}/", {"name": "x", "version": "abc"}, format="json"
    )
    assert response.status_code == 400
    assert "version" in response.json()


def test_malformed_json_is_a_400_with_detail(tpm, program):
    response = as_user(tpm).post(
        f"{API}/risks/", data='{"title": ', content_type="application/json"
    )
    assert response.status_code == 400
    assert "detail" in response.json()


def test_a_list_body_is_refused_as_invalid_data(tpm, program):
    response = as_user(tpm).patch(
        f"{API}/programs/{program.slug}/", [1, 2], format="json", HTTP_IF_MATCH='"1"'
    )
    assert response.status_code == 400
    assert "non_field_errors" in response.json()


def test_service_rules_come_back_as_field_errors(tpm, milestone):
    client = as_user(tpm)
    same_date = client.post(
        f"{API}/milestones/{milestone.pk}/move/",
        {"target_date": "2026-12-01", "category": "other", "reason": "No-op"},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    assert same_date.status_code == 400 and "target_date" in same_date.json()
    future = client.post(
        f"{API}/milestones/{milestone.pk}/complete/",
        {"completed_date": "2999-01-01"},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    assert future.status_code == 400 and "completed_date" in future.json()
    cycle = client.patch(
        f"{API}/milestones/{milestone.pk}/",
        {"depends_on": [milestone.pk]},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    assert cycle.status_code == 400 and "depends_on" in cycle.json()


@pytest.mark.parametrize(
    "url, field",
    [
        ("/programs/?phase=imagined", "phase"),
        ("/milestones/?target_date_after=not-a-date", "target_date"),
        ("/milestones/?state=forgotten", "state"),
        ("/risks/?min_exposure=lots", "min_exposure"),
        ("/status-updates/?created_after=yesterday", "created"),
    ],
)
def test_bad_filters_are_field_errors(tpm, url, field):
    response = as_user(tpm).get(f"{API}{url}")
    assert response.status_code == 400
    assert field in response.json()


def test_unknown_objects_answer_404_json(tpm):
    client = as_user(tpm)
    assert client.get(f"{API}/programs/nope/").json() == {"detail": "Not found."}
    assert client.get(f"{API}/milestones/999999/").status_code == 404


# --- Token authentication -------------------------------------------------------------------


def test_token_from_the_profile_page_authenticates_the_api(client, tpm, program):
    client.force_login(tpm)
    client.post(reverse("token-create"), {"name": "script", "lifetime_days": "30"})
    key = client.get(reverse("profile")).context["new_token"]["secret"]
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = api.get(f"{API}/programs/")
    assert response.status_code == 200
    assert response.json()["count"] == 1
    moved = api.patch(
        f"{API}/programs/{program.slug}/",
        {"phase": "launching"},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    assert moved.status_code == 200
    api.credentials(HTTP_AUTHORIZATION="Token not-a-real-key")
    assert api.get(f"{API}/programs/").status_code == 401


def test_create_api_token_command_makes_a_working_token(tpm, capsys):
    call_command("create_api_token", tpm.username, "--name", "CI", "--days", "7")
    secret = capsys.readouterr().out.strip()
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    assert api.get(f"{API}/programs/").status_code == 200


# --- Filtering, ordering, pagination --------------------------------------------------------


@pytest.fixture
def catalogue(tpm, leader):
    """Four programs across two portfolios, phases, TPMs, teams and grades."""
    core = PortfolioFactory(slug="core", name="Core")
    edge = PortfolioFactory(slug="edge", name="Edge")
    storage = TeamFactory(slug="storage", name="Storage")
    other_tpm = UserFactory(username="tom.tpm", roles=["TPM"])
    alpha = ProgramFactory(
        name="Alpha", slug="alpha", portfolio=core, tpm=tpm, phase="planning", health_grade="green"
    )
    alpha.teams.add(storage)
    ProgramFactory(
        name="Bravo",
        slug="bravo",
        portfolio=core,
        tpm=other_tpm,
        health_grade="red",
        health_watermelon=True,
        health_cause="launch_readiness",
    )
    ProgramFactory(
        name="Charlie",
        slug="charlie",
        portfolio=edge,
        tpm=tpm,
        phase="done",
        health_grade="red",
        health_stale=True,
        health_cause="freshness",
    )
    ProgramFactory(name="Delta", slug="delta", portfolio=edge, tpm=other_tpm, confidential=True)
    return leader


@pytest.mark.parametrize(
    "query, slugs",
    [
        ("", ["alpha", "bravo", "charlie", "delta"]),
        ("portfolio=core", ["alpha", "bravo"]),
        ("phase=planning&phase=done", ["alpha", "charlie"]),
        ("tpm=tom.tpm", ["bravo", "delta"]),
        ("team=storage", ["alpha"]),
        ("health_grade=red", ["bravo", "charlie"]),
        ("confidential=true", ["delta"]),
        ("watermelon=true", ["bravo"]),
        ("cause=launch_readiness", ["bravo"]),
        ("cause=freshness&cause=launch_readiness", ["bravo", "charlie"]),
        ("health_grade=red&cause=launch_readiness", ["bravo"]),
        ("stale=true", ["charlie"]),
        ("stale=false", ["alpha", "bravo", "delta"]),
        ("search=rav", ["bravo"]),
        ("ordering=-name", ["delta", "charlie", "bravo", "alpha"]),
    ],
)
def test_program_filters_and_ordering(catalogue, query, slugs):
    response = as_user(catalogue).get(f"{API}/programs/?{query}")
    assert response.status_code == 200
    assert [row["slug"] for row in response.json()["results"]] == slugs


def test_programs_are_paginated(catalogue):
    client = as_user(catalogue)
    first = client.get(f"{API}/programs/", {"page_size": 3}).json()
    assert first["count"] == 4 and len(first["results"]) == 3 and first["next"]
    second = client.get(first["next"]).json()
    assert [row["slug"] for row in second["results"]] == ["delta"]


def test_milestone_filters(tpm, program):
    today = timezone.localdate()
    late = MilestoneFactory(
        program=program,
        name="Late",
        baseline_date=today - datetime.timedelta(days=5),
        critical=True,
    )
    MilestoneFactory(
        program=program,
        name="Done early",
        baseline_date=today - datetime.timedelta(days=9),
        state="done",
        completed_date=today - datetime.timedelta(days=10),
    )
    future = MilestoneFactory(
        program=program, name="Future", baseline_date=today + datetime.timedelta(days=30)
    )
    MilestoneFactory(name="Elsewhere", baseline_date=today + datetime.timedelta(days=30))
    client = as_user(tpm)

    def names(**params):
        response = client.get(f"{API}/milestones/", params)
        assert response.status_code == 200, response.json()
        return [row["name"] for row in response.json()["results"]]

    assert names(program=program.slug) == ["Done early", "Late", "Future"]
    assert names(overdue="true") == ["Late"]
    assert names(critical="true") == ["Late"]
    assert names(state="done") == ["Done early"]
    assert names(program=program.slug, target_date_after=today.isoformat()) == ["Future"]
    assert names(target_date_before=(today - datetime.timedelta(days=6)).isoformat()) == [
        "Done early"
    ]
    assert names(program=program.slug, ordering="-target_date") == ["Future", "Late", "Done early"]
    assert client.get(f"{API}/milestones/{late.pk}/").json()["overdue"] is True
    assert client.get(f"{API}/milestones/{future.pk}/").json()["overdue"] is False


def test_update_risk_and_decision_filters(tpm, program):
    other = ProgramFactory(slug="other")
    StatusUpdateFactory(program=program, reported_health="off_track")
    StatusUpdateFactory(program=program, reported_health="on_track")
    StatusUpdateFactory(program=other, reported_health="off_track")
    RiskFactory(program=program, title="Big", likelihood=5, impact=4)
    RiskFactory(program=program, title="Small", likelihood=1, impact=2)
    RiskFactory(program=program, title="Closed", likelihood=5, impact=5, state="closed")
    DecisionFactory(program=program, title="Ours")
    DecisionFactory(program=other, title="Theirs")
    client = as_user(tpm)

    def rows(resource, **params):
        response = client.get(f"{API}/{resource}/", params)
        assert response.status_code == 200, response.json()
        return response.json()["results"]

    off_track = rows("status-updates", program=program.slug, reported_health="off_track")
    assert len(off_track) == 1 and off_track[0]["program"] == program.slug
    today = timezone.localdate().isoformat()
    assert len(rows("status-updates", created_after=today, created_before=today)) == 3
    assert rows("status-updates", created_before="2000-01-01") == []
    assert [r["title"] for r in rows("risks", program=program.slug, min_exposure=20)] == [
        "Closed",
        "Big",
    ]
    assert [r["title"] for r in rows("risks", state="open", ordering="exposure_score")] == [
        "Small",
        "Big",
    ]
    assert [d["title"] for d in rows("decisions", program=program.slug)] == ["Ours"]
