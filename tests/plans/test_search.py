"""Search across plans and playbooks: full text on PostgreSQL, the simple fallback, and
confidentiality."""

import pytest

from programs import search as search_module
from programs.plans import services
from programs.search import search
from tests.conftest import client_for
from tests.factories import PlaybookFactory, PlaybookVersionFactory, ProgramFactory
from tests.plans.test_plans import infrastructure


def plan_for(program, tpm, **sections):
    plan = services.plan_start(program=program, template=infrastructure(), user=tpm)
    services.plan_publish(plan=plan, user=tpm, based_on=0, sections=sections)
    return plan


@pytest.fixture
def documents(tpm, confidential_program):
    edge = ProgramFactory(name="Edge refresh", slug="edge-refresh", tpm=tpm)
    plan = plan_for(edge, tpm, problem="The routers at the edge PoPs are out of support.",
                    rollout="Drain each PoP, swap the routers, undrain. <script>x</script>")  # fmt: skip
    services.plan_publish(
        plan=plan, user=tpm, based_on=1, change_note="Rollback",
        sections={"problem": "The routers at the edge PoPs are out of support.",
                  "rollout": "Drain each PoP, swap the routers; roll back by undraining."},
    )  # fmt: skip
    plan_for(confidential_program, tpm, problem="Nightjar replaces the routers in secret.")
    playbook = PlaybookFactory(slug="capacity", title="Capacity process", summary="How to ask.")
    PlaybookVersionFactory(
        playbook=playbook, body="Requests over budget go to the capacity council."
    )
    playbook.current_version = playbook.versions.order_by("-number").first()
    playbook.save()
    return {"edge": edge}


def test_full_text_finds_plans_and_playbooks_ranked_with_marked_snippets(documents, tpm):
    results = search(user=tpm, query="routers")
    assert results.full_text
    assert [hit.title for hit in results.plans] == [
        "Plan of Edge refresh",
        "Plan of Project Nightjar",
    ]
    assert "<mark>routers</mark>" in results.plans[0].snippet
    assert results.plans[0].detail.startswith("v2 · ")  # the latest version only
    assert search(user=tpm, query="script").plans == []  # only v1 said it
    council = search(user=tpm, query="council")
    assert [hit.title for hit in council.playbooks] == ["Capacity process"]
    assert council.playbooks[0].url == "/playbooks/capacity/"
    # Stemming, phrases and exclusion, as a web search.
    assert search(user=tpm, query="router").plans  # routers
    assert [h.title for h in search(user=tpm, query="routers -nightjar").plans] == [
        "Plan of Edge refresh"
    ]
    assert search(user=tpm, query='"capacity council"').playbooks
    assert search(user=tpm, query="edge refresh").plans[0].title == "Plan of Edge refresh"


def test_confidential_plans_are_not_found_by_outsiders(documents, outsider):
    assert [hit.title for hit in search(user=outsider, query="routers").plans] == [
        "Plan of Edge refresh"
    ]


def test_the_fallback_matches_every_word_and_escapes(documents, tpm):
    results = search_module._simple(tpm, "drain ROUTERS")
    assert [hit.title for hit in results.plans] == ["Plan of Edge refresh"]
    assert "<mark>ROUTERS</mark>" not in results.plans[0].snippet
    assert "<mark>routers</mark>" in results.plans[0].snippet
    assert not search_module._simple(tpm, "routers zebra").plans
    script = search_module._simple(tpm, "script")  # v1 only: not the latest version
    assert not script.plans
    snippet = search_module._snippet("<b>bold</b> routers", ["routers"])
    assert snippet == "&lt;b&gt;bold&lt;/b&gt; <mark>routers</mark>"


def test_the_page_escapes_what_it_shows(documents, client, tpm):
    plan_for(
        ProgramFactory(slug="xss", tpm=tpm), tpm, problem="<img src=x onerror=alert(1)> routers"
    )
    client_for(client, tpm)
    page = client.get("/search/", {"q": "routers"}).content.decode()
    assert "results for “routers”" in page and "Plan of Edge refresh" in page
    assert "<img src=x" not in page  # the snippet is escaped (or the tag left out)
    empty = client.get("/search/").content.decode()
    assert "What are you looking for?" in empty
    none = client.get("/search/", {"q": "zebra"}).content.decode()
    assert "No plan mentions it." in none and "No playbook mentions it." in none


def test_search_runs_a_fixed_number_of_queries(documents, client, tpm, same_queries_at_two_sizes):
    client_for(client, tpm)

    def grow():
        for n in range(6):
            plan_for(ProgramFactory(name=f"Router swap {n}", tpm=tpm), tpm, problem="routers " * 5)
            playbook = PlaybookFactory(title=f"Router process {n}")
            PlaybookVersionFactory(playbook=playbook, body="routers")

    same_queries_at_two_sizes(client, {"search": "/search/?q=routers"}, grow=grow)
