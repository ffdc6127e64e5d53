"""The programs services: validation, history, the slip ledger and optimistic concurrency."""

import datetime
import inspect
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from core.errors import DomainError, StaleWriteError
from programs import services
from programs.models import (
    MilestoneDateChange,
    MilestoneState,
    Program,
    ProgramMembership,
    Risk,
    RiskState,
)
from programs.signals import program_changed
from tests.factories import (
    MembershipFactory,
    MilestoneFactory,
    PortfolioFactory,
    RiskFactory,
    TeamFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def changed():
    """Collects the program ids announced by ``program_changed`` (sent on commit)."""
    seen: list[frozenset[int]] = []

    def listener(sender, program_ids, **kwargs):
        seen.append(program_ids)

    program_changed.connect(listener)
    yield seen
    program_changed.disconnect(listener)


def test_program_create_makes_the_tpm_a_member_and_records_history(
    tpm, django_capture_on_commit_callbacks, changed
):
    team = TeamFactory()
    with django_capture_on_commit_callbacks(execute=True):
        program = services.program_create(
            user=tpm,
            name="PCI network segmentation",
            portfolio=PortfolioFactory(),
            tpm=tpm,
            start_date=datetime.date(2026, 1, 5),
            target_date=datetime.date(2026, 9, 30),
            teams=[team],
        )
    assert program.slug == "pci-network-segmentation"
    assert list(program.teams.all()) == [team]
    assert ProgramMembership.objects.get(program=program, user=tpm).role == "tpm"
    assert program.history.get().history_user == tpm
    assert changed == [frozenset({program.pk})]


def test_program_create_gives_clashing_names_distinct_slugs(tpm):
    kwargs = dict(
        user=tpm, portfolio=PortfolioFactory(), tpm=tpm,
        start_date=datetime.date(2026, 1, 1), target_date=datetime.date(2026, 6, 1),
    )  # fmt: skip
    first = services.program_create(name="IPv6 dual stack", **kwargs)
    second = services.program_create(name="IPv6 dual stack", **kwargs)
    assert (first.slug, second.slug) == ("ipv6-dual-stack", "ipv6-dual-stack-2")


def test_program_create_refuses_target_before_start(tpm):
    with pytest.raises(ValidationError) as error:
        services.program_create(
            user=tpm, name="Backwards", portfolio=PortfolioFactory(), tpm=tpm,
            start_date=datetime.date(2026, 6, 1), target_date=datetime.date(2026, 1, 1),
        )  # fmt: skip
    assert "target date cannot be before the start date" in str(error.value)
    assert not Program.objects.filter(name="Backwards").exists()


def test_program_update_bumps_version_and_refuses_a_stale_one(program, tpm):
    updated = services.program_update(program=program, user=tpm, version=1, phase="launching")
    assert (updated.phase, updated.version) == ("launching", 2)
    with pytest.raises(StaleWriteError) as error:
        services.program_update(program=program, user=tpm, version=1, phase="done")
    assert error.value.current_version == 2
    program.refresh_from_db()
    assert program.phase == "launching"
    assert program.history.count() == 2


def test_program_update_refuses_fields_it_does_not_own(program, tpm):
    """Health is the engine's to write: the service has no such argument."""
    with pytest.raises(TypeError, match="health_score"):
        services.program_update(program=program, user=tpm, version=1, health_score=100)


def test_every_service_spells_its_arguments():
    """No write hides what it accepts: keyword-only, annotated, no ``**fields``."""
    for name, function in vars(services).items():
        if not inspect.isfunction(function) or function.__module__ != services.__name__:
            continue
        if name.startswith("_"):
            continue
        for parameter in inspect.signature(function).parameters.values():
            assert parameter.kind is inspect.Parameter.KEYWORD_ONLY, (name, parameter.name)
            assert parameter.annotation is not inspect.Parameter.empty, (name, parameter.name)


def test_an_update_writes_only_the_fields_it_is_given(program, tpm):
    """A left-out argument keeps the stored value; None given clears a nullable field."""
    sponsor = program.tpm
    program = services.program_update(program=program, user=tpm, version=1, sponsor=sponsor)
    name = program.name
    updated = services.program_update(
        program=program, user=tpm, version=program.version, sponsor=None
    )
    assert (updated.name, updated.sponsor) == (name, None)
    assert updated.version == 3


def test_milestone_move_records_the_slip_and_keeps_the_baseline(
    program, tpm, django_capture_on_commit_callbacks, changed
):
    milestone = services.milestone_create(
        program=program, user=tpm, name="GA in eu-west", target_date=datetime.date(2026, 12, 1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        moved = services.milestone_move(
            milestone=milestone, user=tpm, version=milestone.version,
            target_date=datetime.date(2026, 12, 15), category="vendor",
            reason="Vendor hardware late",
        )  # fmt: skip
    assert moved.baseline_date == datetime.date(2026, 12, 1)
    assert moved.target_date == datetime.date(2026, 12, 15)
    assert moved.slip_days == 14
    assert moved.times_moved == 1  # the ledger's count, kept on the milestone for the engine
    entry = MilestoneDateChange.objects.get(milestone=milestone)
    assert (entry.from_date, entry.to_date, entry.reason, entry.changed_by) == (
        datetime.date(2026, 12, 1), datetime.date(2026, 12, 15), "Vendor hardware late", tpm,
    )  # fmt: skip
    assert entry.delta_days == 14
    assert changed[-1] == frozenset({program.pk})


@pytest.mark.parametrize(
    ("target", "reason", "field"),
    [
        (datetime.date(2026, 12, 20), "   ", "reason"),
        (datetime.date(2026, 12, 1), "no change", "target_date"),
    ],
)
def test_milestone_move_refuses_a_move_without_reason_or_change(
    program, tpm, target, reason, field
):
    milestone = MilestoneFactory(program=program, baseline_date=datetime.date(2026, 12, 1))
    with pytest.raises(DomainError) as error:
        services.milestone_move(
            milestone=milestone, user=tpm, version=1, target_date=target,
            category="vendor", reason=reason,
        )  # fmt: skip
    assert field in error.value.message_dict
    assert not MilestoneDateChange.objects.exists()


def test_milestone_move_refuses_a_done_milestone(program, tpm):
    milestone = MilestoneFactory(
        program=program, state=MilestoneState.DONE, completed_date=datetime.date(2026, 1, 1)
    )
    with pytest.raises(DomainError):
        services.milestone_move(
            milestone=milestone, user=tpm, version=1,
            target_date=datetime.date(2027, 1, 1), category="vendor", reason="late",
        )  # fmt: skip


def test_milestone_update_cannot_move_dates(program, tpm):
    """Dates are not the edit's to change: moving needs ``milestone_move`` and a reason."""
    milestone = MilestoneFactory(program=program)
    for field in ("target_date", "baseline_date"):
        with pytest.raises(TypeError, match=field):
            services.milestone_update(
                milestone=milestone, user=tpm, version=1, **{field: datetime.date(2030, 1, 1)}
            )


def test_milestone_complete_sets_the_date_and_reopening_clears_it(program, tpm):
    milestone = MilestoneFactory(program=program)
    done = services.milestone_complete(milestone=milestone, user=tpm, version=1)
    assert done.state == MilestoneState.DONE and done.completed_date is not None
    reopened = services.milestone_update(
        milestone=done, user=tpm, version=done.version, state=MilestoneState.IN_PROGRESS
    )
    assert reopened.completed_date is None


def test_milestone_dependencies_across_programs_and_no_cycles(program, tpm):
    upstream = MilestoneFactory()  # another program's milestone
    a = MilestoneFactory(program=program)
    b = services.milestone_create(
        program=program, user=tpm, name="B", target_date=datetime.date(2027, 1, 1),
        depends_on=[a, upstream],
    )  # fmt: skip
    assert set(b.depends_on.all()) == {a, upstream}
    with pytest.raises(DomainError) as error:
        services.milestone_update(milestone=a, user=tpm, version=a.version, depends_on=[b])
    assert "cycle" in str(error.value)
    with pytest.raises(DomainError):
        services.milestone_update(milestone=a, user=tpm, version=a.version, depends_on=[a])


def test_status_update_restarts_the_freshness_clock(program, tpm):
    update = services.status_update_post(
        program=program, user=tpm, reported_health="at_risk", summary="Vendor delay."
    )
    program.refresh_from_db()
    assert program.last_update_at == update.created_at


def test_status_update_needs_a_summary_and_a_valid_health(program, tpm):
    with pytest.raises(ValidationError) as error:
        services.status_update_post(program=program, user=tpm, reported_health="purple", summary="")
    assert {"reported_health", "summary"} <= set(error.value.message_dict)


def test_risk_lifecycle_and_bounds(program, tpm):
    with pytest.raises(ValidationError) as error:
        services.risk_create(program=program, user=tpm, title="Bad", likelihood=9, impact=0)
    assert {"likelihood", "impact"} <= set(error.value.message_dict)
    risk = services.risk_create(program=program, user=tpm, title="Vendor", likelihood=4, impact=5)
    assert risk.exposure == 20
    closed = services.risk_close(risk=risk, user=tpm, version=risk.version)
    assert closed.state == RiskState.CLOSED and closed.closed_at is not None
    reopened = services.risk_update(risk=closed, user=tpm, version=closed.version, state="open")
    assert reopened.closed_at is None
    assert Risk.history.filter(id=risk.pk).count() == 3


def test_decision_records_who_recorded_it(program, tpm):
    decision = services.decision_record(
        program=program, user=tpm, title="Use anycast", outcome="Anycast it is.",
        decided_on=datetime.date(2026, 11, 20),
    )  # fmt: skip
    assert decision.recorded_by == tpm


def test_membership_remove_keeps_the_tpm(program, tpm, engineer):
    membership = services.membership_set(
        program=program, member=engineer, role="eng_lead", user=tpm
    )
    assert membership.role == "eng_lead"
    services.membership_remove(membership=membership, user=tpm)
    tpm_membership = MembershipFactory(program=program, user=tpm, role="tpm")
    with pytest.raises(DomainError):
        services.membership_remove(membership=tpm_membership, user=tpm)


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_edits_of_the_same_version_never_both_apply(tpm):
    """Two writers holding version 1 race; the row lock lets exactly one through."""
    risk = RiskFactory(title="Race", program__tpm=tpm)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def edit(title: str) -> None:
        try:
            barrier.wait()
            services.risk_update(
                risk=Risk.objects.get(pk=risk.pk), user=tpm, version=1, title=title
            )
            outcomes.append("applied")
        except StaleWriteError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=edit, args=(t,)) for t in ("A", "B")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["applied", "refused"]
    risk.refresh_from_db()
    assert risk.version == 2 and risk.title in ("A", "B")


def test_a_program_named_new_gets_a_slug_that_is_not_a_page(tpm):
    program = services.program_create(
        user=tpm, name="New", portfolio=PortfolioFactory(), tpm=tpm,
        start_date=datetime.date(2026, 1, 1), target_date=datetime.date(2026, 6, 1),
    )  # fmt: skip
    assert program.slug == "new-2"
