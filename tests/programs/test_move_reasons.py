"""A date move carries a reason category (what slips are grouped by) besides its free text:
required by the form, the service and the API; shown in the ledgers; seeded plausibly."""

import datetime
import re
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from metrics.analytics.install import installed_views
from programs import services
from programs.management import vocabulary as words
from programs.management.seeding import SLIP_CATEGORIES
from programs.models import Milestone, MilestoneDateChange, MoveCategory
from tests.conftest import client_for
from tests.factories import MilestoneDateChangeFactory, MilestoneFactory

pytestmark = pytest.mark.django_db

API = "/api/v1"


@pytest.fixture
def milestone(program):
    return MilestoneFactory(
        program=program,
        name="Canary",
        baseline_date=datetime.date(2026, 12, 1),
        target_date=datetime.date(2026, 12, 1),
    )


def move_url(milestone: Milestone) -> str:
    return reverse("programs:milestone-move", args=[milestone.program.slug, milestone.pk])


# --- The service ------------------------------------------------------------------------------


def test_the_service_records_the_category_with_the_reason(milestone, tpm):
    services.milestone_move(
        milestone=milestone, user=tpm, version=milestone.version,
        target_date=datetime.date(2026, 12, 20), category=MoveCategory.STAFFING,
        reason="Two engineers on an incident follow-up",
    )  # fmt: skip
    change = MilestoneDateChange.objects.get(milestone=milestone)
    assert (change.category, change.reason) == (
        "staffing",
        "Two engineers on an incident follow-up",
    )
    assert change.get_category_display() == "Staffing"


@pytest.mark.parametrize("category", ["", "weather", "Vendor"])
def test_the_service_refuses_a_missing_or_unknown_category(milestone, tpm, category):
    with pytest.raises(ValidationError) as error:
        services.milestone_move(
            milestone=milestone, user=tpm, version=milestone.version,
            target_date=datetime.date(2026, 12, 20), category=category, reason="Late",
        )  # fmt: skip
    assert set(error.value.message_dict) == {"category"}
    milestone.refresh_from_db()
    assert (milestone.target_date, milestone.times_moved) == (datetime.date(2026, 12, 1), 0)
    assert not MilestoneDateChange.objects.exists()


def test_a_category_does_not_replace_the_reason(milestone, tpm):
    with pytest.raises(ValidationError) as error:
        services.milestone_move(
            milestone=milestone, user=tpm, version=milestone.version,
            target_date=datetime.date(2026, 12, 20), category="scope", reason="  ",
        )  # fmt: skip
    assert set(error.value.message_dict) == {"reason"}


def test_the_database_refuses_an_unknown_category_written_around_the_service(milestone):
    with pytest.raises(IntegrityError), transaction.atomic():
        MilestoneDateChangeFactory(milestone=milestone, category="weather")


# --- The page ---------------------------------------------------------------------------------


def test_the_move_page_offers_the_categories_in_a_select_with_nothing_preselected(
    client, tpm, milestone
):
    html = client_for(client, tpm).get(move_url(milestone)).content.decode()
    select = re.search(r'<select name="category"[^>]*>(.*?)</select>', html, re.S)
    assert select, "the category is a native select"
    assert re.search(r'<label[^>]*for="id_category"[^>]*>Kind of reason', html)
    options = re.findall(r'<option value="([^"]*)"( selected)?>([^<]*)</option>', select.group(1))
    assert [(value, label) for value, _selected, label in options] == [
        ("", "Choose one"),
        *MoveCategory.choices,
    ]
    assert [value for value, selected, _label in options if selected] == [""]


@pytest.mark.parametrize(
    "category, message",
    [
        ("", "Choose what kind of reason moves the date."),
        ("weather", "“weather” is not a reason category."),
    ],
)
def test_the_form_refuses_a_missing_or_unknown_category_and_keeps_what_was_typed(
    client, tpm, milestone, category, message
):
    response = client_for(client, tpm).post(
        move_url(milestone),
        {
            "target_date": "2026-12-20",
            "category": category,
            "reason": "Vendor hardware late",
            "version": milestone.version,
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(rf'id="id_category_error"><p>{re.escape(message)}</p>', html)
    assert "Vendor hardware late</textarea>" in html
    assert 'value="2026-12-20"' in html
    assert not MilestoneDateChange.objects.exists()


def test_a_move_through_the_page_is_shown_with_its_category_in_both_ledgers(client, tpm, milestone):
    client = client_for(client, tpm)
    response = client.post(
        move_url(milestone),
        {
            "target_date": "2026-12-20",
            "category": "dependency",
            "reason": "Backbone upgrade moved",
            "version": milestone.version,
        },
    )
    assert response.status_code == 302
    assert MilestoneDateChange.objects.get().category == "dependency"
    tag = re.compile(
        r'<span class="tag tag-move-category"><span class="visually-hidden">Kind of reason: '
        r"</span>Dependency</span>\s*<span class=\"ledger-reason\">“Backbone upgrade moved”"
    )
    assert tag.search(client.get(milestone.program.get_absolute_url()).content.decode())
    assert tag.search(client.get(move_url(milestone)).content.decode())


# --- The API ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body, message",
    [
        ({}, "This field is required."),
        ({"category": "weather"}, '"weather" is not a valid choice.'),
        ({"category": None}, "This field may not be null."),
    ],
)
def test_the_api_answers_400_on_the_category_field(api_client, tpm, milestone, body, message):
    api_client.force_authenticate(tpm)
    response = api_client.post(
        f"{API}/milestones/{milestone.pk}/move/",
        {"target_date": "2026-12-20", "reason": "Late", "version": 1, **body},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["category"] == [message]
    assert not MilestoneDateChange.objects.exists()


def test_the_api_moves_with_a_category_and_the_ledger_shows_and_filters_it(
    api_client, tpm, milestone
):
    api_client.force_authenticate(tpm)
    moved = api_client.post(
        f"{API}/milestones/{milestone.pk}/move/",
        {"target_date": "2026-12-20", "category": "vendor", "reason": "Racks late", "version": 1},
        format="json",
    )
    assert moved.status_code == 200, moved.json()
    api_client.post(
        f"{API}/milestones/{milestone.pk}/move/",
        {
            "target_date": "2026-12-27",
            "category": "scope",
            "reason": "One more region",
            "version": 2,
        },
        format="json",
    )
    ledger = api_client.get(f"{API}/milestone-date-changes/", {"ordering": "changed_at"}).json()
    assert [(c["category"], c["reason"]) for c in ledger["results"]] == [
        ("vendor", "Racks late"),
        ("scope", "One more region"),
    ]
    vendor = api_client.get(f"{API}/milestone-date-changes/", {"category": "vendor"}).json()
    assert [c["reason"] for c in vendor["results"]] == ["Racks late"]
    unknown = api_client.get(f"{API}/milestone-date-changes/", {"category": "weather"})
    assert unknown.status_code == 400


# --- The demo seeder and the migration ----------------------------------------------------------


def test_every_demo_slip_reason_has_a_plausible_category():
    assert set(SLIP_CATEGORIES) == set(words.SLIP_REASONS)
    assert SLIP_CATEGORIES["Vendor hardware delivery slipped three weeks."] == "vendor"
    assert SLIP_CATEGORIES["Scope grew: two more services must move before cutover."] == "scope"


def test_the_seeded_moves_carry_the_category_of_their_reason():
    call_command("seed_demo", "--programs", "8", "--seed", "3", "--today", "2026-03-02",
                 stdout=StringIO())  # fmt: skip
    changes = list(MilestoneDateChange.objects.values_list("reason", "category"))
    assert changes
    assert all(category == SLIP_CATEGORIES[reason] for reason, category in changes)
    assert len({category for _reason, category in changes}) >= 3


@pytest.mark.django_db(transaction=True)
def test_moves_recorded_before_categories_migrate_to_other(milestone):
    """Back to the schema before categories (the column dropped, the move kept), then forward:
    the move reads "other", not a guess from its text, and keeps its reason; the analytics
    views, which read the column, are dropped before and put back after."""
    MilestoneDateChangeFactory(milestone=milestone, category="vendor", reason="Vendor late")
    call_command("migrate", "programs", "0010_text_limits", verbosity=0)
    assert not installed_views(connection)
    call_command("migrate", verbosity=0)
    change = MilestoneDateChange.objects.get(milestone=milestone)
    assert (change.category, change.reason) == ("other", "Vendor late")
    with connection.cursor() as cursor:
        cursor.execute("SELECT category, reason FROM analytics.milestone_moves")
        assert cursor.fetchall() == [("other", "Vendor late")]
