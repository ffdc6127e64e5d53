"""Playbooks in Django admin (details edited, versions read-only) and the demo's playbooks."""

import datetime

import pytest
from django.utils import timezone

from programs.playbooks.demo import PLAYBOOKS, publish_latest_launch_process, seed_playbooks
from programs.playbooks.models import Playbook
from reviews.launch.guidance_demo import link_demo_checklists
from reviews.models import ChecklistAreaGuidance, ChecklistItem, ChecklistTemplate
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_admin_edits_details_and_only_reads_versions(client, admin_user, playbook):
    client.force_login(admin_user)
    assert client.get("/admin/playbooks/playbook/").status_code == 200
    change = client.get(f"/admin/playbooks/playbook/{playbook.pk}/change/")
    assert change.status_code == 200 and "First version." in change.content.decode()
    version = playbook.current_version
    page = client.get(f"/admin/playbooks/playbookversion/{version.pk}/change/")
    assert page.status_code == 200 and 'name="body"' not in page.content.decode()
    assert client.get("/admin/playbooks/playbookversion/add/").status_code == 403
    assert client.get("/admin/playbooks/playbook/add/").status_code == 403


def test_the_demo_seeds_six_playbooks_one_overdue_and_links_the_checklists():
    for name in ("tpm", "reviewer", "admin", "leader"):
        UserFactory(username=name)
    lines: list[str] = []
    seed_playbooks(write=lines.append, today=timezone.localdate())
    seed_playbooks(write=lines.append)  # again: nothing new
    assert Playbook.objects.count() == len(PLAYBOOKS) == 6
    assert lines == ["Seeded 6 playbooks with their versions."]
    for playbook in Playbook.objects.select_related("current_version"):
        assert 2 <= playbook.versions.count() <= 3
        assert playbook.current_version.number == playbook.versions.count()
        assert playbook.owners.exists()
    overdue = Playbook.objects.filter(review_by__lt=timezone.localdate())
    assert [p.slug for p in overdue] == ["operational-review"]
    assert overdue.get().owners.filter(username="tpm").exists()

    link_demo_checklists(write=lines.append)
    active = ChecklistTemplate.objects.filter(active=True)
    assert active.exists()
    assert not ChecklistItem.objects.filter(template__in=active, playbook__isnull=True).exists()
    assert ChecklistAreaGuidance.objects.filter(template__in=active, area="rollback").exists()
    capacity_item = ChecklistItem.objects.filter(template__in=active, area="capacity").first()
    assert capacity_item.playbook.slug == "capacity-process"

    before = timezone.now() - datetime.timedelta(seconds=1)
    publish_latest_launch_process(write=lines.append)
    launch = Playbook.objects.select_related("current_version").get(slug="launch-review-process")
    assert launch.current_version.number == 3 and launch.current_version.published_at > before
