"""``manage.py seed_demo``: deterministic, realistic demo data and demo accounts in every role."""

import datetime
import logging
import re
from collections import Counter
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db.models import Count, F, Max

from metrics.insights.capacity import capacity_insights
from metrics.insights.forecast_accuracy import forecast_accuracy_insights
from metrics.insights.launch_reviews import launch_review_insights
from metrics.insights.selectors import InsightsFilters, Quarter
from metrics.models import HealthSnapshot
from programs.management.seeding import DEMO_ACCOUNTS, DEMO_PASSWORD
from programs.models import (
    OPEN_MILESTONE_STATES,
    Milestone,
    MilestoneDateChange,
    Phase,
    Program,
    ReportedHealth,
    Risk,
    StatusUpdate,
)
from programs.selectors import visible_programs
from reviews.models import (
    OPEN_REVIEW_STATES,
    ActionItem,
    CapacityRequest,
    LaunchReview,
    OperationalReview,
    SignOff,
)
from tests.factories import UserFactory
from tests.shared_data import rolled_back_rows

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 3, 2)
DAY = datetime.timedelta(days=1)
ACTIVE = (Phase.PROPOSED, Phase.PLANNING, Phase.EXECUTING, Phase.LAUNCHING)


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", "--today", TODAY.isoformat(), *args, stdout=out)
    return out.getvalue()


def snapshot() -> dict[str, list]:
    """Everything that must repeat for the same seed, without the database's primary keys."""
    return {
        "programs": list(
            Program.objects.order_by("slug").values_list(
                "name",
                "slug",
                "phase",
                "start_date",
                "target_date",
                "confidential",
                "tpm__username",
                "last_update_at",
            )  # fmt: skip
        ),
        "milestones": list(
            Milestone.objects.order_by("program__slug", "baseline_date", "name").values_list(
                "program__slug", "name", "baseline_date", "target_date", "state", "critical"
            )
        ),
        "slips": list(
            MilestoneDateChange.objects.order_by("changed_at", "milestone__name").values_list(
                "milestone__name", "from_date", "to_date", "reason", "changed_at"
            )
        ),
        "updates": list(
            StatusUpdate.objects.order_by("created_at", "program__slug").values_list(
                "program__slug", "reported_health", "created_at"
            )
        ),
        "risks": list(
            Risk.objects.order_by("program__slug", "title").values_list(
                "title", "likelihood", "impact"
            )
        ),
        "people": sorted(User.objects.values_list("username", flat=True)),
        # The workflow history (reviews.management.demo_history): its times repeat too.
        "launch reviews": list(
            LaunchReview.objects.order_by("launched_at", "submitted_at", "title").values_list(
                "title",
                "state",
                "launch_date",
                "created_at",
                "submitted_at",
                "decided_at",
                "launched_at",
            )  # fmt: skip
        ),
        "sign-offs": list(
            SignOff.objects.order_by("created_at", "area", "review__title").values_list(
                "review__title", "area", "decision", "reviewer__username", "created_at"
            )
        ),
        "capacity": list(
            CapacityRequest.objects.order_by("created_at", "team__name", "amount").values_list(
                "team__name",
                "amount",
                "state",
                "approved_amount",
                "override_reason",
                "submitted_at",
                "decided_at",
                "fulfilled_at",
            )  # fmt: skip
        ),
        "action items": list(
            # Last week's review and its items are the services' own, stamped as they run.
            ActionItem.objects.filter(created_in__date__lt=TODAY - datetime.timedelta(days=14))
            .order_by("created_at", "title")
            .values_list("title", "due_date", "state", "created_at", "closed_at", "owner__username")
        ),
    }


@pytest.fixture
def seeded():
    seed("--programs", "12", "--seed", "7")


def test_same_seed_and_today_give_identical_data():
    """Names, dates, states and counts repeat exactly; only primary keys differ."""
    seed("--programs", "12", "--seed", "7")
    first = snapshot()
    seed("--programs", "12", "--seed", "7", "--reset")
    assert snapshot() == first
    assert len(first["programs"]) == 12


def test_a_different_seed_gives_different_data():
    seed("--programs", "12", "--seed", "7")
    first = snapshot()
    seed("--programs", "12", "--seed", "8", "--reset")
    second = snapshot()
    assert second["milestones"] != first["milestones"]
    assert second["updates"] != first["updates"]


def test_every_role_has_a_demo_account_that_signs_in(seeded, client):
    """tpm, engineer, reviewer, leader and admin sign in with the one printed password."""
    for username, role, _name in DEMO_ACCOUNTS:
        user = User.objects.get(username=username)
        assert user.groups.filter(name=role).exists(), username
        # Through the sign-in page: the login throttle (django-axes) checks real requests.
        response = client.post(
            "/accounts/login/", {"username": username, "password": DEMO_PASSWORD}
        )
        assert response.status_code == 302, username
        assert client.session.get("_auth_user_id") == str(user.pk), username
        client.logout()
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    assert Program.objects.filter(tpm__username="tpm").count() >= 3


def test_output_lists_the_demo_accounts_and_password():
    output = seed("--programs", "5", "--seed", "1")
    for username, _role, _name in DEMO_ACCOUNTS:
        assert username in output
    assert DEMO_PASSWORD in output


@pytest.fixture(scope="class")
def _twelve_programs(django_db_setup, django_db_blocker):
    with rolled_back_rows(django_db_blocker):
        seed("--programs", "12", "--seed", "7")
        yield


class TestTwelvePrograms:
    """Read-only: the tests share one seeding (``seeded`` seeds for the tests that write)."""

    @pytest.fixture
    def seeded(self, _twelve_programs, db):
        pass

    def test_slips_are_recorded_with_reasons_and_end_at_the_target(self, seeded):
        """Every moved milestone's ledger chains from its baseline to its current target."""
        assert MilestoneDateChange.objects.exists()
        assert not MilestoneDateChange.objects.filter(reason="").exists()
        moved = Milestone.objects.filter(date_changes__isnull=False).distinct()
        assert moved.exclude(target_date=F("baseline_date")).exists()
        ledger = Milestone.objects.annotate(n=Count("date_changes"))
        assert not ledger.exclude(times_moved=F("n")).exists()  # the count kept on each milestone
        for milestone in moved.prefetch_related("date_changes"):
            changes = sorted(milestone.date_changes.all(), key=lambda c: (c.changed_at, c.id))
            assert changes[0].from_date == milestone.baseline_date
            assert changes[-1].to_date == milestone.target_date
            for before, after in zip(changes, changes[1:], strict=False):
                assert before.to_date == after.from_date
        unmoved = Milestone.objects.filter(date_changes__isnull=True)
        assert not unmoved.exclude(target_date=F("baseline_date")).exists()

    def test_completed_milestones_lie_in_the_past_and_nothing_is_in_the_future(self, seeded):
        assert Milestone.objects.filter(state="done").exists()
        assert not Milestone.objects.filter(state="done", completed_date__gte=TODAY).exists()
        assert not StatusUpdate.objects.filter(created_at__date__gte=TODAY).exists()
        assert not MilestoneDateChange.objects.filter(changed_at__date__gte=TODAY).exists()

    def test_last_update_at_is_the_latest_status_update(self, seeded):
        for program in Program.objects.annotate(latest=Max("status_updates__created_at")):
            assert program.last_update_at == program.latest

    def test_some_running_programs_are_stale(self, seeded):
        """At least one running program has missed two or more weekly updates."""
        stale = [
            p
            for p in Program.objects.filter(phase__in=ACTIVE, last_update_at__isnull=False)
            if (TODAY - p.last_update_at.date()).days > 2 * p.update_cadence_days
        ]
        assert stale

    def test_some_programs_are_watermelons(self, seeded):
        """A current update says on track while the rubric grades the program yellow or red."""
        watermelons = Program.objects.filter(health_watermelon=True)
        assert watermelons.exists()
        for program in watermelons:
            latest = program.status_updates.order_by("-created_at").first()
            assert latest.reported_health == ReportedHealth.ON_TRACK
            assert program.health_grade in ("yellow", "red") and not program.health_stale

    def test_milestones_depend_on_other_programs(self, seeded):
        through = Milestone.depends_on.through
        cross = through.objects.exclude(from_milestone__program=F("to_milestone__program"))
        assert cross.exists()

    def test_programs_carry_the_whole_picture(self, seeded):
        """Members, teams, risks, decisions and history exist for seeded programs."""
        program = Program.objects.get(slug="fleet-kernel-upgrade-to-612")
        assert program.memberships.filter(role="tpm", user=program.tpm).exists()
        assert program.teams.exists()
        assert 5 <= program.milestones.count() <= 20
        assert program.status_updates.exists()
        assert Risk.objects.exclude(mitigation="").exists()
        assert Program.history.filter(id=program.pk, history_type="+").exists()
        assert Milestone.history.filter(program_id=program.pk).count() >= program.milestones.count()


@pytest.fixture(scope="class")
def _sixty_programs(django_db_setup, django_db_blocker):
    with rolled_back_rows(django_db_blocker):
        seed("--programs", "60", "--seed", "11")
        yield


@pytest.fixture
def organisation(_sixty_programs, db):
    """Sixty programs: 48 graded (the others done or cancelled), seeded once for the class."""
    return Program.objects.filter(phase__in=ACTIVE)


class TestSixtyPrograms:
    """Read-only: the tests share one seeding."""

    def test_the_demo_looks_like_a_real_organisation(self, organisation):
        """Mostly green, about a fifth yellow, a few red; a handful stale and a handful of
        watermelons; and the troubled programs in trouble for different reasons."""
        graded = list(organisation)
        grades = Counter(p.health_grade for p in graded)
        assert len(graded) == 48
        assert 0.55 <= grades["green"] / len(graded) <= 0.85, grades
        assert 0.10 <= grades["yellow"] / len(graded) <= 0.30, grades
        assert 1 <= grades["red"] <= 0.12 * len(graded), grades
        assert 1 <= sum(p.health_watermelon for p in graded) <= 5
        assert 1 <= sum(p.health_stale for p in graded) <= 5
        troubled = [p for p in graded if p.health_grade != "green"]
        assert len({p.health_cause for p in troubled}) >= 4
        # The first reasons (what the TPM says out loud) differ too.
        first = {
            snapshot.reasons[0]["code"]
            for snapshot in HealthSnapshot.objects.filter(day=TODAY, program__in=troubled)
        }
        assert len(first) >= 8, first
        assert {"update_stale", "critical_overdue"} <= first

    def test_the_demo_story_holds_together(self, organisation):
        """Dates and states agree: launches, slips, updates and the health history."""
        # A launched review's date has passed; an open one's is still ahead.
        assert LaunchReview.objects.exists()
        assert not LaunchReview.objects.filter(state="launched", launch_date__gt=TODAY).exists()
        assert not LaunchReview.objects.filter(
            state__in=OPEN_REVIEW_STATES, launch_date__lt=TODAY
        ).exists()
        # A milestone has not slipped more than half the days since it was planned (a program
        # started a few days ago has not slipped six weeks), nor finished before it was planned.
        for milestone in Milestone.objects.all():
            planned_on = milestone.created_at.date()
            assert (milestone.target_date - milestone.baseline_date).days <= (
                TODAY - planned_on
            ).days // 2, milestone
            if milestone.completed_date:
                assert planned_on <= milestone.completed_date < TODAY
        # Healthy programs do not wait on late milestones, and a program not yet started has
        # nothing overdue.
        for program in organisation.filter(start_date__gt=TODAY):
            assert not program.milestones.filter(
                state__in=OPEN_MILESTONE_STATES, target_date__lt=TODAY
            ).exists()
        # Stale means no update within two cadences; a stale program is never a watermelon.
        for program in organisation:
            last = program.last_update_at.date() if program.last_update_at else None
            since = (TODAY - (last or program.created_at.date())).days
            assert program.health_stale == (since > 2 * program.update_cadence_days), program
            assert not (program.health_stale and program.health_watermelon)
        # The trend history: each score inside its grade's band, nothing before the program
        # existed, a stale day graded no better than yellow and never a watermelon.
        bands = {"green": (75, 100), "yellow": (50, 74), "red": (0, 49)}
        history = HealthSnapshot.objects.filter(day__lt=TODAY).select_related("program")
        assert history.filter(stale=True).exists()
        for snapshot in history:
            low, high = bands[snapshot.grade]
            assert low <= snapshot.score <= high, snapshot
            assert snapshot.day >= snapshot.program.created_at.date()
            if snapshot.stale:
                assert snapshot.grade != "green" and not snapshot.watermelon
            if snapshot.watermelon:
                assert snapshot.reported_health == "on_track" and snapshot.grade != "green"

    def test_the_insights_tell_a_year_s_story(self, organisation):
        """The workflow history reads like an organisation's year: decisions take days and got
        faster, sign-offs wait longest in security and compliance, some areas are sent back
        and reworked, some launches went out late; capacity is decided after days, some
        requests cut, denied or approved over budget with a reason; action items close after
        weeks, some carried over many reviews and some overdue now. Nothing lies after today."""
        leader = User.objects.get(username="leader")
        now = datetime.datetime.combine(TODAY, datetime.time(9), tzinfo=datetime.UTC)
        this_quarter = InsightsFilters(quarter=Quarter.of(TODAY))
        launches = launch_review_insights(user=leader, filters=this_quarter, now=now)
        medians = [q.decision.median_days for q in launches.trend]
        assert all(median and median > 1 for median in medians), medians
        assert medians[0] > medians[-1], medians  # governance got faster over the year
        assert sum(q.changes_requested for q in launches.trend) >= 3
        assert sum(q.late_launches for q in launches.trend) >= 2
        slowest = {wait.key for wait in launches.wait_by_area[:3]}
        assert slowest & {"security", "compliance"}, launches.wait_by_area
        assert len(launches.wait_by_reviewer) >= 2 and launches.overdue_sign_offs
        earlier = [
            launch_review_insights(
                user=leader, filters=InsightsFilters(quarter=Quarter.of(day)), now=now
            )
            for day in (TODAY - datetime.timedelta(days=95), TODAY - datetime.timedelta(days=190))
        ]
        assert any(insights.reworked_items for insights in earlier)

        capacity = capacity_insights(user=leader, filters=this_quarter, now=now)
        leads = [q.submitted_to_decided.median_days for q in capacity.trend]
        assert all(lead and lead > 1 for lead in leads), leads
        outcomes = [q.outcomes for q in capacity.trend]
        assert sum(o.cut for o in outcomes) and sum(o.denied for o in outcomes)
        assert CapacityRequest.objects.exclude(override_reason="").exists()
        assert CapacityRequest.objects.filter(fulfilled_at__isnull=False).exists()

        # Last week's items are the services' own (one closed in the meeting that agreed it).
        items = ActionItem.objects.filter(
            closed_at__isnull=False, created_in__date__lt=TODAY - 9 * DAY
        )
        weeks = [(item.closed_at - item.created_at).days / 7 for item in items]
        assert weeks and 1 <= min(weeks) and max(weeks) <= 7
        assert ActionItem.objects.filter(state="open", due_date__lt=TODAY - 30 * DAY).exists()
        assert OperationalReview.objects.filter(state="closed").count() >= 45
        assert OperationalReview.decisions.through.objects.exists()

        # A plan the leads have not acknowledged for 18 days: a watch line in its health.
        waiting = HealthSnapshot.objects.filter(
            day=TODAY, reasons__contains=[{"code": "plan_unacknowledged"}]
        )
        assert waiting.exists()
        # The health history holds each day's forecast, replayed: of a critical milestone of
        # the program, open that day; so the forecast's accuracy can be measured.
        forecasts = forecast_accuracy_insights(user=leader, filters=this_quarter, now=now)
        assert forecasts.covered >= 5 and forecasts.covered <= forecasts.finished
        named = HealthSnapshot.objects.filter(day__lt=TODAY, forecast__isnull=False)
        assert named.count() > 100
        milestones = Milestone.objects.in_bulk(
            {snapshot.forecast["milestone_id"] for snapshot in named}
        )
        for snapshot in named:
            m = milestones[snapshot.forecast["milestone_id"]]
            assert m.program_id == snapshot.program_id and m.critical, snapshot
            assert m.created_at.date() <= snapshot.day, snapshot
            assert m.completed_date is None or m.completed_date > snapshot.day, snapshot
            assert snapshot.forecast["slip_rate"] >= 0

        # Nothing after today, and every step after the one before it.
        for review in LaunchReview.objects.filter(submitted_at__isnull=False):
            assert review.created_at <= review.submitted_at < now, review
            assert review.decided_at is None or review.submitted_at <= review.decided_at < now
            assert review.launched_at is None or review.decided_at < review.launched_at < now
        for sign_off in SignOff.objects.select_related("review"):
            assert sign_off.review.created_at < sign_off.created_at < now
        for request in CapacityRequest.objects.filter(submitted_at__isnull=False):
            assert request.created_at <= request.submitted_at < now
            assert request.decided_at is None or request.submitted_at <= request.decided_at < now
            if request.fulfilled_at:
                assert request.decided_at < request.fulfilled_at < now


def test_confidential_programs_exist_and_stay_hidden(seeded):
    confidential = Program.objects.filter(confidential=True)
    assert confidential.exists()
    outsider = UserFactory(username="otto.outsider", roles=["Engineer"])
    assert not visible_programs(outsider).filter(confidential=True).exists()
    leader = User.objects.get(username="leader")
    assert visible_programs(leader).filter(confidential=True).count() == confidential.count()


def test_large_seeds_have_unique_varied_names():
    seed("--programs", "150", "--seed", "3")
    names = list(Program.objects.values_list("name", flat=True))
    assert len(set(names)) == 150
    assert Program.objects.filter(name__contains=" — ").exists()  # composed with a scope


def test_if_empty_adds_nothing_when_programs_exist(seeded):
    """``make run`` calls it on every start: the second call changes no row."""
    before = snapshot()
    output = seed("--programs", "12", "--seed", "9", "--if-empty")
    assert snapshot() == before
    assert "nothing seeded" in output
    assert "tpm" in output and DEMO_PASSWORD in output


def test_seeding_over_existing_programs_is_refused(seeded):
    with pytest.raises(CommandError, match="--reset"):
        seed("--programs", "3")


def test_reset_keeps_people_outside_the_demo(seeded):
    someone = UserFactory(username="real.person")
    seed("--programs", "4", "--reset")
    assert User.objects.filter(pk=someone.pk).exists()
    assert Program.objects.count() == 4


def test_quiet_seeding_prints_one_progress_line_and_the_accounts(caplog):
    """``make run`` seeds at ``--verbosity 0``: a progress line, then the demo accounts; no
    counts, no task or e-mail log lines (held back while seeding, and let through after)."""
    before = logging.root.manager.disable
    with caplog.at_level(logging.INFO):
        output = seed("--programs", "5", "--seed", "1", "--verbosity", "0")
    lines = output.splitlines()
    assert re.fullmatch(
        r"Seeding the demo data: 5 programs, their reviews, metrics and health… done in "
        r"\d+\.\d s\.",
        lines[0],
    )
    assert lines[1] == "Demo accounts (sign in at /accounts/login/):"
    assert len(lines) == 2 + len(DEMO_ACCOUNTS) + 1 and DEMO_PASSWORD in lines[-1]
    assert [r for r in caplog.records if r.levelno < logging.WARNING] == []
    assert logging.root.manager.disable == before
    again = seed("--programs", "5", "--if-empty", "--verbosity", "0").splitlines()
    assert again[0] == "The demo data is already there." and DEMO_PASSWORD in again[-1]


def test_seeding_says_over_budget_requests_wait_for_the_council():
    """Requests left over budget are the demo's story, not an error: one summary line."""
    output = seed("--programs", "12", "--seed", "1")
    assert "left waiting" not in output
    assert re.search(r"capacity requests \(\d+ over budget, left for the capacity council", output)


def test_development_email_is_one_log_line(caplog):
    """The local settings' default e-mail backend logs one line per message, not its MIME."""
    from django.core.mail import EmailMessage

    from config.settings.local import OneLineEmailBackend

    message = EmailMessage("Launch review waiting", "Body " * 50, to=["rita@example.com"])
    with caplog.at_level(logging.INFO, logger="pulse.mail"):
        assert OneLineEmailBackend().send_messages([message]) == 1
    assert caplog.messages == ["E-mail to rita@example.com: Launch review waiting"]
