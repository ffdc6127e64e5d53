"""Who may read and edit which program, and what the selectors return."""

import datetime

import pytest
from django.utils import timezone

from programs import selectors, services
from programs.filters import ProgramListFilter
from programs.models import Program
from tests.factories import (
    MembershipFactory,
    MilestoneFactory,
    ProgramFactory,
    StatusUpdateFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(tpm, engineer, leader, admin_user, outsider, reviewer):
    return {
        "tpm": tpm, "engineer": engineer, "leader": leader,
        "admin": admin_user, "outsider": outsider, "reviewer": reviewer,
    }  # fmt: skip


# who → (may view the confidential program, may edit it)
CONFIDENTIAL_MATRIX = {
    "tpm": (True, True),
    "engineer": (True, False),  # a contributor member
    "leader": (True, False),
    "admin": (True, True),
    "outsider": (False, False),
    "reviewer": (False, False),
}


@pytest.mark.parametrize("who", CONFIDENTIAL_MATRIX)
def test_confidential_program_matrix(people, confidential_program, who):
    user = people[who]
    may_view, may_edit = CONFIDENTIAL_MATRIX[who]
    assert user.has_perm("programs.view_program", confidential_program) is may_view
    assert user.has_perm("programs.change_program", confidential_program) is may_edit
    visible = selectors.visible_programs(user).filter(pk=confidential_program.pk).exists()
    assert visible is may_view, "the queryset rule must agree with the object rule"


@pytest.mark.parametrize("who", CONFIDENTIAL_MATRIX)
def test_everyone_reads_a_public_program(people, program, who):
    assert people[who].has_perm("programs.view_program", program)
    assert selectors.visible_programs(people[who]).filter(pk=program.pk).exists()


@pytest.mark.parametrize(
    ("role", "may_edit"),
    [("eng_lead", True), ("pm", True), ("tpm", True), ("contributor", False), ("sponsor", False)],
)
def test_lead_roles_edit_and_others_read(program, role, may_edit):
    member = UserFactory()
    MembershipFactory(program=program, user=member, role=role)
    assert member.has_perm("programs.change_program", program) is may_edit


def test_only_tpms_and_admins_create_programs(people):
    assert people["tpm"].has_perm("programs.add_program")
    assert people["admin"].has_perm("programs.add_program")
    assert not people["engineer"].has_perm("programs.add_program")
    assert not people["leader"].has_perm("programs.add_program")


def test_program_list_filters_search_and_sorts(tpm):
    a = ProgramFactory(name="Alpha region build", tpm=tpm, phase="planning", health_score=40)
    b = ProgramFactory(name="Beta TLS rollout", phase="executing", health_score=90)
    MilestoneFactory(
        program=a,
        name="Racks landed",
        target_date=datetime.date(2026, 12, 1),
        baseline_date=datetime.date(2026, 12, 1),
    )
    StatusUpdateFactory(program=a, reported_health="at_risk")
    listed = list(selectors.program_list(user=tpm, filters=ProgramListFilter({"sort": "-score"})))
    assert [p.pk for p in listed] == [b.pk, a.pk]
    found = selectors.program_list(user=tpm, filters=ProgramListFilter({"q": "region"})).get()
    assert found.next_milestone_name == "Racks landed"
    assert found.latest_reported_health == "at_risk"
    assert list(
        selectors.program_list(user=tpm, filters=ProgramListFilter({"phase": "executing"}))
    ) == [b]
    assert list(
        selectors.program_list(user=tpm, filters=ProgramListFilter({"tpm": tpm.username}))
    ) == [a]


def test_tpm_home_lists_overdue_updates_first(tpm):
    stale = ProgramFactory(name="Stale", tpm=tpm)
    Program.objects.filter(pk=stale.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=30)
    )
    fresh = ProgramFactory(name="Fresh", tpm=tpm)
    ProgramFactory(name="Done", tpm=tpm, phase="done")
    ProgramFactory(name="Someone else's")
    services.status_update_post(program=fresh, user=tpm, reported_health="on_track", summary="ok")
    rows = selectors.tpm_home(user=tpm)
    assert [row.program.name for row in rows] == ["Stale", "Fresh"]
    assert rows[0].overdue and not rows[1].overdue
    assert stale.pk == rows[0].program.pk


def test_program_page_activity_shows_what_changed_and_who(program, tpm):
    milestone = services.milestone_create(
        program=program, user=tpm, name="GA", target_date=datetime.date(2026, 12, 1)
    )
    services.milestone_move(
        milestone=milestone, user=tpm, version=1, target_date=datetime.date(2027, 1, 10),
        category="dependency", reason="Capacity freeze",
    )  # fmt: skip
    services.program_update(program=program, user=tpm, version=1, phase="launching")
    page = selectors.program_page(program=program)
    assert page.milestones[0].slip_days == 40
    assert page.milestones[0].date_changes.all()[0].reason == "Capacity freeze"
    kinds = [(entry.kind, entry.action) for entry in page.activity]
    assert ("program", "changed") in kinds and ("milestone", "created") in kinds
    program_change = next(e for e in page.activity if e.kind == "program" and e.action == "changed")
    assert program_change.changes == ["phase"]
    assert program_change.who == tpm.get_full_name()
    move = next(e for e in page.activity if e.kind == "milestone" and e.action == "changed")
    assert move.changes == ["target date"]


def test_the_programs_page_filters_with_the_apis_filterset():
    """Each API filter the page offers is the API's own (same lookup), not a copy."""
    from programs.filters import ProgramFilter

    page, api = ProgramListFilter.base_filters, ProgramFilter.base_filters
    assert issubclass(ProgramListFilter, ProgramFilter)
    for name in ("portfolio", "phase", "tpm", "team", "health_grade", "cause"):
        assert (page[name].field_name, page[name].lookup_expr) == (
            api[name].field_name,
            api[name].lookup_expr,
        )
