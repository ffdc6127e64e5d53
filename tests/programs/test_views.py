"""The programs pages through Django's test client: who sees what, and every form end to end."""

import datetime
import re
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from django.utils import timezone

from programs.models import (
    Decision,
    Milestone,
    MilestoneDateChange,
    MilestoneState,
    Program,
    ProgramMembership,
    Risk,
    RiskState,
    StatusUpdate,
)
from tests.factories import (
    DecisionFactory,
    MembershipFactory,
    MilestoneDateChangeFactory,
    MilestoneFactory,
    PortfolioFactory,
    ProgramFactory,
    RiskFactory,
    StatusUpdateFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

STALE_MESSAGE = "changed by someone else"


def text(response) -> str:
    return response.content.decode()


def program_form_data(program: Program | None = None, **overrides) -> dict:
    """A complete, valid program form submission (the fields of ``program`` if given)."""
    data = {
        "name": "Storage tier migration",
        "portfolio": PortfolioFactory().pk,
        "phase": "planning",
        "priority": 1,
        "tpm": "",
        "sponsor": "",
        "start_date": "2026-02-01",
        "target_date": "2026-12-31",
        "update_cadence_days": 7,
        "problem_statement": "Disks are **old**.",
        "success_criteria": "- All data moved",
    }
    if program is not None:
        data.update(
            name=program.name,
            portfolio=program.portfolio_id,
            phase=program.phase,
            priority=program.priority,
            tpm=program.tpm_id,
            start_date=program.start_date.isoformat(),
            target_date=program.target_date.isoformat(),
            update_cadence_days=program.update_cadence_days,
            problem_statement=program.problem_statement,
            success_criteria=program.success_criteria,
            version=program.version,
        )
    data.update(overrides)
    return data


def url(name: str, program: Program, obj=None) -> str:
    args = [program.slug] if obj is None else [program.slug, obj.pk]
    return reverse(f"programs:{name}", args=args)


# --- People and programs for the permission matrix ------------------------------------------


@pytest.fixture
def eng_lead(db):
    return UserFactory(username="erin.lead", roles=["Engineer"])


@pytest.fixture
def contributor(db):
    return UserFactory(username="cora.contributor", roles=["Engineer"])


@pytest.fixture
def people(tpm, eng_lead, contributor, outsider, leader, admin_user):
    return {
        "tpm": tpm,
        "eng_lead": eng_lead,
        "contributor": contributor,
        "outsider": outsider,
        "leader": leader,
        "admin": admin_user,
    }


def staffed(program, tpm, eng_lead, contributor):
    """Give ``program`` its TPM, an engineering lead and a contributor, and one of each child."""
    ProgramMembership.objects.get_or_create(program=program, user=tpm, defaults={"role": "tpm"})
    ProgramMembership.objects.update_or_create(
        program=program, user=eng_lead, defaults={"role": "eng_lead"}
    )
    ProgramMembership.objects.update_or_create(
        program=program, user=contributor, defaults={"role": "contributor"}
    )
    MilestoneFactory(program=program, name="Design approved")
    RiskFactory(program=program, title="Vendor late")
    DecisionFactory(program=program, title="Go with vendor A")
    return program


@pytest.fixture
def public_program(program, tpm, eng_lead, contributor):
    return staffed(program, tpm, eng_lead, contributor)


@pytest.fixture
def secret_program(confidential_program, tpm, eng_lead, contributor):
    return staffed(confidential_program, tpm, eng_lead, contributor)


def edit_urls(program: Program) -> list[str]:
    milestone = program.milestones.get()
    risk = program.risks.get()
    decision = program.decisions.get()
    return [
        url("edit", program),
        url("update-create", program),
        url("milestone-create", program),
        url("milestone-edit", program, milestone),
        url("milestone-move", program, milestone),
        url("milestone-complete", program, milestone),
        url("risk-create", program),
        url("risk-edit", program, risk),
        url("risk-close", program, risk),
        url("decision-create", program),
        url("decision-edit", program, decision),
    ]


# --- Pages render; anonymous users go to the login page ------------------------------------


def test_every_page_renders_for_a_signed_in_tpm(client, tpm, public_program):
    """Home, profile, list, program page, create page and every edit page answer 200."""
    client.force_login(tpm)
    pages = [
        reverse("home"),
        reverse("profile"),
        reverse("programs:list"),
        reverse("programs:create"),
        public_program.get_absolute_url(),
        *edit_urls(public_program),
    ]
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        assert b'<meta name="csrf-token"' in response.content, page


def test_anonymous_users_are_sent_to_sign_in(client, public_program):
    """Every page redirects an anonymous visitor to the login page, keeping where they went."""
    pages = [
        reverse("home"),
        reverse("profile"),
        reverse("programs:list"),
        reverse("programs:create"),
        public_program.get_absolute_url(),
        *edit_urls(public_program),
    ]
    for page in pages:
        response = client.get(page)
        assert response.status_code == 302, page
        assert response.url.startswith(reverse("login") + "?next="), page


def test_anonymous_post_changes_nothing(client, public_program):
    response = client.post(
        url("risk-create", public_program), {"title": "x", "likelihood": 1, "impact": 1}
    )
    assert response.status_code == 302
    assert public_program.risks.count() == 1


def test_sign_in_page_shows_form_errors(client, tpm):
    """A wrong password re-shows the form with the error and the typed username."""
    response = client.post(reverse("login"), {"username": "tina.tpm", "password": "wrong"})
    assert response.status_code == 200
    assert "do not match" in text(response)
    assert 'value="tina.tpm"' in text(response)
    response = client.post(reverse("login"), {"username": "tina.tpm", "password": "pw"})
    assert response.status_code == 302
    assert response.url == reverse("home")


def test_base_layout_has_navigation_csrf_meta_and_our_static_files(client, admin_user, engineer):
    """Nav links, a POST sign-out form, the CSRF meta tag, our CSS and JS and htmx; admin for staff."""
    client.force_login(admin_user)
    page = text(client.get(reverse("programs:list")))
    assert 'href="/api/docs/"' in page
    assert 'href="/admin/"' in page
    assert re.search(r'<form method="post" action="/accounts/logout/"', page)
    assert "/static/css/pulse.css" in page
    assert "/static/js/pulse.js" in page
    assert "/static/vendor/htmx.org/dist/htmx.min.js" in page
    assert "<script>" not in page  # CSP: no inline scripts
    client.force_login(engineer)
    assert 'href="/admin/"' not in text(client.get(reverse("programs:list")))


def test_sign_out_is_a_post(client, tpm):
    client.force_login(tpm)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 302


# --- Permission matrix ----------------------------------------------------------------------

CAN_EDIT = {"tpm", "eng_lead", "admin"}
SEES_CONFIDENTIAL = {"tpm", "eng_lead", "contributor", "leader", "admin"}


@pytest.mark.parametrize("who", ["tpm", "eng_lead", "contributor", "outsider", "leader", "admin"])
@pytest.mark.parametrize("confidential", [False, True], ids=["public", "confidential"])
def test_permission_matrix(client, people, public_program, secret_program, who, confidential):
    """View: everyone, or for a confidential program only members, leadership and admins (404
    otherwise). Edit pages: the TPM, lead roles and admins; other readers get 403."""
    program = secret_program if confidential else public_program
    client.force_login(people[who])
    visible = who in SEES_CONFIDENTIAL or not confidential
    detail = client.get(program.get_absolute_url())
    assert detail.status_code == (200 if visible else 404)
    if visible:
        assert (f'href="{url("edit", program)}"' in text(detail)) == (who in CAN_EDIT)
    expected = 200 if who in CAN_EDIT else (403 if visible else 404)
    for page in edit_urls(program):
        assert client.get(page).status_code == expected, page
    listed = text(client.get(reverse("programs:list")))
    assert (program.name in listed) == visible


@pytest.mark.parametrize("who", ["contributor", "outsider", "leader"])
def test_non_editors_cannot_write_by_posting(client, people, public_program, who):
    """A POST from someone who may not edit is refused with 403 and changes nothing."""
    client.force_login(people[who])
    milestone = public_program.milestones.get()
    risk = public_program.risks.get()
    posts = [
        (url("edit", public_program), program_form_data(public_program, name="Hijacked")),
        (url("update-create", public_program), {"reported_health": "on_track", "summary": "x"}),
        (
            url("milestone-move", public_program, milestone),
            {"target_date": "2027-01-01", "reason": "x", "version": milestone.version},
        ),
        (url("risk-close", public_program, risk), {"version": risk.version}),
    ]
    for page, data in posts:
        assert client.post(page, data).status_code == 403, page
    public_program.refresh_from_db()
    assert public_program.name == "Fleet kernel upgrade"
    assert not public_program.status_updates.exists()
    assert Milestone.objects.get(pk=milestone.pk).version == milestone.version
    assert Risk.objects.get(pk=risk.pk).state == RiskState.OPEN


def test_create_program_needs_the_tpm_role(client, engineer, leader, tpm, admin_user):
    for user, status in [(engineer, 403), (leader, 403), (tpm, 200), (admin_user, 200)]:
        client.force_login(user)
        assert client.get(reverse("programs:create")).status_code == status, user.username
    client.force_login(engineer)
    response = client.post(reverse("programs:create"), program_form_data(tpm=engineer.pk))
    assert response.status_code == 403
    assert not Program.objects.filter(name="Storage tier migration").exists()


def test_children_are_scoped_to_their_program(client, tpm, public_program):
    """A milestone, risk or decision of another program is 404 under this program's URL."""
    other = ProgramFactory(tpm=tpm)
    foreign_milestone = MilestoneFactory(program=other)
    foreign_risk = RiskFactory(program=other)
    foreign_decision = DecisionFactory(program=other)
    client.force_login(tpm)
    for page in [
        url("milestone-edit", public_program, foreign_milestone),
        url("milestone-move", public_program, foreign_milestone),
        url("milestone-complete", public_program, foreign_milestone),
        url("risk-edit", public_program, foreign_risk),
        url("risk-close", public_program, foreign_risk),
        url("decision-edit", public_program, foreign_decision),
    ]:
        assert client.get(page).status_code == 404, page


def test_unknown_program_is_404(client, tpm):
    client.force_login(tpm)
    assert client.get(reverse("programs:detail", args=["no-such-program"])).status_code == 404
    assert client.get(reverse("programs:edit", args=["no-such-program"])).status_code == 404


# --- Program create and edit ----------------------------------------------------------------


def test_create_program_happy_path(client, tpm):
    """The creator becomes TPM and member; the page shows the sanitised brief and the activity."""
    client.force_login(tpm)
    team = TeamFactory(name="Storage")
    data = program_form_data(tpm=tpm.pk, teams=[team.pk], confidential="on")
    response = client.post(reverse("programs:create"), data)
    program = Program.objects.get(name="Storage tier migration")
    assert response.status_code == 302
    assert response.url == program.get_absolute_url()
    assert program.tpm == tpm and program.confidential
    assert list(program.teams.all()) == [team]
    assert program.memberships.filter(user=tpm, role="tpm").exists()
    page = text(client.get(response.url))
    assert "<strong>old</strong>" in page
    assert "Confidential" in page
    assert re.search(r"created program\s*<em>Storage tier migration</em>", page)


def test_create_program_defaults_the_tpm_to_the_creator(client, tpm):
    client.force_login(tpm)
    page = text(client.get(reverse("programs:create")))
    assert re.search(rf'<option value="{tpm.pk}" selected>', page)


def test_create_program_bad_input_keeps_what_was_typed(client, tpm):
    """A target before the start is refused with the field error; nothing is created."""
    client.force_login(tpm)
    data = program_form_data(tpm=tpm.pk, target_date="2025-01-01", name="Typed name stays")
    response = client.post(reverse("programs:create"), data)
    assert response.status_code == 200
    page = text(response)
    assert "The target date cannot be before the start date." in page
    assert 'value="Typed name stays"' in page
    assert 'aria-invalid="true"' in page or "alert-error" in page
    assert not Program.objects.filter(name="Typed name stays").exists()


def test_create_program_missing_required_fields(client, tpm):
    client.force_login(tpm)
    response = client.post(reverse("programs:create"), {"name": "", "problem_statement": "kept"})
    assert response.status_code == 200
    page = text(response)
    assert page.count("This field is required.") >= 4
    assert "kept</textarea>" in page
    assert not Program.objects.exists()


def test_edit_program_happy_path_records_history(client, tpm, public_program):
    client.force_login(tpm)
    data = program_form_data(public_program, name="Fleet kernel upgrade 6.12", phase="launching")
    response = client.post(url("edit", public_program), data)
    assert response.status_code == 302
    public_program.refresh_from_db()
    assert public_program.name == "Fleet kernel upgrade 6.12"
    assert public_program.phase == "launching"
    assert public_program.version == 2
    page = text(client.get(public_program.get_absolute_url()))
    assert re.search(r"changed program\s*<em>Fleet kernel upgrade 6.12</em>", page)
    assert "name, phase" in page


def test_edit_program_with_a_stale_version_is_refused_and_keeps_the_input(
    client, tpm, eng_lead, public_program
):
    """Two editors load version 1; the second save gets a clear error, not an overwrite."""
    client.force_login(eng_lead)
    first = program_form_data(public_program, name="Saved first")
    assert client.post(url("edit", public_program), first).status_code == 302
    client.force_login(tpm)
    second = program_form_data(public_program, name="Typed second", version=1)
    response = client.post(url("edit", public_program), second)
    assert response.status_code == 200
    page = text(response)
    assert STALE_MESSAGE in page
    assert "Reload" in page
    assert 'value="Typed second"' in page
    public_program.refresh_from_db()
    assert public_program.name == "Saved first"


def test_edit_form_without_version_is_refused(client, tpm, public_program):
    client.force_login(tpm)
    data = program_form_data(public_program, name="No version")
    del data["version"]
    response = client.post(url("edit", public_program), data)
    assert response.status_code == 200
    assert "out of date" in text(response)
    public_program.refresh_from_db()
    assert public_program.name == "Fleet kernel upgrade"


# --- Milestones -----------------------------------------------------------------------------


def test_add_milestone_baseline_defaults_to_target(client, tpm, public_program):
    client.force_login(tpm)
    response = client.post(
        url("milestone-create", public_program),
        {
            "name": "GA in eu-west",
            "target_date": "2026-10-01",
            "state": "planned",
            "critical": "on",
        },
    )
    milestone = public_program.milestones.get(name="GA in eu-west")
    assert response.status_code == 302
    assert response.url.endswith(f"#milestone-{milestone.pk}")
    assert milestone.baseline_date == milestone.target_date == datetime.date(2026, 10, 1)
    assert milestone.critical
    page = text(client.get(public_program.get_absolute_url()))
    assert "GA in eu-west" in page
    assert re.search(r"created milestone\s*<em>GA in eu-west</em>", page)


def test_overdue_milestone_reads_overdue_in_the_table_and_the_timeline(client, tpm, public_program):
    """An open milestone 55 days past its (never moved) target reads "Overdue · 55 days" with its
    state beneath, not "In progress · on baseline"; a done one past its date does not."""
    today = timezone.localdate()
    late = today - datetime.timedelta(days=55)
    overdue = MilestoneFactory(
        program=public_program, name="Racks landed", baseline_date=late, state="in_progress"
    )
    MilestoneFactory(
        program=public_program, name="Network up", baseline_date=late, state="done",
        completed_date=late,
    )  # fmt: skip
    client.force_login(tpm)
    page = text(client.get(public_program.get_absolute_url()))
    row = re.search(rf'<tr id="milestone-{overdue.pk}" class="row-overdue">(.*?)</tr>', page, re.S)
    assert row, "the overdue milestone's row is marked"
    cells = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row.group(1)))
    assert "Overdue · 55 days In progress" in cells
    assert "not re-planned" in cells and "on baseline" not in cells
    assert page.count("Overdue · ") == 1  # the done milestone is not overdue
    assert '<span class="count count-alert">1 overdue</span>' in page
    assert re.search(r"milestones?\s*·\s*<span class=\"text-red\">1 overdue</span>", page)


def test_add_milestone_with_cross_program_dependency(client, tpm, public_program):
    """A milestone may depend on one in another program; both pages show the link."""
    upstream_program = ProgramFactory(name="Network refresh", slug="network-refresh")
    upstream = MilestoneFactory(program=upstream_program, name="Switches racked")
    client.force_login(tpm)
    client.post(
        url("milestone-create", public_program),
        {
            "name": "Kernel rollout",
            "target_date": "2026-11-01",
            "state": "planned",
            "depends_on": [upstream.pk],
        },
    )
    page = text(client.get(public_program.get_absolute_url()))
    assert f'href="/programs/network-refresh/#milestone-{upstream.pk}"' in page
    other_page = text(client.get(upstream_program.get_absolute_url()))
    assert "Fleet kernel upgrade: Kernel rollout" in other_page


def test_dependency_in_a_hidden_confidential_program_is_not_named(
    client, outsider, public_program, secret_program
):
    hidden = secret_program.milestones.get()
    ours = public_program.milestones.get()
    ours.depends_on.add(hidden)
    client.force_login(outsider)
    page = text(client.get(public_program.get_absolute_url()))
    assert "A milestone in a confidential program" in page
    assert "Project Nightjar" not in page


def test_add_milestone_bad_input(client, tpm, public_program):
    client.force_login(tpm)
    response = client.post(
        url("milestone-create", public_program),
        {"name": "Typed milestone", "target_date": "not a date", "state": "planned"},
    )
    assert response.status_code == 200
    assert "Enter a valid date." in text(response)
    assert 'value="Typed milestone"' in text(response)
    assert public_program.milestones.count() == 1


def test_edit_milestone_happy_path(client, tpm, public_program):
    milestone = public_program.milestones.get()
    client.force_login(tpm)
    response = client.post(
        url("milestone-edit", public_program, milestone),
        {"name": "Design doc approved", "state": "in_progress", "version": milestone.version},
    )
    assert response.status_code == 302
    milestone.refresh_from_db()
    assert milestone.name == "Design doc approved"
    assert milestone.state == MilestoneState.IN_PROGRESS
    assert milestone.version == 2


def test_edit_milestone_dependencies_show_in_activity(client, tpm, public_program):
    """Adding a dependency is recorded in the history and named in the activity."""
    first = public_program.milestones.get()
    second = MilestoneFactory(program=public_program, name="Rollout")
    client.force_login(tpm)
    response = client.post(
        url("milestone-edit", public_program, second),
        {
            "name": "Rollout",
            "state": "planned",
            "depends_on": [first.pk],
            "version": second.version,
        },
    )
    assert response.status_code == 302
    assert list(second.depends_on.all()) == [first]
    page = text(client.get(public_program.get_absolute_url()))
    assert re.search(
        r"changed milestone\s*<em>Rollout</em><span class=\"muted\"> — depends on", page
    )
    assert f'after <a href="#milestone-{first.pk}">Design approved</a>' in page


def test_edit_milestone_dependency_cycle_is_a_field_error(client, tpm, public_program):
    """The service's DomainError shows next to the field it is about."""
    first = public_program.milestones.get()
    second = MilestoneFactory(program=public_program, name="Rollout")
    second.depends_on.add(first)
    client.force_login(tpm)
    response = client.post(
        url("milestone-edit", public_program, first),
        {
            "name": first.name,
            "state": "planned",
            "depends_on": [second.pk],
            "version": first.version,
        },
    )
    assert response.status_code == 200
    assert re.search(
        r'class="field-error" id="id_depends_on_error"><p>That dependency would create a cycle.',
        text(response),
    )
    assert not first.depends_on.exists()


def test_edit_milestone_stale_version(client, tpm, public_program):
    milestone = public_program.milestones.get()
    client.force_login(tpm)
    response = client.post(
        url("milestone-edit", public_program, milestone),
        {"name": "Stale edit", "state": "planned", "version": milestone.version + 5},
    )
    assert response.status_code == 200
    assert STALE_MESSAGE in text(response)
    assert 'value="Stale edit"' in text(response)
    assert Milestone.objects.get(pk=milestone.pk).name == "Design approved"


def test_move_milestone_records_the_slip_and_reason(client, tpm, public_program):
    """Baseline stays, target moves, the ledger has who/when/from/to/why, the page shows it."""
    milestone = public_program.milestones.get()
    client.force_login(tpm)
    response = client.post(
        url("milestone-move", public_program, milestone),
        {
            "target_date": "2026-12-15",
            "category": "vendor",
            "reason": "Vendor hardware arrived late",
            "version": milestone.version,
        },
    )
    assert response.status_code == 302
    milestone.refresh_from_db()
    assert milestone.baseline_date == datetime.date(2026, 12, 1)
    assert milestone.target_date == datetime.date(2026, 12, 15)
    change = MilestoneDateChange.objects.get(milestone=milestone)
    assert change.changed_by == tpm
    assert change.reason == "Vendor hardware arrived late"
    assert change.category == "vendor"
    page = text(client.get(public_program.get_absolute_url()))
    assert "+14 d" in page
    assert "Vendor hardware arrived late" in page
    assert "1 Dec 2026 → 15 Dec 2026" in page
    assert re.search(r"changed milestone\s*<em>Design approved</em>", page)
    move_page = text(client.get(url("milestone-move", public_program, milestone)))
    assert "Vendor hardware arrived late" in move_page


def test_move_milestone_without_reason_is_refused(client, tpm, public_program):
    milestone = public_program.milestones.get()
    client.force_login(tpm)
    response = client.post(
        url("milestone-move", public_program, milestone),
        {"target_date": "2026-12-20", "reason": "   ", "version": milestone.version},
    )
    assert response.status_code == 200
    page = text(response)
    assert 'id="id_reason_error"' in page
    assert 'value="2026-12-20"' in page
    milestone.refresh_from_db()
    assert milestone.target_date == datetime.date(2026, 12, 1)
    assert not MilestoneDateChange.objects.exists()


def test_move_milestone_to_the_same_date_is_a_field_error(client, tpm, public_program):
    milestone = public_program.milestones.get()
    client.force_login(tpm)
    response = client.post(
        url("milestone-move", public_program, milestone),
        {
            "target_date": "2026-12-01",
            "category": "other",
            "reason": "No change",
            "version": milestone.version,
        },
    )
    assert response.status_code == 200
    assert re.search(
        r'id="id_target_date_error"><p>That is already the target date.', text(response)
    )
    assert "No change</textarea>" in text(response)


def test_move_milestone_stale_version(client, tpm, public_program):
    milestone = public_program.milestones.get()
    client.force_login(tpm)
    response = client.post(
        url("milestone-move", public_program, milestone),
        {
            "target_date": "2027-01-10",
            "category": "staffing",
            "reason": "Typed reason",
            "version": milestone.version - 1 or 99,
        },
    )
    assert response.status_code == 200
    assert STALE_MESSAGE in text(response)
    assert "Typed reason</textarea>" in text(response)
    assert Milestone.objects.get(pk=milestone.pk).target_date == datetime.date(2026, 12, 1)


def test_complete_milestone_has_a_confirmation_step(client, tpm, public_program):
    """GET shows a confirmation; only the POST completes it."""
    milestone = public_program.milestones.get()
    client.force_login(tpm)
    confirm = client.get(url("milestone-complete", public_program, milestone))
    assert confirm.status_code == 200
    assert "Mark as done" in text(confirm)
    assert Milestone.objects.get(pk=milestone.pk).state == MilestoneState.PLANNED
    today = timezone.localdate()
    response = client.post(
        url("milestone-complete", public_program, milestone),
        {"completed_date": today.isoformat(), "version": milestone.version},
    )
    assert response.status_code == 302
    milestone.refresh_from_db()
    assert milestone.state == MilestoneState.DONE
    assert milestone.completed_date == today


def test_complete_milestone_in_the_future_is_refused(client, tpm, public_program):
    milestone = public_program.milestones.get()
    client.force_login(tpm)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    response = client.post(
        url("milestone-complete", public_program, milestone),
        {"completed_date": tomorrow.isoformat(), "version": milestone.version},
    )
    assert response.status_code == 200
    assert "cannot be in the future" in text(response)
    assert Milestone.objects.get(pk=milestone.pk).state == MilestoneState.PLANNED


# --- Status updates -------------------------------------------------------------------------


def test_post_status_update_shows_previous_and_defaults_health(client, tpm, public_program):
    StatusUpdateFactory(
        program=public_program, reported_health="at_risk", summary="Last week's words"
    )
    client.force_login(tpm)
    page = text(client.get(url("update-create", public_program)))
    assert "Last week&#x27;s words" in page or "Last week's words" in page
    assert re.search(
        r'<input type="radio" name="reported_health" value="at_risk"[^>]*checked', page
    )


def test_post_status_update_happy_path(client, tpm, public_program):
    client.force_login(tpm)
    response = client.post(
        url("update-create", public_program),
        {
            "reported_health": "off_track",
            "summary": "Kernel **regression** found",
            "asks": "Approve a one-week freeze",
        },
    )
    assert response.status_code == 302
    update = StatusUpdate.objects.get(program=public_program)
    assert update.author == tpm and update.reported_health == "off_track"
    public_program.refresh_from_db()
    assert public_program.last_update_at == update.created_at
    page = text(client.get(public_program.get_absolute_url()))
    assert "Kernel <strong>regression</strong> found" in page
    assert "Approve a one-week freeze" in page
    assert "badge-reported-off_track" in page
    assert re.search(r"created status update\s*<em>Off track</em>", page)


def test_post_status_update_without_summary_keeps_input(client, tpm, public_program):
    client.force_login(tpm)
    response = client.post(
        url("update-create", public_program),
        {"reported_health": "at_risk", "summary": "", "highlights": "Typed highlight"},
    )
    assert response.status_code == 200
    page = text(response)
    assert 'id="id_summary_error"' in page
    assert "Typed highlight</textarea>" in page
    assert re.search(r'value="at_risk"[^>]*checked', page)
    assert not StatusUpdate.objects.exists()


def test_status_update_on_the_home_page(client, tpm, public_program):
    """The TPM's home lists their programs, overdue updates first, each with Post update."""
    ten_days_ago = timezone.now() - datetime.timedelta(days=10)
    Program.objects.filter(pk=public_program.pk).update(created_at=ten_days_ago)
    fresh = ProgramFactory(name="Fresh program", tpm=tpm)
    StatusUpdateFactory(program=fresh)
    Program.objects.filter(pk=fresh.pk).update(last_update_at=timezone.now())
    client.force_login(tpm)
    page = text(client.get(reverse("home")))
    assert page.index(public_program.name) < page.index("Fresh program")
    assert url("update-create", public_program) in page
    assert url("update-create", fresh) in page
    assert "1 status update overdue" in page
    assert "Overdue since" in page


def test_home_tags_a_stale_program_stale_and_a_watermelon_watermelon(client, tpm, public_program):
    """The TPM's home carries the same flags as the lists: stale apart from watermelon."""
    melon = ProgramFactory(name="Melon program", tpm=tpm, health_watermelon=True)
    Program.objects.filter(pk=public_program.pk).update(health_stale=True)
    client.force_login(tpm)
    page = text(client.get(reverse("home")))
    stale_row = page.split(f">{public_program.name}</a>", 1)[1].split("</tr>", 1)[0]
    melon_row = page.split(f">{melon.name}</a>", 1)[1].split("</tr>", 1)[0]
    assert 'class="tag tag-stale"' in stale_row and "tag-watermelon" not in stale_row
    assert 'class="tag tag-watermelon"' in melon_row and "tag-stale" not in melon_row


def test_home_empty_state_suggests_the_next_step(client, tpm, engineer):
    client.force_login(tpm)
    page = text(client.get(reverse("home")))
    assert "Create a program" in page
    client.force_login(engineer)
    page = text(client.get(reverse("home")))
    assert "Create a program" not in page
    assert "Browse programs" in page


def test_profile_shows_roles_and_token_actions(client, tpm):
    client.force_login(tpm)
    page = text(client.get(reverse("profile")))
    assert "TPM" in page and "You have no API token" in page
    assert (
        client.post(reverse("token-create"), {"name": "CI", "lifetime_days": "30"}).status_code
        == 302
    )
    page = text(client.get(reverse("profile")))
    token = tpm.auth_token_set.get()
    assert "Copy it now" in page and "CI" in page
    assert f'action="/accounts/profile/token/{token.token_key}/revoke/"' in page


# --- Risks and decisions --------------------------------------------------------------------


def test_add_risk_happy_path(client, tpm, public_program):
    client.force_login(tpm)
    response = client.post(
        url("risk-create", public_program),
        {
            "title": "Kernel regression",
            "likelihood": 4,
            "impact": 5,
            "state": "open",
            "mitigation": "Canary",
        },
    )
    assert response.status_code == 302
    risk = public_program.risks.get(title="Kernel regression")
    page = text(client.get(public_program.get_absolute_url()))
    assert f'id="risk-{risk.pk}"' in page
    assert "Exposure 20" in page
    assert re.search(r"created risk\s*<em>Kernel regression</em>", page)


def test_add_risk_out_of_range_is_a_field_error(client, tpm, public_program):
    client.force_login(tpm)
    response = client.post(
        url("risk-create", public_program),
        {"title": "Typed risk", "likelihood": 9, "impact": 3, "state": "open"},
    )
    assert response.status_code == 200
    assert 'id="id_likelihood_error"' in text(response)
    assert 'value="Typed risk"' in text(response)
    assert public_program.risks.count() == 1


def test_edit_risk_and_stale_edit(client, tpm, public_program):
    risk = public_program.risks.get()
    client.force_login(tpm)
    data = {
        "title": "Vendor very late",
        "likelihood": 5,
        "impact": 4,
        "state": "mitigating",
        "version": risk.version,
    }
    assert client.post(url("risk-edit", public_program, risk), data).status_code == 302
    risk.refresh_from_db()
    assert (risk.title, risk.state, risk.exposure) == ("Vendor very late", "mitigating", 20)
    stale = client.post(url("risk-edit", public_program, risk), {**data, "title": "Stale title"})
    assert stale.status_code == 200
    assert STALE_MESSAGE in text(stale)
    assert Risk.objects.get(pk=risk.pk).title == "Vendor very late"


def test_close_risk_has_a_confirmation_step(client, tpm, public_program):
    risk = public_program.risks.get()
    client.force_login(tpm)
    confirm = client.get(url("risk-close", public_program, risk))
    assert confirm.status_code == 200
    assert "Close risk" in text(confirm)
    assert Risk.objects.get(pk=risk.pk).state == RiskState.OPEN
    response = client.post(url("risk-close", public_program, risk), {"version": risk.version})
    assert response.status_code == 302
    risk.refresh_from_db()
    assert risk.state == RiskState.CLOSED and risk.closed_at is not None
    page = text(client.get(public_program.get_absolute_url()))
    assert "1 closed risk" in page
    assert "0 open" in page


def test_close_risk_with_a_stale_version_is_refused(client, tpm, public_program):
    risk = public_program.risks.get()
    client.force_login(tpm)
    response = client.post(url("risk-close", public_program, risk), {"version": risk.version + 1})
    assert response.status_code == 200
    assert STALE_MESSAGE in text(response)
    assert Risk.objects.get(pk=risk.pk).state == RiskState.OPEN


def test_record_and_edit_a_decision(client, tpm, public_program):
    client.force_login(tpm)
    response = client.post(
        url("decision-create", public_program),
        {
            "title": "Freeze for a week",
            "decided_on": "2026-11-20",
            "outcome": "We **freeze**.",
            "context": "Two options",
        },
    )
    assert response.status_code == 302
    decision = public_program.decisions.get(title="Freeze for a week")
    assert decision.recorded_by == tpm
    page = text(client.get(public_program.get_absolute_url()))
    assert "We <strong>freeze</strong>." in page
    assert re.search(r"created decision\s*<em>Freeze for a week</em>", page)
    response = client.post(
        url("decision-edit", public_program, decision),
        {
            "title": "Freeze for two weeks",
            "decided_on": "2026-11-20",
            "outcome": "We freeze.",
            "version": decision.version,
        },
    )
    assert response.status_code == 302
    assert Decision.objects.get(pk=decision.pk).title == "Freeze for two weeks"


def test_record_decision_without_outcome(client, tpm, public_program):
    client.force_login(tpm)
    response = client.post(
        url("decision-create", public_program),
        {"title": "Typed decision", "decided_on": "2026-11-20", "outcome": ""},
    )
    assert response.status_code == 200
    assert 'id="id_outcome_error"' in text(response)
    assert public_program.decisions.count() == 1


# --- Program list ---------------------------------------------------------------------------


@pytest.fixture
def catalogue(tpm, engineer):
    """Five programs that differ in every filterable way."""
    core = PortfolioFactory(name="Core", slug="core")
    data = PortfolioFactory(name="Data", slug="data")
    storage = TeamFactory(name="Storage", slug="storage")
    other_tpm = UserFactory(username="olga.tpm", roles=["TPM"])
    programs = {
        "alpha": ProgramFactory(name="Alpha storage", slug="alpha", portfolio=core, tpm=tpm, phase="planning",
                                health_grade="green", health_score=90, target_date=datetime.date(2027, 1, 1)),
        "bravo": ProgramFactory(name="Bravo network", slug="bravo", portfolio=core, tpm=other_tpm,
                                health_grade="red", health_score=30, health_cause="schedule",
                                health_watermelon=True, target_date=datetime.date(2026, 6, 1)),
        "charlie": ProgramFactory(name="Charlie lake", slug="charlie", portfolio=data, tpm=tpm,
                                  health_grade="yellow", health_score=60, health_cause="freshness",
                                  health_stale=True, target_date=datetime.date(2026, 9, 1)),
        "delta": ProgramFactory(name="Delta archive", slug="delta", portfolio=data, tpm=other_tpm, phase="done"),
        "echo": ProgramFactory(name="Echo secret", slug="echo", portfolio=data, tpm=other_tpm, confidential=True),
    }  # fmt: skip
    programs["alpha"].teams.add(storage)
    StatusUpdateFactory(program=programs["bravo"], reported_health="off_track")
    MilestoneFactory(
        program=programs["alpha"], name="Racks delivered", baseline_date=datetime.date(2026, 8, 1)
    )
    return programs


def listed_names(response) -> list[str]:
    return re.findall(r'<a class="strong-link" href="/programs/[^"]+/">([^<]+)</a>', text(response))


def test_list_shows_visible_programs_with_their_columns(client, engineer, catalogue):
    client.force_login(engineer)
    response = client.get(reverse("programs:list"))
    assert listed_names(response) == [
        "Alpha storage",
        "Bravo network",
        "Charlie lake",
        "Delta archive",
    ]
    page = text(response)
    assert "Racks delivered" in page and "1 Aug 2026" in page  # next milestone and its date
    assert "badge-red" in page and "Red · 30" in page  # computed health
    assert "badge-reported-off_track" in page  # the latest reported health
    assert "not scored yet" in page  # Delta has no score
    assert "5 programs" not in page and "4 programs" in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("q=lake", ["Charlie lake"]),
        ("q=BRAVO", ["Bravo network"]),
        ("portfolio=data", ["Charlie lake", "Delta archive"]),
        ("phase=planning", ["Alpha storage"]),
        ("tpm=olga.tpm", ["Bravo network", "Delta archive"]),
        ("team=storage", ["Alpha storage"]),
        ("health_grade=red", ["Bravo network"]),
        ("portfolio=core&health_grade=green", ["Alpha storage"]),
        ("cause=schedule", ["Bravo network"]),
        ("cause=freshness&portfolio=data", ["Charlie lake"]),
        ("cause=risk", []),
        ("cause=ceiling", ["Alpha storage", "Bravo network", "Charlie lake", "Delta archive"]),
        ("sort=-name", ["Delta archive", "Charlie lake", "Bravo network", "Alpha storage"]),
        ("sort=target", ["Bravo network", "Charlie lake", "Alpha storage", "Delta archive"]),
        ("sort=-score", ["Alpha storage", "Charlie lake", "Bravo network", "Delta archive"]),
        ("portfolio=nope", ["Alpha storage", "Bravo network", "Charlie lake", "Delta archive"]),
    ],
)
def test_list_filters_search_and_sort(client, engineer, catalogue, query, expected):
    client.force_login(engineer)
    response = client.get(f"{reverse('programs:list')}?{query}")
    assert response.status_code == 200
    assert listed_names(response) == expected


def test_list_tags_stale_apart_from_watermelon_and_keeps_the_cause(client, engineer, catalogue):
    """A stale program gets a stale tag, a watermelon its own; the cause filter stays chosen
    in the form and rides along on the sort links."""
    client.force_login(engineer)
    page = text(client.get(reverse("programs:list")))
    rows = {
        name: page.split(f">{name}</a>", 1)[1].split("</tr>", 1)[0]
        for name in ("Bravo network", "Charlie lake")
    }
    assert 'class="tag tag-watermelon"' in rows["Bravo network"]
    assert "tag-stale" not in rows["Bravo network"]
    assert 'class="tag tag-stale"' in rows["Charlie lake"]
    assert "tag-watermelon" not in rows["Charlie lake"]
    filtered = text(client.get(f"{reverse('programs:list')}?cause=schedule"))
    assert '<option value="schedule" selected>Schedule</option>' in filtered
    assert '<label class="field-label" for="id_cause">Cause</label>' in filtered
    assert "cause=schedule&amp;sort=-name" in filtered


def test_list_keeps_filters_in_the_form_and_links(client, engineer, catalogue):
    """The chosen filters are selected in the form, and sort links carry them along."""
    client.force_login(engineer)
    page = text(client.get(f"{reverse('programs:list')}?portfolio=data&q=a"))
    assert '<option value="data" selected>' in page
    assert 'value="a"' in page
    assert "?portfolio=data&amp;q=a&amp;sort=-name" in page


def test_list_empty_states(client, tpm, catalogue):
    client.force_login(tpm)
    page = text(client.get(f"{reverse('programs:list')}?q=nothing-matches"))
    assert "No programs match" in page
    Program.objects.all().delete()
    page = text(client.get(reverse("programs:list")))
    assert "No programs yet" in page and "Create a program" in page


def test_list_pagination(client, engineer):
    portfolio = PortfolioFactory()
    for n in range(30):
        ProgramFactory(name=f"Program {n:02d}", portfolio=portfolio)
    client.force_login(engineer)
    first = client.get(reverse("programs:list"))
    assert len(listed_names(first)) == 25
    assert "Page 1 of 2" in text(first)
    second = client.get(f"{reverse('programs:list')}?sort=name&page=2")
    assert listed_names(second) == [f"Program {n}" for n in range(25, 30)]
    assert "showing 26–30" in text(second)
    beyond = client.get(f"{reverse('programs:list')}?page=99")
    assert listed_names(beyond) == [f"Program {n}" for n in range(25, 30)]


def test_list_htmx_request_gets_only_the_results(client, engineer, catalogue):
    """htmx swaps just the results block; a normal request gets the whole page."""
    client.force_login(engineer)
    response = client.get(
        f"{reverse('programs:list')}?health_grade=red",
        headers={"HX-Request": "true", "HX-Target": "program-results"},
    )
    page = text(response)
    assert "<html" not in page and "<form" not in page
    assert re.search(r'id="filter-sort" hx-swap-oob="true"', page)
    assert listed_names(response) == ["Bravo network"]
    full = text(client.get(f"{reverse('programs:list')}?health_grade=red"))
    assert "<html" in full and 'hx-target="#program-results"' in full


# --- Markdown and other user text is inert --------------------------------------------------

PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[x](javascript:alert(1))",
    '<a href="javascript:alert(1)">y</a>',
    "<svg onload=alert(1)>",
    '<iframe src="https://evil.example"></iframe>',
]
XSS = "\n\n".join(["Rendered-marker", *PAYLOADS])


class ActiveContent(HTMLParser):
    """Collects what a browser would run: scripts, event handlers, javascript: URLs, frames."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        # Our static scripts, and json_script data blocks (never executed; <, > and & escaped).
        ours = (attributes.get("src") or "").startswith("/static/") or (
            tag == "script" and attributes.get("type") == "application/json"
        )
        if tag in ("script", "img") and not ours:
            self.found.append(f"<{tag}> {attrs}")
        if tag in ("iframe", "svg", "object", "embed", "style"):
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"{tag} {name}={value}")
            if value and value.strip().lower().startswith("javascript:"):
                self.found.append(f"{tag} {name}={value}")


def active_content(html: str) -> list[str]:
    parser = ActiveContent()
    parser.feed(html)
    return parser.found


def test_xss_in_every_markdown_field_is_inert(client, tpm, public_program):
    """Payloads in the brief, an update, a risk and a decision render as harmless HTML."""
    Program.objects.filter(pk=public_program.pk).update(problem_statement=XSS, success_criteria=XSS)
    StatusUpdateFactory(
        program=public_program,
        summary=XSS,
        highlights=XSS,
        risks_and_blockers=XSS,
        asks=XSS,
        next_steps=XSS,
    )
    StatusUpdateFactory(program=public_program, summary=XSS, highlights=XSS)  # the latest
    RiskFactory(
        program=public_program, title="<script>alert(1)</script>", description=XSS, mitigation=XSS
    )
    DecisionFactory(program=public_program, context=XSS, outcome=XSS)
    closed = RiskFactory(program=public_program, description=XSS, mitigation=XSS, state="closed")
    assert closed.state == "closed"
    client.force_login(tpm)
    page = text(client.get(public_program.get_absolute_url()))
    # 15 Markdown fields are on the page: brief 2, updates 2 + 5, risks 2 + 2, decision 2.
    assert page.count("<p>Rendered-marker</p>") == 15
    assert active_content(page) == []
    assert "<script>alert(1)" not in page
    assert "onerror=" not in page.replace("onerror=alert(1)&gt;", "")
    update_form = text(client.get(url("update-create", public_program)))
    assert active_content(update_form) == []


def test_xss_in_names_and_reasons_is_escaped(client, tpm):
    program = ProgramFactory(name="<img src=x onerror=alert(1)>", tpm=tpm)
    milestone = MilestoneFactory(program=program, name="<script>alert(1)</script>")
    MilestoneDateChangeFactory(
        milestone=milestone, changed_by=tpm, reason="<script>alert(2)</script>"
    )
    client.force_login(tpm)
    for page_url in [program.get_absolute_url(), reverse("programs:list"), reverse("home")]:
        page = text(client.get(page_url))
        assert active_content(page) == [], page_url
        assert "&lt;script&gt;" in page or "&lt;img" in page


def test_confidential_membership_shown_on_the_page(client, leader, secret_program):
    client.force_login(leader)
    page = text(client.get(secret_program.get_absolute_url()))
    assert "tag-confidential" in page
    assert "erin.lead" in page or "Engineering lead" in page


def test_member_added_via_factory_sees_confidential_program(client, secret_program):
    member = UserFactory(username="new.member", roles=["Engineer"])
    client.force_login(member)
    assert client.get(secret_program.get_absolute_url()).status_code == 404
    MembershipFactory(program=secret_program, user=member)
    assert client.get(secret_program.get_absolute_url()).status_code == 200


# --- Members ---------------------------------------------------------------------------------


def test_tpm_adds_a_member_changes_the_role_and_removes_them(client, tpm, program, engineer):
    from programs.models import ProgramMembership

    client.force_login(tpm)
    url = f"/programs/{program.slug}/members/"
    assert client.get(url).status_code == 200
    assert client.post(url, {"member": engineer.pk, "role": "contributor"}).status_code == 302
    assert client.post(url, {"member": engineer.pk, "role": "eng_lead"}).status_code == 302
    membership = ProgramMembership.objects.get(program=program, user=engineer)
    assert membership.role == "eng_lead"
    assert engineer.has_perm("programs.change_program", program)
    remove = f"/programs/{program.slug}/members/{membership.pk}/remove/"
    assert "Remove" in client.get(remove).content.decode()
    assert client.post(remove).status_code == 302
    assert not ProgramMembership.objects.filter(pk=membership.pk).exists()


def test_members_page_refuses_bad_input_and_keeps_the_tpm(client, tpm, program):

    client.force_login(tpm)
    url = f"/programs/{program.slug}/members/"
    response = client.post(url, {"member": "999999", "role": "boss"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Select a valid choice" in html
    tpm_membership = MembershipFactory(program=program, user=tpm, role="tpm")
    response = client.post(f"/programs/{program.slug}/members/{tpm_membership.pk}/remove/")
    assert response.status_code == 200 and "stays a member" in response.content.decode()


@pytest.mark.parametrize("who", ["engineer", "leader"])
def test_only_editors_manage_members(client, program, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(f"/programs/{program.slug}/members/").status_code == 403


def test_pages_survive_a_deleted_person(client, tpm, program):
    """A slip recorded by someone whose account is gone shows "someone", never a 500."""
    milestone = MilestoneFactory(program=program)
    MilestoneDateChangeFactory(milestone=milestone, changed_by=None)
    client.force_login(tpm)
    response = client.get(program.get_absolute_url())
    assert response.status_code == 200
    assert "someone" in response.content.decode()


class PageText(HTMLParser):
    """The page as a reader sees it: its text (no scripts), its element ids and the section bar's links."""

    def __init__(self):
        super().__init__()
        self.chunks: list[str] = []
        self.ids: set[str] = set()
        self.nav_links: list[tuple[str, str]] = []
        self._skip = 0
        self._in_nav = False
        self._href: str | None = None
        self._label: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if attributes.get("id"):
            self.ids.add(attributes["id"])
        if tag in ("script", "style"):
            self._skip += 1
        if tag == "nav" and "section-nav" in (attributes.get("class") or ""):
            self._in_nav = True
        if self._in_nav and tag == "a":
            self._href, self._label = attributes.get("href"), []

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1
        if tag == "nav":
            self._in_nav = False
        if self._in_nav and tag == "a" and self._href is not None:
            self.nav_links.append((self._href, "".join(self._label).strip()))
            self._href = None

    def handle_data(self, data):
        if not self._skip:
            self.chunks.append(data)
        if self._href is not None:
            self._label.append(data)

    @classmethod
    def of(cls, response) -> "PageText":
        parser = cls()
        parser.feed(text(response))
        return parser

    @property
    def text(self) -> str:
        return " ".join(self.chunks)


def test_program_page_has_a_section_bar_whose_links_all_land(client, tpm, public_program):
    client.force_login(tpm)
    page = PageText.of(client.get(public_program.get_absolute_url()))
    labels = [label for _, label in page.nav_links]
    for expected in (
        "Health",
        "Updates",
        "Milestones",
        "Risks",
        "Metrics",
        "Launches",
        "Capacity",
        "Activity",
    ):
        assert expected in labels, labels
    for href, label in page.nav_links:
        assert href.startswith("#"), href
        assert href[1:] in page.ids, f"{label} links to {href}, which is not on the page"
    assert len({href for href, _ in page.nav_links}) == len(page.nav_links)  # no section twice
    # Reading order: the top health panel first, Activity after the main sections, before the side ones.
    assert labels[0] == "Health"
    assert (
        labels.index("Updates")
        < labels.index("Milestones")
        < labels.index("Risks")
        < labels.index("Activity")
    )
    assert labels.index("Activity") < labels.index("Capacity")
    # Plain links in a <nav> landmark: keyboard reachable, nothing to run.
    html = text(client.get(public_program.get_absolute_url()))
    bar = html.split('<nav class="section-nav" aria-label="Sections of this page">', 1)[1].split(
        "</nav>", 1
    )[0]
    assert "<script" not in bar and " on" not in bar.replace(" only", "")
    assert 'tabindex="-1"' not in bar


def test_each_risk_is_written_once_on_the_program_page(client, tpm, public_program):
    """The risk list holds each risk's text; the matrix shows counts that link to the entries."""
    Risk.objects.filter(program=public_program).delete()
    open_a = RiskFactory(
        program=public_program, title="Kernel regression on arm hosts", likelihood=2, impact=3
    )
    open_b = RiskFactory(
        program=public_program, title="Mirror bandwidth in APAC", likelihood=2, impact=3
    )
    open_c = RiskFactory(
        program=public_program, title="Rollback tooling untested", likelihood=1, impact=2
    )
    RiskFactory(
        program=public_program,
        title="Vendor contract lapsed",
        likelihood=3,
        impact=3,
        state=RiskState.CLOSED,
    )
    client.force_login(tpm)
    response = client.get(public_program.get_absolute_url())
    page = PageText.of(response)
    assert 'id="risk-matrix"' in text(response)
    # The Activity log names what each change touched (an event record, not the risk's text): leave it out.
    before, activity = text(response).split('<section class="card" id="activity"', 1)
    reading = PageText()
    reading.feed(before + "<section" + activity.split("</section>", 1)[1])
    assert "Kernel regression on arm hosts" in activity  # history rows of the factory saves
    for title in (
        "Kernel regression on arm hosts",
        "Mirror bandwidth in APAC",
        "Rollback tooling untested",
        "Vendor contract lapsed",
    ):
        assert reading.text.count(title) == 1, title
    matrix = text(response).split('id="risk-matrix"', 1)[1].split("</section>", 1)[0]
    assert "Kernel regression" not in matrix  # not even in a tooltip
    links = re.findall(r'href="#(risk-\d+)"', matrix)
    assert sorted(links) == sorted(
        {f"risk-{open_a.pk}", f"risk-{open_c.pk}"}
    )  # one link per occupied cell
    assert all(anchor in page.ids for anchor in links)
    assert f"risk-{open_b.pk}" in page.ids
    assert (
        "{#" not in page.text and "{%" not in page.text
    )  # no template comment leaks into the page


def test_the_list_labels_its_filters_whatever_the_api_built_first(client, engineer):
    """The page's filters are the API's; the API building its form fields first (its schema,
    a request) must not leave the page with the API's labels (a filter caches its field)."""
    from programs.filters import ProgramFilter

    for name in ("health_grade", "portfolio", "tpm", "team", "cause"):
        ProgramFilter.base_filters[name].field  # noqa: B018 - builds and caches the field
    client.force_login(engineer)
    html = client.get(reverse("programs:list")).content.decode()
    for label in ("Health", "Portfolio", "TPM", "Team", "Cause"):
        assert re.search(rf"<label[^>]*>\s*{label}\s*</label>", html), label
