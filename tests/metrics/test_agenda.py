"""The operational review's agenda for a prepared situation: each section gets exactly what it
should and nothing else; confidential programs are hidden from those who may not see them;
a closed review keeps its agenda as it was; the query count does not grow with the data."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from programs.models import Phase, Program
from programs.plans import services as plan_services
from programs.plans.models import PlanTemplate
from reviews.models import ActionItem, ActionItemState
from reviews.ops import services as ops_services
from reviews.ops.agenda import build_agenda, review_agenda
from tests.factories import (
    ActionItemFactory,
    CapacityRequestFactory,
    HealthSnapshotFactory,
    LaunchReviewFactory,
    MembershipFactory,
    OperationalReviewFactory,
    ProgramFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 11, 9)
PREVIOUS = datetime.date(2026, 11, 2)


def snap(program, day, grade, score=None, reasons=()):
    score = score if score is not None else {"green": 90, "yellow": 60, "red": 30}[grade]
    HealthSnapshotFactory(program=program, day=day, score=score, grade=grade, reasons=list(reasons))


OVERDUE = {"family": "schedule", "severity": "red", "code": "critical_overdue", "subject_id": 7,
           "subject": "Cutover", "figures": {"days": 20}, "cost": 80.0}  # fmt: skip
OVERDUE_TEXT = "Critical milestone 'Cutover' is 20 days overdue"
RISKS = {"family": "risk", "severity": "red", "code": "high_risks", "subject_id": None,
         "subject": "", "figures": {"count": 2, "names": ["Vendor", "Power"]}, "cost": 70.0}  # fmt: skip
RISKS_TEXT = "2 high risks have no mitigation under way or are past due: 'Vendor', 'Power'"


def launch(program, days, state="submitted", author=None):
    return LaunchReviewFactory(
        program=program, title=f"{program.name} launch +{days}", tier=3,
        launch_date=DAY + datetime.timedelta(days=days), state=state,
        author=author or program.tpm,
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
        snap(p[name], DAY - datetime.timedelta(days=1), now,
             reasons=[OVERDUE] if name == "Red new" else ())  # fmt: skip
    snap(p["After date"], DAY + datetime.timedelta(days=1), "red")
    snap(secret, PREVIOUS, "green")
    snap(secret, DAY, "red")
    Program.objects.filter(name__in=["Melon", "Melon done", "Secret"]).update(
        health_watermelon=True, health_grade="red", health_score=40
    )
    snap(p["Melon"], PREVIOUS, "red")
    snap(p["Melon"], DAY - datetime.timedelta(days=1), "red", reasons=[RISKS, OVERDUE])
    Program.objects.filter(name__in=["Melon done"]).update(phase=Phase.DONE)
    Program.objects.filter(name__in=["Stale", "Stale cancelled", "Secret"]).update(
        last_update_at=fresh(datetime.date(2026, 10, 20))
    )
    # No current update (20 days on a weekly cadence): the engine flags it stale, not watermelon.
    Program.objects.filter(name="Stale").update(
        health_stale=True, health_grade="yellow", health_score=60
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


def items_of(agenda, key):
    return next(s for s in agenda["sections"] if s["key"] == key)["items"]


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
    assert [item["amount"] for item in items_of(agenda, "capacity")] == ["12.5 vCPU", "10 vCPU"]
    assert names(agenda, "overdue_actions") == ["Secret overdue", "Overdue"]
    stale = items_of(agenda, "overdue_updates")[1]
    assert stale["due"] == "2026-10-27"
    assert stale["days_overdue"] == 13
    red = items_of(agenda, "worsened")[0]
    assert (red["grade_before"], red["grade"]) == ("green", "red")


def test_every_agenda_entry_opens_its_page(situation, leader, client):
    """Each entry links where it is dealt with: an overdue action item to the item in the
    review that agreed it; capacity asks are written with thousands separated."""
    CapacityRequestFactory(
        program=Program.objects.get(name="Launcher"), state="submitted", amount=Decimal(1500)
    )
    agenda = build_agenda(review=situation, user=leader)
    overdue = next(i for i in items_of(agenda, "overdue_actions") if i["title"] == "Overdue")
    item = ActionItem.objects.get(title="Overdue")
    assert overdue["url"] == f"{item.created_in.get_absolute_url()}#action-item-{item.pk}"
    assert "1,500 vCPU" in [i["amount"] for i in items_of(agenda, "capacity")]
    client.force_login(leader)
    html = client.get(situation.get_absolute_url()).content.decode()
    actions = html.split('id="agenda-overdue_actions"', 1)[1].split("</section>", 1)[0]
    assert f'<a class="strong-link" href="{overdue["url"]}">Overdue</a>' in actions


def test_grade_turns_and_watermelons_say_their_deciding_reason(situation, leader, client):
    """A program turned red or yellow, and a watermelon, carry the sentence of their latest
    snapshot's first reason: the program page's words, on the page and in the print view."""
    agenda = build_agenda(review=situation, user=leader)
    worsened = {i["program"]["name"]: i["reason"] for i in items_of(agenda, "worsened")}
    assert worsened["Red new"] == OVERDUE_TEXT
    assert worsened["Yellow new"] == ""  # no reason stored: nothing invented
    melons = {i["program"]["name"]: i["reason"] for i in items_of(agenda, "watermelons")}
    assert melons["Melon"] == RISKS_TEXT
    client.force_login(leader)
    html = client.get(situation.get_absolute_url()).content.decode()
    assert OVERDUE_TEXT.replace("'", "&#x27;") in html.split('id="agenda-worsened"', 1)[1]
    assert RISKS_TEXT.replace("'", "&#x27;") in html.split('id="agenda-watermelons"', 1)[1]


def test_a_stale_program_is_shown_stale_not_watermelon(situation, leader, client):
    """A stale program sits among the overdue updates, marked stale, and never among the
    watermelons, even on a row flagged both before the engine knew stale."""
    Program.objects.filter(name="Stale").update(health_watermelon=True)
    agenda = build_agenda(review=situation, user=leader)
    assert "Stale" not in names(agenda, "watermelons")
    overdue = {i["program"]["name"]: i["stale"] for i in items_of(agenda, "overdue_updates")}
    assert overdue == {"Secret": False, "Stale": True}
    client.force_login(leader)
    html = client.get(situation.get_absolute_url()).content.decode()
    section = html.split('id="agenda-overdue_updates"', 1)[1].split("</section>", 1)[0]
    stale_row = section.split(">Stale</a>", 1)[1].split("</li>", 1)[0]
    assert 'class="tag tag-stale"' in stale_row
    assert ">Stale</a>" not in html.split('id="agenda-watermelons"', 1)[1].split("</section>", 1)[0]


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


def test_the_agenda_takes_the_same_queries_at_two_sizes(
    situation, outsider, same_queries_at_two_sizes
):
    def agenda():
        outsider._pulse_roles = None  # read once per request, as with a session
        return build_agenda(review=situation, user=outsider)

    def plan_waiting(program, tpm) -> None:
        program.teams.add(TeamFactory(lead=UserFactory()))
        plan = plan_services.plan_start(
            program=program, template=PlanTemplate.objects.filter(active=True).first(), user=tpm
        )
        plan_services.plan_publish(
            plan=plan, user=tpm, based_on=0, sections={"problem": "Slow."},
            now=timezone.now() - datetime.timedelta(days=40),
        )  # fmt: skip

    plan_waiting(Program.objects.get(name="Green"), Program.objects.first().tpm)

    def grow() -> None:
        tpm = Program.objects.first().tpm
        for _ in range(15):
            program = ProgramFactory(tpm=tpm)
            snap(program, PREVIOUS, "green")
            snap(program, DAY, "red", reasons=[OVERDUE, RISKS])
            launch(program, 4)
            CapacityRequestFactory(program=program, state="submitted")
            ActionItemFactory(program=program, due_date=DAY - datetime.timedelta(days=3))
            plan_waiting(program, tpm)
        Program.objects.update(health_watermelon=True)

    counts = same_queries_at_two_sizes(None, {"agenda": agenda}, grow=grow)
    # One per section; the plans' section four (the two policy reads, the plans, their asks).
    assert counts["agenda"] <= 12
