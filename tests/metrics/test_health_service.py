"""Loading the engine's inputs, storing results in bulk, the command and the on-change hook."""

import dataclasses
import datetime
import time
from io import StringIO
from typing import NamedTuple

import orjson
import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.queries import json_lists_by
from metrics import health, selectors
from metrics import services as metric_services
from metrics.models import HealthPolicy, HealthSnapshot, MetricReading, SuccessMetric
from metrics.services import health_recompute
from programs import services
from programs.models import Milestone, MilestoneDateChange, Program, Risk, StatusUpdate
from tests.factories import (
    HealthPolicyFactory,
    MilestoneFactory,
    PortfolioFactory,
    ProgramFactory,
    RiskFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 25)


def bulk_programs(n: int, *, prefix: str) -> list[int]:
    """n programs with milestones (one slipped, one depending on the previous program's), a
    risk, an update and a metric with a reading: every table the selector reads, in bulk."""
    tpm = UserFactory()
    portfolio = PortfolioFactory()
    programs = Program.objects.bulk_create(
        Program(
            name=f"{prefix} {i}",
            slug=f"{prefix}-{i}",
            portfolio=portfolio,
            tpm=tpm,
            phase="executing",
            start_date=TODAY - datetime.timedelta(days=100),
            target_date=TODAY + datetime.timedelta(days=100),
        )  # fmt: skip
        for i in range(n)
    )
    milestones = Milestone.objects.bulk_create(
        Milestone(
            program=p,
            name=f"M{i}-{k}",
            baseline_date=TODAY - datetime.timedelta(days=10),
            target_date=TODAY + datetime.timedelta(days=k * 5 - 5),
            state="in_progress",
            critical=k == 0,
            times_moved=k,  # the second one is moved once, below
        )  # fmt: skip
        for i, p in enumerate(programs)
        for k in range(2)
    )
    MilestoneDateChange.objects.bulk_create(
        MilestoneDateChange(
            milestone=m,
            from_date=m.baseline_date,
            to_date=m.target_date,
            category="other",
            reason="late",
        )
        for m in milestones[1::2]
    )
    through = Milestone.depends_on.through
    through.objects.bulk_create(
        through(from_milestone_id=milestones[i].pk, to_milestone_id=milestones[i - 2].pk)
        for i in range(2, len(milestones), 2)
    )
    Risk.objects.bulk_create(Risk(program=p, title="R", likelihood=4, impact=4) for p in programs)
    StatusUpdate.objects.bulk_create(
        StatusUpdate(program=p, author=tpm, reported_health="on_track", summary="fine")
        for p in programs
    )
    metrics = SuccessMetric.objects.bulk_create(
        SuccessMetric(
            program=p,
            name="Hosts",
            baseline_value=0,
            target_value=100,
            baseline_date=TODAY - datetime.timedelta(days=50),
            target_date=TODAY + datetime.timedelta(days=50),
        )  # fmt: skip
        for p in programs
    )
    MetricReading.objects.bulk_create(
        MetricReading(metric=m, value=10, measured_on=TODAY) for m in metrics
    )
    return [p.pk for p in programs]


def test_selector_reads_a_fixed_number_of_queries_at_10_and_1000_programs():
    small = bulk_programs(10, prefix="small")
    large = bulk_programs(1000, prefix="large")
    with CaptureQueriesContext(connection) as at_10:
        inputs_small = selectors.health_inputs(small, today=TODAY)
    with CaptureQueriesContext(connection) as at_1000:
        inputs_large = selectors.health_inputs(range(large[0], large[-1] + 1), today=TODAY)
    assert len(at_10) == len(at_1000) == 8
    assert ">=" in at_1000[0]["sql"] and " IN (" not in at_1000[0]["sql"]  # a run of ids
    assert len(inputs_small) == 10 and len(inputs_large) == 1000
    sample = inputs_large[5]
    assert len(sample.risks) == 1
    assert sample.metrics[0].latest_value == 10
    assert sample.reported_health == "on_track"
    # Listed: the overdue critical milestone, which also waits on the previous program's.
    # Summarised: the one due today, on time but 10 days later than its baseline.
    (listed,) = sample.milestones
    assert listed.critical and listed.upstream[0].program_name == "large 4"
    assert sample.unlisted_slip_days == 10
    assert (sample.unlisted_open, sample.open_milestones, sample.has_dependencies) == (1, 2, True)


def reference_inputs(today) -> list[health.ProgramInput]:
    """Every milestone of every program, loaded the plain way (one object at a time): what the
    engine would see without the selector's summarising."""
    inputs = []
    for p in Program.objects.order_by("pk").prefetch_related(
        "milestones__depends_on__program", "milestones__date_changes"
    ):
        milestones = tuple(
            health.MilestoneInput(
                m.pk,
                m.name,
                m.baseline_date,
                m.target_date,
                m.state,
                m.critical,
                None,
                timezone.localtime(m.created_at).date(),
                len(m.date_changes.all()),
                tuple(
                    health.UpstreamInput(
                        u.pk, u.name, u.program.name, u.target_date, u.state, u.critical
                    )
                    for u in sorted(m.depends_on.all(), key=lambda u: u.pk)
                    if health.upstream_is_trouble(m, u, today)
                ),
            )  # fmt: skip
            for m in sorted(p.milestones.all(), key=lambda m: m.pk)
        )
        loaded = selectors.health_inputs([p.pk], today=today)[0]
        inputs.append(
            dataclasses.replace(
                loaded,
                milestones=milestones,
                unlisted_slip_days=0,
                unlisted_open=0,
                unlisted_count=0,
            )
        )
    return inputs


def test_the_selector_loads_what_scores_like_every_milestone():
    """The SQL that picks notable milestones agrees with ``health.summarise`` on demo data."""
    call_command("seed_demo", "--programs", "60", "--today", TODAY.isoformat(), stdout=StringIO())
    full = reference_inputs(TODAY)
    ids = [p.id for p in full]
    loaded = selectors.health_inputs(range(ids[0], ids[-1] + 1), today=TODAY)
    assert [p.id for p in loaded] == ids
    assert sum(len(p.milestones) for p in loaded) < sum(len(p.milestones) for p in full) / 2
    for short, whole in zip(loaded, full, strict=True):
        assert health.compute(short, today=TODAY) == health.compute(whole, today=TODAY)


def test_full_recompute_queries_grow_with_chunks_not_programs(count_queries):
    ids = bulk_programs(30, prefix="p")
    one_chunk = count_queries(lambda: health_recompute(program_ids=ids, today=TODAY))
    assert Program.objects.filter(health_score__isnull=False).count() == 30
    # Load (8) + the policies and the forecast's slip factor (2) + the grades before (1, for
    # the grade-change and watermelon events) + score update (1) + snapshot upsert (1), plus
    # savepoints.
    assert one_chunk <= 15


def test_the_full_recompute_writes_only_what_changed():
    ids = bulk_programs(3, prefix="p")
    assert health_recompute(today=TODAY) == (3, 3, 3)
    # That run graded the programs, which their dependants read as inputs: the next run takes
    # note of those inputs. After it, nothing moves until something is edited.
    health_recompute(today=TODAY)
    stamps = list(Program.objects.order_by("pk").values_list("health_computed_at", flat=True))
    snapshots = list(HealthSnapshot.objects.order_by("pk").values_list("computed_at", "score"))
    with CaptureQueriesContext(connection) as again:
        assert health_recompute(today=TODAY) == (3, 0, 0)
    # Unchanged snapshots (same digests) are not even sent, nor their programs' scores.
    assert not [q for q in again if q["sql"].startswith(("INSERT", "UPDATE"))]
    assert (
        list(Program.objects.order_by("pk").values_list("health_computed_at", flat=True)) == stamps
    )
    assert (
        list(HealthSnapshot.objects.order_by("pk").values_list("computed_at", "score")) == snapshots
    )
    # A score row out of step with its snapshot (say, an edit's recompute was lost) is mended.
    Program.objects.filter(pk=ids[2]).update(health_score=None, health_grade="")
    assert health_recompute(today=TODAY) == (3, 1, 1)
    assert Program.objects.get(pk=ids[2]).health_score == snapshots[2][1]
    RiskFactory(program=Program.objects.get(pk=ids[0]), title="Vendor", likelihood=5, impact=5)
    assert health_recompute(today=TODAY) == (3, 1, 1)
    changed = HealthSnapshot.objects.get(program_id=ids[0])
    assert changed.score < snapshots[0][1] and changed.computed_at > snapshots[0][0]
    # A named program (after an edit) is written even when its score stands: "updated" is now.
    health_recompute(program_ids=[ids[1]], today=TODAY)
    assert Program.objects.get(pk=ids[1]).health_computed_at > stamps[1]


def test_the_full_recompute_scores_again_only_programs_whose_inputs_changed(monkeypatch):
    """Within a day the scheduled run skips programs whose inputs, policy and engine are what
    today's snapshot came from; a new day, a policy change or an edited input is scored."""
    ids = bulk_programs(3, prefix="p")
    scored: list[int] = []
    real_compute = health.compute

    def counting_compute(program, **kwargs):
        scored.append(program.id)
        return real_compute(program, **kwargs)

    monkeypatch.setattr(health, "compute", counting_compute)
    health_recompute(today=TODAY)
    health_recompute(today=TODAY)  # the first run's grades are dependants' inputs
    scored.clear()
    health_recompute(today=TODAY)
    assert scored == []
    RiskFactory(program=Program.objects.get(pk=ids[1]), title="Vendor", likelihood=5, impact=5)
    health_recompute(today=TODAY)
    assert scored == [ids[1]]
    scored.clear()
    health_recompute(program_ids=[ids[0]], today=TODAY)  # a named program: always scored
    assert scored == [ids[0]]
    scored.clear()
    HealthPolicyFactory(green_at=90)  # the default policy, edited in admin
    health_recompute(today=TODAY)
    assert sorted(scored) == ids
    scored.clear()
    health_recompute(today=TODAY + datetime.timedelta(days=1))
    assert sorted(scored) == ids
    # What was skipped is what scoring would have given: scored afresh, nothing changes.
    before = list(HealthSnapshot.objects.order_by("pk").values_list("digest", "score", "reasons"))
    health_recompute(program_ids=ids, today=TODAY + datetime.timedelta(days=1))
    after = list(HealthSnapshot.objects.order_by("pk").values_list("digest", "score", "reasons"))
    assert after == before


def test_recompute_is_idempotent_and_keeps_one_snapshot_per_day():
    ids = bulk_programs(3, prefix="p")
    health_recompute(program_ids=ids, today=TODAY)
    first = list(
        HealthSnapshot.objects.order_by("program_id").values(
            "program_id", "day", "score", "reasons"
        )
    )
    health_recompute(program_ids=ids, today=TODAY)
    again = list(
        HealthSnapshot.objects.order_by("program_id").values(
            "program_id", "day", "score", "reasons"
        )
    )
    assert first == again and len(again) == 3
    health_recompute(program_ids=ids, today=TODAY + datetime.timedelta(days=1))
    assert HealthSnapshot.objects.count() == 6


def test_scores_reasons_and_watermelon_are_stored(tpm):
    program = ProgramFactory(tpm=tpm, start_date=TODAY - datetime.timedelta(days=200))
    MilestoneFactory(
        program=program, name="GA in eu-west", critical=True, state="in_progress",
        baseline_date=TODAY - datetime.timedelta(days=40), target_date=TODAY - datetime.timedelta(days=40),
    )  # fmt: skip
    services.status_update_post(
        program=program, user=tpm, reported_health="on_track", summary="All green!"
    )
    health_recompute(program_ids=[program.pk], today=TODAY)
    program.refresh_from_db()
    snapshot = HealthSnapshot.objects.get(program=program)
    assert program.health_score == snapshot.score and program.health_grade == snapshot.grade
    assert (program.health_grade, program.health_cause, program.health_stale) == (
        "red", "schedule", False,
    )  # fmt: skip
    assert program.health_watermelon and snapshot.watermelon and not snapshot.stale
    # Stored structured; the sentence is rendered from it.
    assert snapshot.reasons[0] == {
        "family": "schedule",
        "severity": "red",
        "code": "critical_overdue",
        "subject_id": program.milestones.get().pk,
        "subject": "GA in eu-west",
        "figures": {"days": 40},
        "cost": 100.0,
    }
    assert health.reason_text(snapshot.reasons[0]) == (
        "Critical milestone 'GA in eu-west' is 40 days overdue"
    )
    assert snapshot.forecast["milestone"] == "GA in eu-west"


def test_done_programs_are_not_scored():
    program = ProgramFactory(phase="done", health_score=10, health_grade="red")
    health_recompute(program_ids=[program.pk], today=TODAY)
    program.refresh_from_db()
    assert (program.health_score, program.health_grade) == (None, "")
    assert not HealthSnapshot.objects.filter(program=program).exists()


def test_a_portfolio_policy_overrides_the_default():
    strict = PortfolioFactory()
    # In planning: no milestones yet is no signal.
    lenient = ProgramFactory(phase="planning", start_date=TODAY - datetime.timedelta(days=10))
    graded = ProgramFactory(
        portfolio=strict, phase="planning", start_date=TODAY - datetime.timedelta(days=10)
    )
    for program in (lenient, graded):
        RiskFactory(program=program, title="Vendor", likelihood=3, impact=4)
    # The strict portfolio counts likelihood x impact 12 as high, and one such risk as red.
    HealthPolicyFactory(portfolio=strict, high_risk_exposure=12, high_risks_for_red=1)
    health_recompute(program_ids=[lenient.pk, graded.pk], today=TODAY)
    lenient.refresh_from_db()
    graded.refresh_from_db()
    assert (lenient.health_grade, lenient.health_cause) == ("green", "")
    assert (graded.health_grade, graded.health_cause) == ("red", "risk")


def test_every_engine_threshold_is_a_health_policy_field():
    """Adding a threshold to the engine's Policy without a HealthPolicy column (or the other
    way round) is caught here: admins tune every threshold, and the defaults agree."""
    engine_fields = {f.name: f.default for f in dataclasses.fields(health.Policy)}
    engine_fields.pop("weights")
    engine_fields.pop("forecast_slip_factor")  # set by the tuning (metrics.tuning), not admins
    model_fields = {
        f.name: f.default for f in HealthPolicy._meta.get_fields() if hasattr(f, "default")
    }
    for name, default in engine_fields.items():
        assert name in model_fields, f"HealthPolicy has no field {name}"
        assert model_fields[name] == default, name
    thresholds = set(selectors.POLICY_THRESHOLDS)
    assert thresholds == set(engine_fields)
    row = HealthPolicy(**dict.fromkeys(thresholds, 9), portfolio=None)
    assert selectors._policy_from_row(row) == health.Policy(
        weights=row.weights(), **dict.fromkeys(thresholds, 9)
    )


def test_edits_recompute_health_on_commit(tpm, django_capture_on_commit_callbacks):
    """In the embedded default (eager Celery) an edit recomputes its program right away."""
    program = ProgramFactory(tpm=tpm)
    with django_capture_on_commit_callbacks(execute=True):
        services.risk_create(program=program, user=tpm, title="Vendor", likelihood=5, impact=5)
    program.refresh_from_db()
    assert program.health_score is not None and program.health_score < 100
    assert HealthSnapshot.objects.get(program=program).day == timezone.localdate()


def test_recompute_health_command(capsys):
    ids = bulk_programs(3, prefix="cmd")
    call_command("recompute_health")
    out = capsys.readouterr().out
    assert "Recomputed 3 programs" in out and "3 scored" in out
    assert Program.objects.filter(pk__in=ids, health_score__isnull=False).count() == 3
    call_command("recompute_health", "--program", "cmd-1")
    with pytest.raises(Exception, match="No program with slug"):
        call_command("recompute_health", "--program", "nope")


def test_an_unapproved_launch_soon_costs_launch_readiness(tpm, engineer):
    """The launch-review data from reviews feeds the engine's launch-readiness component."""
    from reviews.launch import services as review_services
    from tests.factories import ChecklistItemFactory, ChecklistTemplateFactory

    template = ChecklistTemplateFactory(
        name="Tier 1 for this test", tier=1, version=99, active=False
    )
    ChecklistItemFactory(template=template, question="SLOs defined?")
    ChecklistItemFactory(template=template, question="Rollback tested?")
    template.__class__.objects.filter(tier=1).update(active=False)
    template.__class__.objects.filter(pk=template.pk).update(active=True)
    program = ProgramFactory(tpm=tpm, start_date=TODAY - datetime.timedelta(days=100))
    launch_day = timezone.localdate() + datetime.timedelta(days=3)
    review_services.launch_review_create(
        program=program, user=engineer, title="GA in eu-west", launch_date=launch_day, tier=1
    )
    health_recompute(program_ids=[program.pk])
    snapshot = HealthSnapshot.objects.get(program=program)
    assert snapshot.components["launch_readiness"] < 100
    assert snapshot.grade == "red"
    assert health.reason_text(snapshot.reasons[0]) == (
        "Launch 'GA in eu-west' in 3 days is not approved, with 2 required checklist items open"
    )


def _backends(at_most: int | None = None) -> int:
    """Server processes on the test database; with ``at_most``, waits up to 5 s for the count to
    fall that low (a backend leaves pg_stat_activity a moment after its client closes)."""
    deadline = time.monotonic() + 5
    while True:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            )
            count = cursor.fetchone()[0]
        if at_most is None or count <= at_most or time.monotonic() > deadline:
            return count
        time.sleep(0.05)


@pytest.mark.django_db(transaction=True)
def test_a_full_recompute_in_many_chunks_loads_ahead_and_scores_like_one_chunk():
    """Chunks of 2: from the second on, two threads (each its own connection) load the next
    chunks while this one is written. Committed data, so those threads see it."""
    ids = bulk_programs(7, prefix="p")
    health_recompute(today=TODAY, chunk_size=100)
    one_chunk = list(
        HealthSnapshot.objects.order_by("program_id").values_list("program_id", "score", "reasons")
    )
    HealthSnapshot.objects.all().delete()
    Program.objects.update(health_score=None, health_grade="")
    progress = []
    backends_before = _backends()
    assert health_recompute(today=TODAY, chunk_size=2, progress=progress.append) == (7, 7, 7)
    assert progress == [2, 4, 6, 7]
    assert _backends(at_most=backends_before) == backends_before  # threads left none open
    assert (
        list(
            HealthSnapshot.objects.order_by("program_id").values_list(
                "program_id", "score", "reasons"
            )
        )
        == one_chunk
    )
    assert [row[0] for row in one_chunk] == ids


# --- One declaration per input, one source for the snapshot's columns ----------------------


def test_every_snapshot_field_is_written_by_the_upsert(tpm):
    """The upsert writes the model's every column: a field added to HealthSnapshot and not
    computed by ``_snapshot`` fails here, instead of being silently left at its default."""
    program = ProgramFactory(tpm=tpm)
    (result,) = [
        health.compute(p, today=TODAY) for p in selectors.health_inputs([program.pk], today=TODAY)
    ]
    written = metric_services._snapshot(result, "on_track", "digest", TODAY, timezone.now())
    columns = {f.column for f in HealthSnapshot._meta.concrete_fields if not f.primary_key}
    assert set(written) == columns == set(metric_services.SNAPSHOT_COLUMNS)
    assert metric_services.CONFLICT_COLUMNS == ("program_id", "day")
    assert metric_services.JSON_COLUMNS == {"components", "reasons", "forecast"}


def test_each_engine_record_is_declared_once_and_fully_loaded():
    """Every field of every engine record is loaded from a column (its own name unless the
    declaration names another) or supplied by the loader: none is left at its default."""
    declared = {
        selectors.PROGRAM_INPUT: health.ProgramInput,
        selectors.UPSTREAM_INPUT: health.UpstreamInput,
        selectors.MILESTONE_INPUT: health.MilestoneInput,
        selectors.RISK_INPUT: health.RiskInput,
        selectors.METRIC_INPUT: health.MetricInput,
        selectors.LAUNCH_INPUT: health.LaunchInput,
    }
    supplied = {
        health.ProgramInput: {"id", "milestones", "risks", "metrics", "launches",
                              "unlisted_slip_days", "unlisted_open", "unlisted_count",
                              "has_dependencies"},
        health.MilestoneInput: {"upstream"},
    }  # fmt: skip
    for engine_input, record in declared.items():
        names = [f.name for f in dataclasses.fields(record)] if dataclasses.is_dataclass(record) else list(record._fields)  # fmt: skip
        assert engine_input.record is record
        assert list(engine_input.fields) == [n for n in names if n in engine_input.fields]
        assert set(names) - set(engine_input.fields) == supplied.get(record, set())
    with pytest.raises(ValueError, match="no field nope"):
        selectors.EngineInput(health.RiskInput, {"nope": "title"})


def test_a_new_engine_field_named_like_its_column_is_loaded_with_its_type(tpm):
    """Adding an input is one edit: a field named like its column is selected and converted
    (a date from the JSON text, a float) with nothing else to change."""

    class Probe(NamedTuple):
        id: int
        name: str
        target_date: datetime.date
        completed_date: datetime.date | None
        times_moved: float

    program = ProgramFactory(tpm=tpm)
    milestone = MilestoneFactory(program=program, target_date=TODAY, times_moved=2)
    probe = selectors.EngineInput(Probe)
    texts = json_lists_by(
        Milestone.objects.filter(program=program), "program_id", probe.columns, ("id",)
    )
    (row,) = probe.rows(texts[program.pk])
    assert Probe._make(row) == Probe(milestone.pk, milestone.name, TODAY, None, 2.0)
    assert isinstance(row[4], float)


def test_the_engine_version_and_the_policy_key_the_inputs_digest():
    """A program is scored again when the engine's version changes (see health.ENGINE_VERSION)."""
    policy = health.Policy()
    key = metric_services._policy_key(policy)
    assert orjson.loads(key)["engine"] == health.ENGINE_VERSION
    assert metric_services._policy_key(dataclasses.replace(policy, green_at=80)) != key
