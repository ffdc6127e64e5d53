"""Workflows link the playbook that guides them, in the version in force when the record was
made: a launch review (its process, each item and each area), a capacity request, an
operational review; forms for a new record link the current version."""

import datetime

import pytest
from django.urls import reverse

from programs.playbooks import services as playbook_services
from programs.playbooks.models import Playbook
from reviews.launch import services as review_services
from reviews.models import ChecklistTemplate
from tests.conftest import client_for
from tests.factories import (
    CapacityRequestFactory,
    ChecklistAreaGuidanceFactory,
    ChecklistItemFactory,
    ChecklistTemplateFactory,
    MembershipFactory,
    OperationalReviewFactory,
    TeamFactory,
)

pytestmark = pytest.mark.django_db

BODY = "## Rollback\n\nPractise it.\n\n## Security\n\nThreat model first."


def publish(playbook, user, body):
    fresh = Playbook.objects.select_related("current_version").get(pk=playbook.pk)
    return playbook_services.playbook_publish(
        playbook=fresh, user=user, based_on=fresh.current_version.number, body=body,
        change_note="Update.",
    )  # fmt: skip


@pytest.fixture
def launch_playbook(owner):
    return playbook_services.playbook_create(
        user=owner, slug="launch-review-process", title="Launch review process", body=BODY,
        owners=[owner], review_by=datetime.date(2027, 6, 1), governs="launch_review",
    )  # fmt: skip


@pytest.fixture
def checklist(launch_playbook):
    ChecklistTemplate.objects.filter(tier=3, active=True).update(active=False)
    template = ChecklistTemplateFactory(name="Linked checklist", tier=3, active=True)
    ChecklistItemFactory(
        template=template, area="rollback", question="Rollback practised?", order=1,
        playbook=launch_playbook, playbook_anchor="rollback",
    )  # fmt: skip
    ChecklistItemFactory(template=template, area="security", question="Threat model?", order=2)
    ChecklistAreaGuidanceFactory(
        template=template, area="security", playbook=launch_playbook, playbook_anchor="security"
    )
    return template


def test_a_launch_review_made_before_v2_keeps_linking_v1(
    client, program, tpm, owner, launch_playbook, checklist
):
    review = review_services.launch_review_create(
        program=program, user=tpm, title="GA", launch_date=datetime.date(2026, 11, 2), tier=3
    )
    publish(launch_playbook, owner, BODY + "\n\n## Sign-off\n\nNew.")
    later = review_services.launch_review_create(
        program=program, user=tpm, title="GA 2", launch_date=datetime.date(2026, 12, 2), tier=3
    )
    client_for(client, tpm)
    html = client.get(review.get_absolute_url()).content.decode()
    assert 'href="/playbooks/launch-review-process/v/1/"' in html  # the process
    assert 'href="/playbooks/launch-review-process/v/1/#rollback"' in html  # the item
    assert 'href="/playbooks/launch-review-process/v/1/#security"' in html  # the area
    assert "Launch review process · v1" in html
    assert "the current one is v2" in html
    newer = client.get(later.get_absolute_url()).content.decode()
    assert 'href="/playbooks/launch-review-process/v/2/#rollback"' in newer
    assert "/v/1/" not in newer


def test_a_new_template_version_keeps_the_links(checklist, launch_playbook):
    copy = review_services.checklist_template_new_version(template=checklist)
    assert copy.items.get(question="Rollback practised?").playbook == launch_playbook
    assert copy.area_guidance.get(area="security").playbook_anchor == "security"


def test_capacity_form_links_the_current_version_and_a_request_its_own(client, owner):
    capacity = playbook_services.playbook_create(
        user=owner, slug="capacity-process", title="Capacity process", body="## Ask\n\nEarly.",
        owners=[owner], review_by=datetime.date(2027, 6, 1), governs="capacity",
    )  # fmt: skip
    team = TeamFactory()
    team.members.add(owner)
    request = CapacityRequestFactory(team=team, requester=owner)
    publish(capacity, owner, "## Ask\n\nA quarter ahead.")
    client_for(client, owner)
    form = client.get(reverse("reviews:capacity-create")).content.decode()
    assert 'href="/playbooks/capacity-process/v/2/"' in form
    page = client.get(request.get_absolute_url()).content.decode()
    assert 'href="/playbooks/capacity-process/v/1/"' in page
    assert "Capacity process · v1" in page


def test_status_update_form_and_ops_review_link_their_playbooks(client, owner, program, tpm):
    playbook_services.playbook_create(
        user=owner, slug="status-updates", title="Status update guidance",
        body="## Summary\n\nOne sentence.", owners=[owner],
        review_by=datetime.date(2027, 6, 1), governs="status_update",
    )  # fmt: skip
    ops = playbook_services.playbook_create(
        user=owner, slug="ops-review", title="Operational review", body="## Agenda\n\nRed first.",
        owners=[owner], review_by=datetime.date(2027, 6, 1), governs="ops_review",
    )  # fmt: skip
    MembershipFactory(program=program, user=tpm, role="tpm")
    review = OperationalReviewFactory()
    publish(ops, owner, "## Agenda\n\nRed and watermelons first.")
    client_for(client, tpm)
    form = client.get(reverse("programs:update-create", args=[program.slug])).content.decode()
    assert "Status update guidance · v1" in form
    page = client.get(review.get_absolute_url()).content.decode()
    assert 'href="/playbooks/ops-review/v/1/"' in page


def test_pages_without_a_governing_playbook_show_no_link(client, program, tpm):
    html = (
        client_for(client, tpm)
        .get(reverse("programs:update-create", args=[program.slug]))
        .content.decode()
    )
    assert "playbook-link" not in html
