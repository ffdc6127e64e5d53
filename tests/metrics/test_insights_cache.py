"""The insights' cache (metrics/insights/cache.py): a read after a committed write shows it, a
repeated read comes from the cache, and readers who see different programs never share an
entry."""

import datetime

import pytest
from django.core.cache import cache as django_cache
from django.utils import timezone

from metrics.insights import cache
from metrics.insights.selectors import Quarter
from programs.services import milestone_move
from tests.conftest import client_for, queries_of
from tests.factories import (
    MilestoneFactory,
    ProgramFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
DELIVERY = "/api/v1/insights/delivery/"


@pytest.fixture
def cached(settings):
    """The cache on, as with a shared (Redis) cache in production, and empty."""
    settings.INSIGHTS_CACHE_SECONDS = 300
    django_cache.clear()
    yield
    django_cache.clear()


def slipped_milestone(program=None, *, team_name="Storage"):
    return MilestoneFactory(
        program=program or ProgramFactory(),
        owner_team=TeamFactory(name=team_name),
        baseline_date=timezone.localdate() + datetime.timedelta(days=30),
    )


def move(milestone, user, days):
    milestone.refresh_from_db()
    milestone_move(
        milestone=milestone, user=user, version=milestone.version,
        target_date=milestone.target_date + datetime.timedelta(days=days),
        category="vendor", reason="The vendor is late",
    )  # fmt: skip


def test_off_with_a_process_local_cache():
    """The tests' cache is local memory: a write in another process could not be seen, so the
    numbers are computed on every read."""
    assert cache.cache_seconds() == 0


def test_a_write_is_seen_by_the_next_read(
    cached, client, leader, django_capture_on_commit_callbacks
):
    milestone = slipped_milestone()
    client_for(client, leader)
    first = client.get(DELIVERY).json()
    assert first["slips"]["slips"] == 0
    again = queries_of(lambda: client.get(DELIVERY))
    assert again < queries_of(lambda: client.get("/api/v1/insights/delivery/?team=none")), (
        "a repeated read comes from the cache"
    )

    with django_capture_on_commit_callbacks(execute=True):
        move(milestone, milestone.program.tpm, 9)  # the service, as the page's form calls it
    after = client.get(DELIVERY).json()
    assert (after["slips"]["slips"], after["slips"]["days"]) == (1, 9)
    page = client.get("/insights/").content.decode()
    assert "9 days added" in page, "the overview shares the entries and sees the write too"

    # A dependency added (a many-to-many write) is a write as well.
    upstream = slipped_milestone(team_name="Network")
    with django_capture_on_commit_callbacks(execute=True):
        milestone.depends_on.add(upstream)
    token = cache.generation("delivery")
    with django_capture_on_commit_callbacks(execute=True):
        milestone.depends_on.remove(upstream)
    assert cache.generation("delivery") != token


def test_a_write_is_not_announced_before_its_commit(
    cached, leader, django_capture_on_commit_callbacks
):
    """The generation changes when the write commits, not when the row is saved: a read in
    between would otherwise store the old numbers under the new generation."""
    token = cache.generation("delivery")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        slipped_milestone()
        assert cache.generation("delivery") == token
    assert callbacks, "replaced on commit"
    for callback in callbacks:
        callback()
    assert cache.generation("delivery") != token


def test_a_sign_in_replaces_nothing(cached, client, leader, django_capture_on_commit_callbacks):
    tokens = cache.generations()
    with django_capture_on_commit_callbacks(execute=True):
        client.force_login(leader)
    assert cache.generations() == tokens


def test_readers_who_see_different_programs_share_no_entry(
    cached, client, leader, tpm, django_capture_on_commit_callbacks
):
    secret = slipped_milestone(ProgramFactory(confidential=True))
    with django_capture_on_commit_callbacks(execute=True):
        move(secret, leader, 30)
    assert client_for(client, leader).get(DELIVERY).json()["slips"]["days"] == 30
    assert client_for(client, tpm).get(DELIVERY).json()["slips"]["days"] == 0
    # Everyone who sees every program shares one entry.
    other_leader = UserFactory(roles=["Leadership"])
    quarter = Quarter.of(timezone.localdate())
    assert (
        client_for(client, other_leader)
        .get(DELIVERY, {"quarter": str(quarter)})
        .json()["slips"]["days"]
        == 30
    )
    assert cache.scope_of(leader) == cache.scope_of(other_leader) == "all"
    assert cache.scope_of(tpm) == f"user-{tpm.pk}"


def test_a_write_replaces_the_generations_of_the_sections_that_read_it(
    cached, tpm, django_capture_on_commit_callbacks
):
    from tests.factories import CapacityRequestFactory, RiskFactory, StatusUpdateFactory

    program = ProgramFactory(tpm=tpm)
    team = TeamFactory()

    def replaced(write) -> set[str]:
        before = cache.generations()
        with django_capture_on_commit_callbacks(execute=True):
            write()
        after = cache.generations()
        return {slug for slug in before if before[slug] != after[slug]}

    milestone = MilestoneFactory(program=program, owner_team=None)
    assert replaced(lambda: move(milestone, tpm, 5)) == {"delivery", "forecast-accuracy"}
    assert replaced(lambda: CapacityRequestFactory(program=program, team=team, requester=tpm)) == {
        "capacity"
    }
    assert replaced(lambda: StatusUpdateFactory(program=program)) == set()  # read by none
    assert replaced(lambda: RiskFactory(program=program)) == set()
    program.name = "Renamed"
    assert replaced(program.save) == set(cache.SLUGS)  # scopes and names every section


def test_the_map_of_what_each_section_reads_names_real_models_and_sections():
    from django.apps import apps

    labels = {model._meta.label_lower for model in apps.get_models(include_auto_created=True)}
    assert set(cache.SECTIONS_READING) <= labels, set(cache.SECTIONS_READING) - labels
    assert all(reads <= set(cache.SLUGS) for reads in cache.SECTIONS_READING.values())


def test_the_warm_up_computes_what_leadership_opens(cached, client, leader):
    slipped_milestone()
    assert sorted(cache.warm_up()) == sorted(cache.SLUGS)
    assert cache.warm_up() == []  # all there already
    client_for(client, leader)
    warm = queries_of(lambda: client.get("/insights/"))
    django_cache.clear()
    cold = queries_of(lambda: client.get("/insights/"))
    assert warm < cold - 10, (warm, cold)
