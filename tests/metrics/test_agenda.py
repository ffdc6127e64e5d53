"""The operational review's agenda for a prepared situation: each section gets exactly what it
should and nothing else; confidential programs are hidden from those who may not see them;
a closed review keeps its agenda as it was; the query count does not grow with the data."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from metrics.agenda import build_agenda, review_agenda
from metrics.models import HealthSnapshot
from programs.models import Phase, Program
from reviews import ops_services
from reviews.models import ActionItemState, LaunchReview
from tests.factories import (
    ActionItemFactory,
    CapacityRequestFactory,
    ChecklistTemplateFactory,
    MembershipFactory,
    OperationalReviewFactory,
    ProgramFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 11, 9)
PREVIOUS = datetime.date(2026, 11, 2)


def snap(program, day, grade, score=None):
    score = score if score is not None else {"green": 90, "yellow": 60, "red": 30}[grade]
    HealthSnapshot.objects.create(
        program=program, day=day, score=score, grade=grade, computed_at=timezone.now()
    )


def launch(program, days, state="submitted", author=None):
    return LaunchReview.objects.create(
        program=program, title=f"{program.name} launch +{days}", tier=3,
        launch_date=DAY + datetime.timedelta(days=days), state=state,
        template=ChecklistTemplateFactory(), author=author or program.tpm,
    )  # fmt: skip


def fresh(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))


@pytest.fixture
def situation(tpm, engineer):
    previous = OperationalReviewFactory(date=PREVIOUS)
    review = OperationalReviewFactory(date=DAY)
    p = {
        name: ProgramFactory(name=name, slug=name.lower().replace(" ", "-"), tpm=tpm)
        for name in [
            "Red new", "Yellow new", "Red before", "Yellow to red", "Red to yellow", "Green",
            "After date", "Melon", "Melon done", "Stale", "Fresh", "Stale cancelled", "Launcher",
        ]
    }  # fmt: skip
    secret = ProgramFactory(name="Secret", slug="secret", tpm=tpm, confidential=True)
    MembershipFactory(program=secret, user=engineer)
    Program.objects.update(last_update_at=fresh(DAY - datetime.timedelta(days=1)))
    for name, before, now in [
        ("Red new", "green", "red"), ("Yellow new", "green", "yellow"),
        ("Red before", "red", "red"), ("Yellow to red", "yellow", "red"),
        ("Red to yellow", "red", "yellow"), ("Green", "green", "green"),
        ("After date", "green", "green"),
    ]:  # fmt: skip
        snap(p[name], PREVIOUS, before)
        snap(p[name], DAY - datetime.timedelta(days=1), now)
    snap(p["After date"], DAY + datetime.timedelta(days=1), "red")
    snap(secret, PREVIOUS, "green")
    snap(secret, DAY, "red")
    Program.objects.filter(name__in=["Melon", "Melon done", "Secret"]).update(
        health_watermelon=True, health_grade="red", health_score=40
    )
    Program.objects.filter(name__in=["Melon done"]).update(phase=Phase.DONE)
    Program.objects.filter(name__in=["Stale", "Stale cancelled", "Secret"]).update(
        last_update_at=fresh(datetime.date(2026, 10, 20))
    )
    Program.objects.filter(name="Stale cancelled").update(phase=Phase.CANCELLED)
    for days, state in [(3, "submitted"), (14, "draft"), (15, "submitted"), (-1, "submitted"),
                        (5, "launched"), (5, "withdrawn")]:  # fmt: skip
        launch(p["Launcher"], days, state)
    launch(secret, 2)
    for state in ("submitted", "draft", "approved"):
        CapacityRequestFactory(program=p["Launcher"], state=state, amount=Decimal("12.5"))
    CapacityRequestFactory(program=secret, state="submitted")
    owner = UserFactory(username="oscar.owner", first_name="Oscar", last_name="Owen")
    ActionItemFactory(title="Overdue", owner=owner, due_date=DAY - datetime.timedelta(days=1),
                      created_in=previous)  # fmt: skip
    ActionItemFactory(title="Due on the day", owner=owner, due_date=DAY, created_in=previous)
    ActionItemFactory(
        title="Done long ago", owner=owner, due_date=DAY - datetime.timedelta(days=5),
        created_in=previous, state=ActionItemState.DONE, closed_at=timezone.now(),
    )  # fmt: skip
    ActionItemFactory(title="Secret overdue", owner=owner, program=secret,
                      due_date=DAY - datetime.timedelta(days=2), created_in=previous)  # fmt: skip
    return review


def names(agenda, key):
    section = next(s for s in agenda["sections"] if s["key"] == key)
    return [
        item.get("title") or item["program"]["name"] for item in section["items"]
    ]  # launches and actions by title, programs by name


def test_each_section_gets_exactly_its_items(situation, leader):
    agenda = build_agenda(review=situation, user=leader)
    assert agenda["since"] == PREVIOUS.isoformat()
    assert names(agenda, "worsened") == ["Red new", "Secret", "Yellow to red", "Yellow new"]
    assert names(agenda, "watermelons") == ["Melon", "Secret"]
    assert names(agenda, "overdue_updates") == ["Secret", "Stale"]
    assert names(agenda, "launches") == [
        "Secret launch +2",
        "Launcher launch +3",
        "Launcher launch +14",
    ]
    assert [item["amount"] for item in agenda["sections"][4]["items"]] == ["12.5 vCPU", "10 vCPU"]
    assert names(agenda, "overdue_actions") == ["Secret overdue", "Overdue"]
    stale = agenda["sections"][2]["items"][1]
    assert stale["due"] == "2026-10-27"
    assert stale["days_overdue"] == 13
    red = agenda["sections"][0]["items"][0]
    assert (red["grade_before"], red["grade"]) == ("green", "red")


def test_confidential_programs_are_hidden_from_outsiders(situation, outsider, engineer):
    hidden = build_agenda(review=situation, user=outsider)
    text = str(hidden)
    assert "Secret" not in text
    assert names(hidden, "worsened") == ["Red new", "Yellow to red", "Yellow new"]
    assert names(hidden, "overdue_actions") == ["Overdue"]
    member = build_agenda(review=situation, user=engineer)
    assert "Secret" in names(member, "worsened")


def test_without_a_previous_review_it_compares_with_a_week_before(tpm):
    program = ProgramFactory(name="Lonely", tpm=tpm)
    Program.objects.update(last_update_at=fresh(DAY))
    snap(program, DAY - datetime.timedelta(days=7), "green")
    snap(program, DAY, "yellow")
    review = OperationalReviewFactory(date=DAY)
    agenda = build_agenda(review=review, user=tpm)
    assert agenda["previous_review"] is None
    assert names(agenda, "worsened") == ["Lonely"]


def test_a_portfolio_review_sees_only_its_programs(situation, leader):
    melon = Program.objects.get(name="Melon")
    scoped = OperationalReviewFactory(date=DAY, portfolio=melon.portfolio)
    agenda = build_agenda(review=scoped, user=leader)
    assert names(agenda, "watermelons") == ["Melon"]
    assert names(agenda, "worsened") == []
    assert names(agenda, "overdue_actions") == []  # agreed in a review of every program


def test_a_closed_review_keeps_its_agenda_as_it_was(situation, leader, outsider, tpm):
    closed = ops_services.operational_review_transition(
        review=situation, user=tpm, action="close", version=situation.version
    )
    Program.objects.filter(name="Green").update(health_watermelon=True)
    frozen = review_agenda(review=closed, user=leader)
    assert frozen["frozen"] is True
    assert names(frozen, "watermelons") == ["Melon", "Secret"]
    assert "Secret" not in str(review_agenda(review=closed, user=outsider))


def test_the_agenda_takes_the_same_queries_at_two_sizes(situation, outsider):
    def count() -> int:
        outsider._pulse_roles = None
        with CaptureQueriesContext(connection) as queries:
            build_agenda(review=situation, user=outsider)
        return len(queries)

    small = count()
    tpm = Program.objects.first().tpm
    for _ in range(15):
        program = ProgramFactory(tpm=tpm)
        snap(program, PREVIOUS, "green")
        snap(program, DAY, "red")
        launch(program, 4)
        CapacityRequestFactory(program=program, state="submitted")
        ActionItemFactory(program=program, due_date=DAY - datetime.timedelta(days=3))
    Program.objects.update(health_watermelon=True)
    assert count() == small
    assert small <= 8
