"""Playbook services and selectors: versions, the stale-publish refusal, metadata with its
version check, marking reviewed, who may do what, the version in force and overdue lists."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.errors import StaleWriteError
from programs.playbooks import selectors, services
from programs.playbooks.models import Playbook, PlaybookVersion
from tests.factories import PlaybookFactory, PlaybookVersionFactory, UserFactory

pytestmark = pytest.mark.django_db


def publish(playbook, user, body, note="Clearer.", based_on=None):
    current = Playbook.objects.select_related("current_version").get(pk=playbook.pk)
    return services.playbook_publish(
        playbook=current,
        user=user,
        based_on=current.current_version.number if based_on is None else based_on,
        body=body,
        change_note=note,
    )


def test_create_writes_version_one_in_force_and_records_who(playbook, owner):
    assert playbook.current_version.number == 1
    assert playbook.current_version.author == owner
    assert playbook.current_version.change_note == "First version."
    assert list(playbook.owners.all()) == [owner]
    assert playbook.history.first().history_user == owner


def test_publishing_adds_the_next_number_and_makes_it_current(playbook, owner):
    v2 = publish(playbook, owner, "## Asking\n\nFile it a quarter ahead.", "Lead time.")
    v3 = publish(playbook, owner, "## Asking\n\nFile it two quarters ahead.", "Longer lead.")
    playbook.refresh_from_db()
    assert (v2.number, v3.number) == (2, 3)
    assert playbook.current_version == v3
    assert list(playbook.versions.values_list("number", flat=True)) == [3, 2, 1]
    # The earlier text is kept as it was.
    assert PlaybookVersion.objects.get(playbook=playbook, number=1).body.startswith("## Asking")
    assert playbook.history.first().history_change_reason == "Published v3"


def test_a_publish_based_on_an_older_version_is_refused_and_writes_nothing(playbook, owner):
    colleague = UserFactory(roles=["TPM"])
    playbook.owners.add(colleague)
    publish(playbook, colleague, "Their text.", "Theirs.")
    with pytest.raises(StaleWriteError) as refused:
        publish(playbook, owner, "My text.", "Mine.", based_on=1)
    assert "Version 2 was published since you started from version 1" in str(refused.value)
    assert refused.value.current_version == 2
    assert playbook.versions.count() == 2


def test_after_v1_a_change_note_is_required_and_the_text_must_change(playbook, owner):
    with pytest.raises(ValidationError) as no_note:
        publish(playbook, owner, "New text.", note="  ")
    assert "change_note" in no_note.value.message_dict
    with pytest.raises(ValidationError) as same:
        publish(playbook, owner, playbook.current_version.body, note="Nothing.")
    assert "same as version 1" in same.value.message_dict["body"][0]


def test_only_owners_and_admins_publish_and_edit(playbook, owner):
    stranger = UserFactory(roles=["TPM"])
    admin = UserFactory(roles=["Admin"])
    with pytest.raises(PermissionDenied):
        publish(playbook, stranger, "Not mine.")
    with pytest.raises(PermissionDenied):
        services.playbook_update(playbook=playbook, user=stranger, version=None, title="X")
    assert publish(playbook, admin, "The admin's fix.").number == 2


def test_only_tpms_and_admins_create():
    engineer = UserFactory(roles=["Engineer"])
    with pytest.raises(PermissionDenied):
        services.playbook_create(
            user=engineer, slug="x", title="X", body="Text", owners=[engineer],
            review_by=datetime.date(2027, 1, 1),
        )  # fmt: skip


def test_one_playbook_per_workflow(playbook, owner):
    with pytest.raises(ValidationError) as refused:
        services.playbook_create(
            user=owner, slug="other", title="Other", body="Text", owners=[owner],
            review_by=datetime.date(2027, 1, 1), governs="capacity",
        )  # fmt: skip
    assert "already governs" in str(refused.value)
    with pytest.raises(IntegrityError), transaction.atomic():
        PlaybookFactory(governs="capacity")


def test_metadata_update_checks_the_version_and_records_history(playbook, owner):
    other = UserFactory(roles=["Engineer"])
    updated = services.playbook_update(
        playbook=playbook, user=owner, version=playbook.version, title="Capacity requests",
        owners=[owner, other],
    )  # fmt: skip
    assert updated.title == "Capacity requests"
    assert set(updated.owners.all()) == {owner, other}
    assert updated.version == playbook.version + 1
    with pytest.raises(StaleWriteError):
        services.playbook_update(
            playbook=playbook, user=owner, version=playbook.version, summary="Stale."
        )
    with pytest.raises(ValidationError):
        services.playbook_update(playbook=updated, user=owner, version=None, owners=[])
    assert updated.history.count() == 2


def test_mark_reviewed_moves_the_review_by_date_forward(playbook, owner):
    today = datetime.date(2027, 4, 1)  # a month overdue
    reviewed = services.playbook_mark_reviewed(
        playbook=playbook, user=owner, version=playbook.version, today=today
    )
    assert reviewed.review_by == today + services.REVIEW_INTERVAL
    # Early: from the date it was due, not from today.
    again = services.playbook_mark_reviewed(
        playbook=reviewed, user=owner, version=reviewed.version, today=today
    )
    assert again.review_by == reviewed.review_by + services.REVIEW_INTERVAL


def test_the_version_in_force_is_the_latest_published_at_or_before_the_moment(playbook, owner):
    before_v2 = timezone.now()
    v2 = publish(playbook, owner, "Second text.")

    def link(at=None):
        """Its link by id (as a checklist item's), from a workflow it does not govern."""
        _, links = selectors.workflow_links("ops_review", playbook_ids=[playbook.pk], at=at)
        return links[playbook.pk]

    assert link(before_v2).number == 1 and not link(before_v2).is_current
    assert link(v2.published_at).number == 2
    assert link().is_current
    # A record older than the playbook links its first version.
    long_ago = timezone.now() - datetime.timedelta(days=999)
    assert link(long_ago).number == 1


def test_the_governing_link_names_the_playbook_and_version(playbook, owner):
    moment = timezone.now()
    publish(playbook, owner, "Second text.")
    link = selectors.governing_link("capacity", at=moment)
    assert (link.title, link.number, link.current_number) == ("Capacity process", 1, 2)
    assert link.url == "/playbooks/capacity-process/v/1/"
    assert selectors.governing_link("capacity").number == 2
    assert selectors.governing_link("ops_review") is None


def test_overdue_playbooks_of_an_owner(owner):
    today = datetime.date(2027, 2, 1)
    late = PlaybookFactory(title="Late", owners=[owner], review_by=datetime.date(2027, 1, 1))
    later = PlaybookFactory(title="Later", owners=[owner], review_by=datetime.date(2026, 6, 1))
    PlaybookFactory(title="Fine", owners=[owner], review_by=datetime.date(2027, 6, 1))
    PlaybookFactory(title="Not mine", review_by=datetime.date(2026, 1, 1))
    assert list(selectors.overdue_playbooks(owner=owner, today=today)) == [later, late]


def test_factories_make_a_playbook_with_a_current_first_version():
    playbook = PlaybookFactory()
    second = PlaybookVersionFactory(playbook=playbook)
    assert playbook.current_version.number == 1 and second.number == 2
