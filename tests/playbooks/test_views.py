"""The playbook pages: list with filters and empty state, a playbook, any version, the diff,
the create / publish / edit forms with their refusals, marking reviewed, and who may do what."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from programs.playbooks import services
from programs.playbooks.models import Playbook
from tests.conftest import client_for
from tests.factories import PlaybookFactory, UserFactory

pytestmark = pytest.mark.django_db


def publish(playbook, user, body, note="Clearer."):
    fresh = Playbook.objects.select_related("current_version").get(pk=playbook.pk)
    return services.playbook_publish(
        playbook=fresh, user=user, based_on=fresh.current_version.number, body=body,
        change_note=note,
    )  # fmt: skip


def test_everyone_signed_in_reads_the_list_and_a_playbook(client, playbook, engineer):
    client_for(client, engineer)
    listing = client.get(reverse("playbooks:list")).content.decode()
    assert "Capacity process" in listing and "Capacity requests" in listing
    assert "New playbook" not in listing  # engineers do not create
    page = client.get(playbook.get_absolute_url()).content.decode()
    assert '<h2 id="asking">Asking</h2>' in page  # rendered, with anchors
    owner = playbook.owners.get()
    assert f"<dt>Owners</dt><dd>{escape(owner.get_full_name())}</dd>" in page
    assert "Publish a new version" not in page


def test_the_list_filters_by_workflow_search_and_mine_overdue(client, owner):
    today = timezone.localdate()
    PlaybookFactory(title="Late one", owners=[owner], review_by=today - datetime.timedelta(days=3))
    PlaybookFactory(title="Fine one", owners=[owner], review_by=today + datetime.timedelta(days=30))
    PlaybookFactory(title="Late, not mine", review_by=today - datetime.timedelta(days=3))
    PlaybookFactory(title="Ops", governs="ops_review", review_by=today + datetime.timedelta(days=9))
    client_for(client, owner)
    url = reverse("playbooks:list")

    def titles(**params) -> list[str]:
        html = client.get(url, params).content.decode()
        return re.findall(r'class="strong-link" href="[^"]+">([^<]+)</a>', html)

    assert titles(mine="overdue") == ["Late one"]
    assert titles(mine="mine") == ["Fine one", "Late one"]
    assert titles(governs="ops_review") == ["Ops"]
    assert titles(q="fine") == ["Fine one"]
    assert "Overdue</span>" in client.get(url).content.decode()
    empty = client.get(url, {"q": "nothing like it"}).content.decode()
    assert "No playbooks match" in empty


def test_the_empty_list_invites_a_tpm_to_write_the_first(client, tpm):
    html = client_for(client, tpm).get(reverse("playbooks:list")).content.decode()
    assert "No playbooks yet" in html and "Write a playbook" in html


def test_a_playbook_page_shows_history_and_an_overdue_badge(client, playbook, owner):
    publish(playbook, owner, "## Asking\n\nFile it a quarter ahead.", "Lead time raised.")
    Playbook.objects.filter(pk=playbook.pk).update(review_by=datetime.date(2020, 1, 1))
    html = client_for(client, owner).get(playbook.get_absolute_url()).content.decode()
    assert "Lead time raised." in html and "First version." in html
    assert "File it a quarter ahead." in html  # the current text
    assert 'badge badge-red">Overdue' in html
    assert "Publish a new version" in html and "Mark reviewed" in html


def test_an_old_version_says_it_is_not_current(client, playbook, owner, engineer):
    publish(playbook, owner, "## Asking\n\nNew text.")
    client_for(client, engineer)
    old = client.get(reverse("playbooks:version", args=[playbook.slug, 1])).content.decode()
    assert "This is version 1, not the current one." in old
    assert "File a request with the numbers." in old
    new = client.get(reverse("playbooks:version", args=[playbook.slug, 2])).content.decode()
    assert "not the current one" not in new
    assert client.get(reverse("playbooks:version", args=[playbook.slug, 9])).status_code == 404


def test_the_diff_compares_any_two_versions(client, playbook, owner, engineer):
    publish(playbook, owner, "## Asking\n\nFile a request a quarter ahead.")
    publish(playbook, owner, "## Asking\n\nFile a request two quarters ahead.")
    client_for(client, engineer)
    url = reverse("playbooks:diff", args=[playbook.slug])
    default = client.get(url).content.decode()
    assert "From version 2 to version 3." in default
    picked = client.get(url, {"from": 1, "to": 3}).content.decode()
    assert "From version 1 to version 3." in picked
    assert 'class="diff-changed"' in picked or 'class="diff-added"' in picked
    assert "two quarters ahead" in picked and "File a request with the numbers." in picked


def test_create_form_publishes_version_one(client, tpm):
    client_for(client, tpm)
    response = client.post(
        reverse("playbooks:create"),
        {
            "title": "Incident handoff", "slug": "incident-handoff", "summary": "",
            "governs": "incident_handoff", "owners": [tpm.pk], "review_by": "2027-05-01",
            "body": "## When\n\nAfter the postmortem.",
        },
    )  # fmt: skip
    assert response.status_code == 302
    playbook = Playbook.objects.get(slug="incident-handoff")
    assert playbook.current_version.number == 1
    refused = client.post(reverse("playbooks:create"), {"title": "", "slug": "incident-handoff"})
    html = refused.content.decode()
    assert "Another playbook has this address." in html and "This field is required." in html


def test_engineers_may_not_create_and_strangers_may_not_publish(client, playbook, engineer):
    client_for(client, engineer)
    assert client.get(reverse("playbooks:create")).status_code == 403
    assert client.get(reverse("playbooks:publish", args=[playbook.slug])).status_code == 403
    assert client.get(reverse("playbooks:edit", args=[playbook.slug])).status_code == 403
    assert client.post(reverse("playbooks:reviewed", args=[playbook.slug])).status_code == 403


def test_publish_needs_a_change_note_and_keeps_the_text(client, playbook, owner):
    client_for(client, owner)
    url = reverse("playbooks:publish", args=[playbook.slug])
    form = client.get(url).content.decode()
    assert "File a request with the numbers." in form  # starts from the current text
    response = client.post(url, {"based_on": 1, "body": "My new text", "change_note": ""})
    html = response.content.decode()
    assert "This field is required." in html and "My new text" in html
    done = client.post(url, {"based_on": 1, "body": "My new text", "change_note": "Shorter."})
    assert done.status_code == 302 and done["Location"].endswith("/v/2/")


def test_a_stale_publish_is_refused_on_the_page_keeping_the_text(client, playbook, owner):
    colleague = UserFactory(roles=["TPM"])
    playbook.owners.add(colleague)
    publish(playbook, colleague, "## Asking\n\nThe colleague's text.", "Theirs.")
    client_for(client, owner)
    url = reverse("playbooks:publish", args=[playbook.slug])
    response = client.post(url, {"based_on": 1, "body": "My careful text", "change_note": "Mine."})
    assert response.status_code == 409
    html = response.content.decode()
    assert "Version 2 was published since you started from version 1" in html
    assert "My careful text" in html  # nothing typed is lost
    assert "The colleague&#x27;s text." in html  # shown beside it
    assert 'name="based_on" value="2"' in html
    assert playbook.versions.count() == 2
    # Having seen it, publishing again follows version 2.
    again = client.post(url, {"based_on": 2, "body": "My careful text", "change_note": "Mine."})
    assert again.status_code == 302 and playbook.versions.count() == 3


def test_edit_details_with_a_stale_version_is_refused(client, playbook, owner):
    client_for(client, owner)
    url = reverse("playbooks:edit", args=[playbook.slug])
    data = {
        "version": playbook.version, "title": "Capacity requests", "summary": "",
        "governs": "capacity", "owners": [owner.pk], "review_by": "2027-06-01",
    }  # fmt: skip
    assert client.post(url, data).status_code == 302
    stale = client.post(url, {**data, "title": "Again"})
    assert "changed by someone else" in stale.content.decode()
    assert Playbook.objects.get(pk=playbook.pk).title == "Capacity requests"


def test_mark_reviewed_moves_the_date(client, playbook, owner):
    client_for(client, owner)
    response = client.post(
        reverse("playbooks:reviewed", args=[playbook.slug]), {"version": playbook.version}
    )
    assert response.status_code == 302
    assert Playbook.objects.get(pk=playbook.pk).review_by > playbook.review_by


def test_the_navigation_offers_playbooks(client, engineer):
    html = client_for(client, engineer).get(reverse("playbooks:list")).content.decode()
    assert re.search(r'<a [^>]*href="/playbooks/"[^>]*>Playbooks</a>', html)
