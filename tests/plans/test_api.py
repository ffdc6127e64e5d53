"""The plans API: read, start, publish (409 when stale), acknowledge, templates; the same
rules as the pages."""

import pytest

from programs.plans import services
from programs.plans.models import Plan
from tests.factories import ProgramFactory, TeamFactory, UserFactory
from tests.plans.test_plans import infrastructure

API = "/api/v1/programs"


@pytest.fixture
def setup(tpm):
    lead = UserFactory(username="lena.lead")
    program = ProgramFactory(slug="edge-refresh", tpm=tpm)
    program.teams.set([TeamFactory(name="Edge", slug="edge", lead=lead)])
    return {"program": program, "lead": lead}


def as_user(api_client, user):
    api_client.force_authenticate(user)
    return api_client


def test_start_publish_read_and_acknowledge(api_client, setup, tpm):
    client = as_user(api_client, tpm)
    assert client.get(f"{API}/edge-refresh/plan/").status_code == 404  # no plan yet
    started = client.post(
        f"{API}/edge-refresh/plan/", {"template": infrastructure().pk}, format="json"
    )
    assert started.status_code == 201 and started.json()["published"] == 0
    body = {"based_on": 0, "sections": {"problem": "Old routers.", "scope": {"edge": "Swap them."}}}
    published = client.post(f"{API}/edge-refresh/plan/versions/", body, format="json")
    assert published.status_code == 201
    assert published.json()["number"] == 1 and published.json()["author"] == tpm.username
    plan = client.get(f"{API}/edge-refresh/plan/").json()
    assert plan["current"]["sections"]["scope"] == {"edge": "Swap them."}
    assert [
        (p["party"], p["asked"], p["acknowledged_at"]) for p in plan["alignment"]["parties"]
    ] == [("Edge", "lena.lead", None)]
    round_id = plan["alignment"]["round"]["id"]
    assert (
        client.post(
            f"{API}/edge-refresh/plan/acknowledgements/", {"round": round_id}, format="json"
        ).status_code
        == 403
    )
    lead = as_user(api_client, setup["lead"])
    done = lead.post(
        f"{API}/edge-refresh/plan/acknowledgements/", {"round": round_id}, format="json"
    )
    assert done.status_code == 200 and done.json()["parties"][0]["acknowledged_at"]
    assert lead.get(f"{API}/edge-refresh/plan/versions/").json()["results"][0]["number"] == 1
    assert (
        lead.get(f"{API}/edge-refresh/plan/versions/1/").json()["sections"]["problem"]
        == "Old routers."
    )
    assert lead.get(f"{API}/edge-refresh/plan/versions/2/").status_code == 404


def test_stale_and_bad_writes_answer_409_400_and_403(api_client, setup, tpm, outsider):
    plan = services.plan_start(program=setup["program"], template=infrastructure(), user=tpm)
    services.plan_publish(plan=plan, user=tpm, based_on=0, sections={"problem": "x"})
    client = as_user(api_client, tpm)
    url = f"{API}/edge-refresh/plan/versions/"
    stale = client.post(url, {"based_on": 0, "sections": {"problem": "y"}}, format="json")
    assert stale.status_code == 409 and stale.json()["current_version"] == 1
    no_note = client.post(url, {"based_on": 1, "sections": {"problem": "y"}}, format="json")
    assert no_note.status_code == 400 and "change_note" in no_note.json()
    unknown = client.post(
        url, {"based_on": 1, "sections": {"nope": "y"}, "change_note": "n"}, format="json"
    )
    assert unknown.status_code == 400 and "sections.nope" in unknown.json()
    extra = client.post(url, {"based_on": 1, "sections": {}, "version": 3}, format="json")
    assert extra.status_code == 400 and "version" in extra.json()
    bad_team = client.post(
        url,
        {"based_on": 1, "sections": {"scope": "not a mapping"}, "change_note": "n"},
        format="json",
    )
    assert bad_team.status_code == 400 and "sections.scope" in bad_team.json()
    again = client.post(
        f"{API}/edge-refresh/plan/", {"template": infrastructure().pk}, format="json"
    )
    assert again.status_code == 400
    stale_round = client.post(
        f"{API}/edge-refresh/plan/acknowledgements/", {"round": 999999}, format="json"
    )
    assert stale_round.status_code == 409
    outsider_client = as_user(api_client, outsider)
    assert (
        outsider_client.post(
            url, {"based_on": 1, "sections": {"problem": "z"}, "change_note": "n"}, format="json"
        ).status_code
        == 403
    )
    assert Plan.objects.get(pk=plan.pk).published == 1


def test_a_confidential_programs_plan_is_404_to_outsiders(
    api_client, confidential_program, tpm, outsider
):
    plan = services.plan_start(program=confidential_program, template=infrastructure(), user=tpm)
    services.plan_publish(plan=plan, user=tpm, based_on=0, sections={"problem": "Secret"})
    client = as_user(api_client, outsider)
    for path in ("plan/", "plan/versions/", "plan/versions/1/", "plan/acknowledgements/"):
        assert client.get(f"{API}/project-nightjar/{path}").status_code == 404, path
    assert (
        client.post(
            f"{API}/project-nightjar/plan/versions/", {"based_on": 1, "sections": {}}, format="json"
        ).status_code
        == 404
    )


def test_templates_and_list_endpoints_take_the_same_queries_at_two_sizes(
    api_client, setup, tpm, same_queries_at_two_sizes
):
    plan = services.plan_start(program=setup["program"], template=infrastructure(), user=tpm)
    services.plan_publish(plan=plan, user=tpm, based_on=0, sections={"problem": "v1"})
    client = as_user(api_client, tpm)
    client.get(f"{API}/edge-refresh/plan/")  # what a process caches on its first request
    templates = client.get("/api/v1/plan-templates/").json()["results"]
    assert [t["name"] for t in templates] == ["Infrastructure program", "Migration or deprecation"]
    assert templates[0]["sections"][3] == {
        "key": "scope", "title": "Scope per team", "guidance": templates[0]["sections"][3]["guidance"],
        "kind": "per_team", "live": "", "material": True,
    }  # fmt: skip

    def grow():
        setup["program"].teams.add(*[TeamFactory(lead=UserFactory()) for _ in range(5)])
        for n in range(2, 9):
            services.plan_publish(
                plan=plan, user=tpm, based_on=n - 1, sections={"problem": f"v{n}"}, change_note="n"
            )

    same_queries_at_two_sizes(
        client,
        {
            "plan": f"{API}/edge-refresh/plan/",
            "versions": f"{API}/edge-refresh/plan/versions/",
            "acknowledgements": f"{API}/edge-refresh/plan/acknowledgements/",
            "templates": "/api/v1/plan-templates/",
        },
        grow=grow,
    )
