"""Program plans: versions, alignment rounds, material changes, pages, export, history."""

import datetime

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied

from core.errors import DomainError, StaleWriteError
from metrics.health import reason_text
from programs import services as program_services
from programs.plans import selectors, services
from programs.plans.models import Plan, PlanTemplate
from programs.selectors import program_activity
from tests.conftest import client_for
from tests.factories import (
    MembershipFactory,
    MilestoneFactory,
    ProgramFactory,
    TeamFactory,
    UserFactory,
)

D = datetime.timedelta


def infrastructure() -> PlanTemplate:
    return PlanTemplate.objects.get(name="Infrastructure program", version=1)


def text(**changes) -> dict:
    """A first version's sections: every Markdown one written, each team's scope."""
    sections = {
        "problem": "Provisioning takes three weeks.",
        "goals": "Provision in a day.",
        "success_criteria": "Hosts provisioned in a day, 95 % of the time.",
        "scope": {"storage": "Storage builds the image pipeline.", "network": "Network: VLANs."},
        "rollout": "Region by region.",
        "communication": "Weekly update.",
        "stakeholders": "SRE.",
    }
    sections.update(changes)
    return sections


@pytest.fixture
def world(tpm):
    """A program with two teams led by Sam (storage) and Nia (network), a team with no lead,
    and a sponsor; its plan started, not published."""
    storage_lead = UserFactory(username="sam.storage", email="sam@example.com")
    network_lead = UserFactory(username="nia.network", email="nia@example.com")
    sponsor = UserFactory(username="spo.sponsor", email="sponsor@example.com", roles=["Leadership"])
    storage = TeamFactory(name="Storage", slug="storage", lead=storage_lead)
    network = TeamFactory(name="Network", slug="network", lead=network_lead)
    leaderless = TeamFactory(name="Payments", slug="payments")
    program = ProgramFactory(
        name="Provisioning v2", slug="provisioning-v2", tpm=tpm, sponsor=sponsor
    )
    program.teams.set([storage, network, leaderless])
    plan = services.plan_start(program=program, template=infrastructure(), user=tpm)
    return {
        "program": program, "plan": plan, "tpm": tpm, "sponsor": sponsor,
        "storage_lead": storage_lead, "network_lead": network_lead,
    }  # fmt: skip


def publish(world, based_on, sections=None, note="", **kw):
    return services.plan_publish(
        plan=world["plan"], user=world["tpm"], based_on=based_on,
        sections=sections if sections is not None else text(), change_note=note, **kw,
    )  # fmt: skip


def latest_round(plan: Plan):
    return plan.rounds.order_by("-opened_at", "-pk").first()


# --- Publishing and asking ---------------------------------------------------------------------


def test_the_first_version_asks_each_team_lead_and_the_sponsor(
    world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        v1 = publish(world, 0)
    plan = Plan.objects.get(pk=world["plan"].pk)
    assert (v1.number, plan.published, plan.awaiting) == (1, 1, 3)
    assert v1.sections["scope"] == {
        "network": "Network: VLANs.",
        "storage": "Storage builds the image pipeline.",
    }
    alignment = selectors.alignment(plan)
    assert [(p.party, p.asked.username, p.acknowledged_at) for p in alignment.parties] == [
        ("Network", "nia.network", None),
        ("Storage", "sam.storage", None),
        ("Sponsor", "spo.sponsor", None),
    ]
    assert alignment.teams_without_lead == ["Payments"]
    assert alignment.round.reason == "First version published"
    (message,) = mail.outbox
    assert sorted(message.to) == ["nia@example.com", "sam@example.com", "sponsor@example.com"]
    assert (
        "Provisioning v2" in message.subject and "/programs/provisioning-v2/plan/" in message.body
    )


def test_a_change_to_a_material_section_asks_again_and_other_changes_do_not(world):
    publish(world, 0)
    first_round = latest_round(world["plan"])
    v2 = publish(world, 1, text(communication="Weekly update, and a monthly demo."), note="Demo")
    assert v2.material_changes == [] and latest_round(world["plan"]) == first_round
    scope = text(communication="Weekly update, and a monthly demo.")
    scope["scope"] = dict(scope["scope"], network="Network: VLANs and the edge PoPs.")
    v3 = publish(world, 2, scope, note="Edge PoPs")
    assert v3.material_changes == ["Scope per team"]
    again = latest_round(world["plan"])
    assert again != first_round and again.version == v3
    assert again.reason == "v3 changed scope per team"
    assert again.acknowledgements.count() == 3


def test_publishing_refuses_a_stale_base_missing_notes_no_change_and_unknown_sections(world):
    publish(world, 0)
    with pytest.raises(StaleWriteError):  # somebody published v1 while this editor had v0
        publish(world, 0)
    with pytest.raises(DomainError) as no_note:
        publish(world, 1, text(problem="Slower."))
    assert "change_note" in no_note.value.message_dict
    with pytest.raises(DomainError) as same:
        publish(world, 1, text(), note="Nothing")
    assert "Nothing changed since version 1" in str(same.value)
    with pytest.raises(DomainError) as unknown:
        publish(world, 1, text(budget="Lots"), note="x")
    assert "sections.budget" in unknown.value.message_dict
    with pytest.raises(DomainError) as stranger:
        publish(world, 1, text(scope={"payments": "ok", "mars": "?"}), note="x")
    assert "mars" in str(stranger.value)
    assert Plan.objects.get(pk=world["plan"].pk).published == 1


def test_a_critical_milestone_moved_asks_again_a_normal_one_does_not(world, tpm):
    publish(world, 0)
    first_round = latest_round(world["plan"])
    program = world["program"]
    normal = MilestoneFactory(program=program, critical=False)
    critical = MilestoneFactory(
        program=program, critical=True, name="GA", target_date=datetime.date(2027, 3, 1)
    )
    program_services.milestone_move(
        milestone=normal, user=tpm, version=normal.version,
        target_date=normal.target_date + D(days=7), category="scope", reason="More work",
    )  # fmt: skip
    assert latest_round(world["plan"]) == first_round
    program_services.milestone_move(
        milestone=critical, user=tpm, version=critical.version,
        target_date=datetime.date(2027, 3, 22), category="vendor", reason="Late hardware",
    )  # fmt: skip
    moved = latest_round(world["plan"])
    assert moved != first_round and moved.version.number == 1
    assert moved.reason == "Critical milestone “GA” moved from 1 Mar to 22 Mar 2027"
    assert Plan.objects.get(pk=world["plan"].pk).awaiting == 3


def test_a_critical_move_on_a_plan_never_published_asks_nobody(world, tpm):
    critical = MilestoneFactory(program=world["program"], critical=True)
    program_services.milestone_move(
        milestone=critical, user=tpm, version=critical.version,
        target_date=critical.target_date + D(days=3), category="estimate", reason="Re-estimated",
    )  # fmt: skip
    assert not world["plan"].rounds.exists()


# --- Acknowledging -----------------------------------------------------------------------------


def test_the_asked_acknowledge_their_parties_and_the_wait_ends_with_the_last(world):
    publish(world, 0)
    plan, first = world["plan"], latest_round(world["plan"])
    done = services.plan_acknowledge(plan=plan, user=world["storage_lead"], round_id=first.pk)
    assert [a.party for a in done] == ["Storage"]
    assert Plan.objects.get(pk=plan.pk).awaiting == 2
    with pytest.raises(DomainError, match="already"):
        services.plan_acknowledge(plan=plan, user=world["storage_lead"], round_id=first.pk)
    with pytest.raises(PermissionDenied):
        services.plan_acknowledge(plan=plan, user=world["tpm"], round_id=first.pk)
    services.plan_acknowledge(plan=plan, user=world["network_lead"], round_id=first.pk)
    services.plan_acknowledge(plan=plan, user=world["sponsor"], round_id=first.pk)
    plan.refresh_from_db()
    assert (plan.awaiting, plan.awaiting_since) == (0, None)


def test_an_acknowledgement_of_a_round_gone_by_is_refused_and_the_last_agreed_version_shows(world):
    publish(world, 0)
    plan, first = world["plan"], latest_round(world["plan"])
    services.plan_acknowledge(plan=plan, user=world["storage_lead"], round_id=first.pk)
    scope = text()
    scope["scope"] = dict(
        scope["scope"], storage="Storage builds the image pipeline and the cache."
    )
    publish(world, 1, scope, note="Cache")
    with pytest.raises(StaleWriteError):  # the lead read v1; v2 changed their scope
        services.plan_acknowledge(plan=plan, user=world["network_lead"], round_id=first.pk)
    parties = {p.party: p for p in selectors.alignment(plan).parties}
    assert parties["Storage"].acknowledged_at is None and parties["Storage"].last_agreed == 1
    assert parties["Network"].last_agreed is None


def test_the_plans_waiting_longest_and_the_asks_of_a_lead(world):
    now = datetime.datetime(2026, 11, 30, 10, tzinfo=datetime.UTC)
    publish(world, 0, now=now - D(days=20))
    other = ProgramFactory(tpm=world["tpm"], sponsor=world["sponsor"])
    other_plan = services.plan_start(program=other, template=infrastructure(), user=world["tpm"])
    services.plan_publish(
        plan=other_plan,
        user=world["tpm"],
        based_on=0,
        sections={"problem": "x"},
        now=now - D(days=2),
    )
    waiting = selectors.plans_awaiting(
        programs=[world["program"].pk, other.pk], older_than=D(days=14), now=now
    )
    assert waiting == [world["plan"]]
    [asks] = selectors.waiting_for(plans=waiting).values()
    assert [a.party for a in asks] == ["Network", "Storage", "Sponsor"]
    assert [
        a.round.plan.program for a in selectors.acknowledgements_asked_of(user=world["sponsor"])
    ] == [world["program"], other]


def test_publishes_and_acknowledgements_are_in_the_program_history(world):
    publish(world, 0)
    services.plan_acknowledge(
        plan=world["plan"], user=world["sponsor"], round_id=latest_round(world["plan"]).pk
    )
    entries = program_activity(program=world["program"])
    sponsor, tpm = world["sponsor"].get_full_name(), world["tpm"].get_full_name()
    assert [(e.kind, e.subject, e.changes, e.who) for e in entries[:3]] == [
        ("plan acknowledgement", "Sponsor", ["Acknowledged v1 for Sponsor"], sponsor),
        ("plan", "v1", ["Published v1"], tpm),
        ("plan", "started", ["Plan started from Infrastructure program v1"], tpm),
    ]


# --- Pages -------------------------------------------------------------------------------------


def test_a_program_without_a_plan_offers_its_editors_a_template(client, world, outsider):
    program = ProgramFactory(slug="no-plan", tpm=world["tpm"])
    client_for(client, world["tpm"])
    page = client.get("/programs/no-plan/plan/").content.decode()
    assert "This program has no plan yet" in page and "Infrastructure program" in page
    assert "Migration or deprecation" in page
    template = infrastructure()
    response = client.post("/programs/no-plan/plan/start/", {"template": template.pk})
    assert response.status_code == 302 and response.url == "/programs/no-plan/plan/edit/"
    assert Plan.objects.filter(program=program).exists()
    client_for(client, outsider)
    assert (
        client.post("/programs/no-plan/plan/start/", {"template": template.pk}).status_code == 403
    )


def test_write_and_publish_from_the_page_then_read_it(client, world):
    client_for(client, world["tpm"])
    form = client.get("/programs/provisioning-v2/plan/edit/")
    assert form.status_code == 200 and "Scope per team: Storage" in form.content.decode()
    data = {
        "based_on": 0, "section__problem": "Provisioning takes **three weeks**.",
        "section__scope__storage": "Images.", "section__scope__network": "VLANs.",
        "change_note": "",
    }  # fmt: skip
    response = client.post("/programs/provisioning-v2/plan/edit/", data)
    assert response.status_code == 302
    page = client.get("/programs/provisioning-v2/plan/").content.decode()
    assert "Version 1, published" in page and "<strong>three weeks</strong>" in page
    assert "0 of 3</strong> acknowledged" in page and "No lead to ask in Payments" in page


def test_a_stale_publish_from_the_page_keeps_the_text_and_says_what_to_do(client, world):
    publish(world, 0)  # somebody else published while this TPM edited
    client_for(client, world["tpm"])
    data = {"based_on": 0, "section__problem": "My careful rewrite.", "change_note": "Rewrite"}
    response = client.post("/programs/provisioning-v2/plan/edit/", data)
    assert response.status_code == 409
    page = response.content.decode()
    assert "My careful rewrite." in page and "see what they changed" in page
    assert Plan.objects.get(pk=world["plan"].pk).published == 1


def test_markup_in_a_plan_is_sanitised(client, world):
    publish(world, 0, text(problem='<script>alert(1)</script><img src=x onerror="alert(2)">Hi'))
    client_for(client, world["tpm"])
    page = client.get("/programs/provisioning-v2/plan/").content.decode()
    assert "<script>alert(1)" not in page and "onerror" not in page and "Hi" in page


def test_acknowledging_from_the_page(client, world):
    publish(world, 0)
    client_for(client, world["network_lead"])
    page = client.get("/programs/provisioning-v2/plan/").content.decode()
    assert "Acknowledge v1" in page and "You are asked for <strong>Network</strong>" in page
    round_id = latest_round(world["plan"]).pk
    response = client.post("/programs/provisioning-v2/plan/acknowledge/", {"round": round_id})
    assert response.status_code == 302
    page = client.get("/programs/provisioning-v2/plan/").content.decode()
    assert "Acknowledged for Network." in page and "1 of 3</strong> acknowledged" in page
    assert "Acknowledge v1" not in page
    client_for(client, world["tpm"])  # not asked: the page says so, nothing changes
    client.post("/programs/provisioning-v2/plan/acknowledge/", {"round": round_id})
    assert Plan.objects.get(pk=world["plan"].pk).awaiting == 2


def test_versions_compare_and_export(client, world):
    publish(world, 0)
    publish(world, 1, text(goals="Provision in an hour."), note="Faster")
    client_for(client, world["tpm"])
    old = client.get("/programs/provisioning-v2/plan/v/1/").content.decode()
    assert "This is version 1" in old and "Provision in a day." in old
    diff = client.get("/programs/provisioning-v2/plan/compare/?from=1&to=2").content.decode()
    assert "What changed from v1 to v2" in diff and "Provision in an hour." in diff
    assert "Faster" in diff and "Unchanged: Problem" in diff
    assert client.get("/programs/provisioning-v2/plan/compare/?from=1&to=9").status_code == 400
    assert client.get("/programs/provisioning-v2/plan/v/9/").status_code == 404
    markdown = client.get("/programs/provisioning-v2/plan.md")
    assert markdown["Content-Type"] == "text/markdown; charset=utf-8"
    assert 'filename="provisioning-v2-plan-v2.md"' in markdown["Content-Disposition"]
    body = markdown.content.decode()
    assert body.startswith("# Plan: Provisioning v2\n") and "## Scope per team" in body
    assert "### Storage\n\nStorage builds the image pipeline." in body
    assert "| Milestone | Team | Baseline | Target | State | Critical |" not in body  # no milestone
    assert "_No milestones yet" in body


def test_a_confidential_programs_plan_is_hidden_from_outsiders(
    client, confidential_program, tpm, outsider
):
    plan = services.plan_start(program=confidential_program, template=infrastructure(), user=tpm)
    services.plan_publish(plan=plan, user=tpm, based_on=0, sections={"problem": "Secret"})
    client_for(client, outsider)
    for path in ("/plan/", "/plan/v/1/", "/plan/compare/", "/plan/edit/", ".md"):
        assert client.get(f"/programs/project-nightjar{path}").status_code == 404, path


def test_live_dependencies_do_not_name_a_confidential_program(client, world, confidential_program):
    secret = MilestoneFactory(program=confidential_program, name="Nightjar GA")
    mine = MilestoneFactory(program=world["program"], name="Cutover")
    mine.depends_on.add(secret)
    publish(world, 0)
    client_for(client, world["tpm"])  # the TPM of both: sees it
    assert (
        "Nightjar GA (Project Nightjar)"
        in client.get("/programs/provisioning-v2/plan/").content.decode()
    )
    client_for(client, world["storage_lead"])
    page = client.get("/programs/provisioning-v2/plan/").content.decode()
    assert "Nightjar" not in page and "A milestone of a confidential program" in page


def test_the_program_page_shows_the_plan_and_who_is_waiting(client, world):
    publish(world, 0)
    client_for(client, world["tpm"])
    page = client.get("/programs/provisioning-v2/").content.decode()
    assert 'id="plan"' in page and "3 to acknowledge" in page and "Read the plan" in page
    assert 'Storage: <span class="text-red">waiting</span>' in page


def test_plan_pages_run_a_fixed_number_of_queries(client, world, same_queries_at_two_sizes):
    first = MilestoneFactory(program=world["program"])
    first.depends_on.add(MilestoneFactory(program=ProgramFactory()))
    publish(world, 0)
    publish(world, 1, text(goals="Faster."), note="v2")
    client_for(client, world["tpm"])
    program = world["program"]

    def grow():
        teams = [TeamFactory(lead=UserFactory()) for _ in range(4)]
        program.teams.add(*teams)
        for k in range(12):
            m = MilestoneFactory(program=program, critical=k % 3 == 0)
            m.depends_on.add(MilestoneFactory(program=ProgramFactory(confidential=k % 2 == 0)))
        MembershipFactory(program=program, user=UserFactory())
        for n in range(3, 8):
            publish(world, n - 1, text(goals=f"Faster {n}."), note=f"v{n}")

    same_queries_at_two_sizes(
        client,
        {
            "plan": "/programs/provisioning-v2/plan/",
            "version": "/programs/provisioning-v2/plan/v/1/",
            "compare": "/programs/provisioning-v2/plan/compare/?from=1&to=2",
            "edit": "/programs/provisioning-v2/plan/edit/",
            "markdown": "/programs/provisioning-v2/plan.md",
            "program": "/programs/provisioning-v2/",
        },
        grow=grow,
    )


# --- Health and the ops agenda -------------------------------------------------------------------


def test_a_plan_waiting_longer_than_the_policy_is_a_watch_line_in_health(world):
    from django.utils import timezone

    from metrics.models import HealthSnapshot
    from metrics.services import health_recompute

    today = timezone.localdate()
    publish(world, 0, now=timezone.now() - D(days=20))
    services.plan_acknowledge(
        plan=world["plan"], user=world["sponsor"], round_id=latest_round(world["plan"]).pk
    )
    health_recompute(program_ids=[world["program"].pk], today=today)
    snapshot = HealthSnapshot.objects.get(program=world["program"], day=today)
    [reason] = [r for r in snapshot.reasons if r["code"] == "plan_unacknowledged"]
    assert (reason["severity"], reason["family"]) == ("watch", "dependencies")
    assert reason["figures"] == {"days": 20, "parties": 2}
    assert reason_text(reason) == "The plan has waited 20 days for 2 acknowledgements"
    # Everyone agrees: the line goes.
    for lead in (world["storage_lead"], world["network_lead"]):
        services.plan_acknowledge(
            plan=world["plan"], user=lead, round_id=latest_round(world["plan"]).pk
        )
    health_recompute(program_ids=[world["program"].pk], today=today)
    snapshot = HealthSnapshot.objects.get(program=world["program"], day=today)
    assert not [r for r in snapshot.reasons if r["code"] == "plan_unacknowledged"]


def test_a_fresh_wait_is_no_signal():
    from metrics.health import Policy, plan_signals
    from tests.metrics.test_health import TODAY, program

    waiting = program(plan_awaiting_since=TODAY - D(days=14), plan_awaiting=1)
    assert plan_signals(waiting, TODAY, Policy()) == []
    assert plan_signals(waiting, TODAY, Policy(plan_ack_watch_days=13))[0].code == (
        "plan_unacknowledged"
    )
    agreed = program(plan_awaiting_since=None, plan_awaiting=0)
    assert plan_signals(agreed, TODAY, Policy(plan_ack_watch_days=0)) == []


def test_the_ops_agenda_lists_plans_waiting_too_long_and_on_whom(world, client):
    from django.utils import timezone

    from reviews.ops.agenda import review_agenda
    from tests.factories import OperationalReviewFactory

    publish(world, 0, now=timezone.now() - D(days=20))
    services.plan_acknowledge(
        plan=world["plan"], user=world["sponsor"], round_id=latest_round(world["plan"]).pk
    )
    recent = ProgramFactory(tpm=world["tpm"], sponsor=world["sponsor"])
    fresh = services.plan_start(program=recent, template=infrastructure(), user=world["tpm"])
    services.plan_publish(
        plan=fresh, user=world["tpm"], based_on=0, sections={"problem": "x"},
        now=timezone.now() - D(days=3),
    )  # fmt: skip
    review = OperationalReviewFactory(date=timezone.localdate())
    agenda = review_agenda(review=review, user=world["tpm"])
    [section] = [s for s in agenda["sections"] if s["key"] == "plans_unacknowledged"]
    [item] = section["items"]
    assert item["program"]["slug"] == "provisioning-v2" and item["days"] == 20
    assert [ask["party"] for ask in item["waiting_on"]] == ["Network", "Storage"]
    client_for(client, world["tpm"])
    page = client.get(review.get_absolute_url()).content.decode()
    assert "Plans not yet agreed" in page and "waiting 20 days" in page


def test_the_plan_as_a_pdf_drawn_on_the_server_fetching_nothing(client, world):
    publish(world, 0, text(problem="Old hosts. ![diagram](http://127.0.0.1:9/diagram.png)"))
    client_for(client, world["tpm"])
    response = client.get("/programs/provisioning-v2/plan.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert 'filename="provisioning-v2-plan-v1.pdf"' in response["Content-Disposition"]
    assert client.get("/programs/provisioning-v2/plan.pdf?version=²").status_code == 200
    assert client.get("/programs/provisioning-v2/plan.pdf?version=7").status_code == 404


def test_the_edit_form_carries_the_version_it_starts_from(client, world):
    publish(world, 0)
    client_for(client, world["tpm"])
    page = client.get("/programs/provisioning-v2/plan/edit/").content.decode()
    assert 'name="based_on" value="1"' in page and "Provisioning takes three weeks." in page
