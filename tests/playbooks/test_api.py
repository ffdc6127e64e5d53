"""The playbooks API: reads for everyone signed in, writes by the same rules as the pages, the
same concurrency (412 for a stale If-Match, 409 for a stale body version or a stale publish,
428 without either), validation (400), 403 and 404, filters and pagination."""

import datetime

import pytest
from rest_framework.test import APIClient

from programs.playbooks.models import Playbook
from tests.factories import PlaybookFactory, UserFactory

pytestmark = pytest.mark.django_db

LIST = "/api/v1/playbooks/"


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def versions_url(playbook) -> str:
    return f"{LIST}{playbook.slug}/versions/"


def test_everyone_signed_in_reads_playbooks_and_versions(playbook, engineer):
    client = api(engineer)
    listing = client.get(LIST).json()
    assert listing["count"] == 1
    row = listing["results"][0]
    assert row["slug"] == "capacity-process" and row["owners"] == ["olga.owner"]
    assert row["current_version"]["number"] == 1 and row["governs"] == "capacity"
    detail = client.get(f"{LIST}{playbook.slug}/")
    assert detail["ETag"] == f'"{playbook.version}"'
    version = client.get(f"{versions_url(playbook)}1/").json()
    assert version["body"].startswith("## Asking") and version["author"] == "olga.owner"
    assert client.get(f"{versions_url(playbook)}7/").status_code == 404
    assert client.get(f"{LIST}nope/versions/").status_code == 404
    assert APIClient().get(LIST).status_code == 401


def test_create_publishes_version_one_for_tpms_only(tpm, engineer):
    body = {
        "slug": "handoff", "title": "Incident handoff", "owners": [tpm.username],
        "review_by": "2027-03-01", "body": "## When\n\nAfter the postmortem.",
        "governs": "incident_handoff",
    }  # fmt: skip
    assert api(engineer).post(LIST, body, format="json").status_code == 403
    created = api(tpm).post(LIST, body, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["current_version"]["number"] == 1
    again = api(tpm).post(LIST, {**body, "slug": "handoff-2"}, format="json")
    assert again.status_code == 400 and "governs" in again.json()
    bad = api(tpm).post(LIST, {**body, "slug": "x y", "owners": []}, format="json")
    assert bad.status_code == 400 and {"slug", "owners"} <= set(bad.json())


def test_publish_refuses_a_stale_base_with_409_and_writes_nothing(playbook, owner):
    client = api(owner)
    done = client.post(
        versions_url(playbook), {"based_on": 1, "body": "v2 text", "change_note": "Two."},
        format="json",
    )  # fmt: skip
    assert done.status_code == 201 and done.json()["number"] == 2
    stale = client.post(
        versions_url(playbook), {"based_on": 1, "body": "my text", "change_note": "Mine."},
        format="json",
    )  # fmt: skip
    assert stale.status_code == 409
    assert stale.json()["current_version"] == 2
    assert "Version 2 was published since" in stale.json()["detail"]
    assert playbook.versions.count() == 2
    no_note = client.post(
        versions_url(playbook), {"based_on": 2, "body": "v3", "change_note": " "}, format="json"
    )
    assert no_note.status_code == 400


def test_only_owners_and_admins_publish_and_edit(playbook, engineer):
    client = api(engineer)
    publish = client.post(
        versions_url(playbook), {"based_on": 1, "body": "x", "change_note": "y"}, format="json"
    )
    assert publish.status_code == 403
    patch = client.patch(f"{LIST}{playbook.slug}/", {"title": "Mine"}, format="json",
                         HTTP_IF_MATCH=f'"{playbook.version}"')  # fmt: skip
    assert patch.status_code == 403
    admin = UserFactory(roles=["Admin"])
    published = api(admin).post(
        versions_url(playbook), {"based_on": 1, "body": "x", "change_note": "y"}, format="json"
    )
    assert published.status_code == 201


def test_details_take_if_match_or_a_body_version(playbook, owner):
    client = api(owner)
    url = f"{LIST}{playbook.slug}/"
    assert client.patch(url, {"title": "T"}, format="json").status_code == 428
    ok = client.patch(
        url, {"title": "Capacity"}, format="json", HTTP_IF_MATCH=f'"{playbook.version}"'
    )
    assert ok.status_code == 200 and ok["ETag"] == f'"{playbook.version + 1}"'
    stale_header = client.patch(
        url, {"title": "Again"}, format="json", HTTP_IF_MATCH=f'"{playbook.version}"'
    )
    assert stale_header.status_code == 412
    stale_body = client.patch(url, {"title": "Again", "version": playbook.version}, format="json")
    assert stale_body.status_code == 409
    assert stale_body.json()["current_version"] == playbook.version + 1
    refused = client.patch(
        url, {"body": "new text", "version": playbook.version + 1}, format="json"
    )
    assert refused.status_code == 400 and "body" in refused.json()
    assert Playbook.objects.get(pk=playbook.pk).title == "Capacity"


def test_mark_reviewed_moves_the_date(playbook, owner):
    response = api(owner).post(
        f"{LIST}{playbook.slug}/reviewed/", {"version": playbook.version}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["review_by"] > playbook.review_by.isoformat()


def test_lists_filter_and_paginate(owner):
    late = PlaybookFactory(title="Late", owners=[owner], review_by=datetime.date(2020, 1, 1))
    PlaybookFactory(title="Fine", owners=[owner], review_by=datetime.date(2099, 1, 1))
    PlaybookFactory(title="Ops", governs="ops_review", review_by=datetime.date(2099, 1, 1))
    client = api(owner)

    def slugs(**params):
        return [row["slug"] for row in client.get(LIST, params).json()["results"]]

    assert slugs(owner=owner.username, overdue="true") == [late.slug]
    assert len(slugs(owner=owner.username)) == 2
    assert len(slugs(governs="ops_review")) == 1
    assert slugs(search="Late") == [late.slug]
    page = client.get(LIST, {"page_size": 1}).json()
    assert page["count"] == 3 and len(page["results"]) == 1 and page["next"]
    assert client.get(LIST, {"governs": "nonsense"}).status_code == 400


def test_the_schema_documents_concurrency_and_refusals():
    from drf_spectacular.generators import SchemaGenerator

    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    patch = paths["/api/v1/playbooks/{slug}/"]["patch"]
    assert [p["name"] for p in patch["parameters"] if p["in"] == "header"] == ["If-Match"]
    assert {"400", "403", "404", "409", "412", "428"} <= set(patch["responses"])
    publish = paths["/api/v1/playbooks/{playbook_slug}/versions/"]["post"]
    assert {"201", "400", "403", "404", "409"} <= set(publish["responses"])
    listing = paths["/api/v1/playbooks/"]["get"]
    assert {"governs", "owner", "overdue", "page", "search", "ordering"} <= {
        p["name"] for p in listing["parameters"]
    }
