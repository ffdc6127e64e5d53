"""The analytics schema: its views agree with the ORM, stay in step with views.sql, and the
analysts' role reads them and nothing else."""

import datetime
import importlib
import os
import re
from decimal import Decimal
from pathlib import Path

import psycopg2
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.utils import ConnectionHandler
from django.utils import timezone

from metrics.analytics import install
from metrics.analytics.roles import AnalyticsRoleError, grant_analytics_role
from metrics.models import HealthSnapshot
from programs.models import Milestone, MilestoneDateChange, Program, StatusUpdate, Team
from reviews.models import (
    ActionItem,
    CapacityBudget,
    CapacityRequest,
    LaunchReview,
    LaunchReviewItem,
    OperationalReview,
    SignOff,
)
from tests.factories import (
    ActionItemFactory,
    CapacityBudgetFactory,
    CapacityRequestFactory,
    HealthSnapshotFactory,
    LaunchReviewFactory,
    LaunchReviewItemFactory,
    MilestoneDateChangeFactory,
    MilestoneFactory,
    OperationalReviewFactory,
    PortfolioFactory,
    ProgramFactory,
    SignOffFactory,
    StatusUpdateFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 10, 1)


def at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def select(sql: str, params: list | None = None) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return cursor.fetchall()


def build_world() -> dict:
    """Two programs (one confidential) with a bit of every kind of row the views read."""
    tpm = UserFactory(username="tina.tpm", email="tina@example.com", roles=["TPM"])
    infra = PortfolioFactory(slug="infra", name="Infrastructure")
    storage, network = TeamFactory(slug="storage"), TeamFactory(slug="network")
    storage.members.add(tpm)
    public = ProgramFactory(slug="fleet", tpm=tpm, portfolio=infra, priority=1)
    secret = ProgramFactory(slug="nightjar", tpm=tpm, portfolio=infra, confidential=True)
    public.teams.add(storage, network)
    secret.teams.add(storage)
    upstream = MilestoneFactory(
        program=secret, owner_team=network, baseline_date=DAY, target_date=DAY
    )
    moved = MilestoneFactory(
        program=public, owner_team=storage, baseline_date=DAY,
        target_date=DAY + datetime.timedelta(days=10), depends_on=[upstream],
    )  # fmt: skip
    MilestoneFactory(program=public, baseline_date=DAY, target_date=DAY, completed_date=DAY,
                     state="done")  # fmt: skip
    slip = MilestoneDateChangeFactory(
        milestone=moved, from_date=DAY, to_date=DAY + datetime.timedelta(days=14),
        category="vendor", reason="Racks late",
    )  # fmt: skip
    MilestoneDateChangeFactory(
        milestone=moved, from_date=DAY + datetime.timedelta(days=14),
        to_date=DAY + datetime.timedelta(days=10), category="estimate", reason="Pulled in",
    )  # fmt: skip
    MilestoneDateChange.objects.filter(pk=slip.pk).update(changed_at=at(DAY))
    StatusUpdateFactory(program=public, author=tpm, reported_health="at_risk", summary="Late")
    StatusUpdateFactory(program=secret, author=tpm)
    HealthSnapshotFactory(
        program=public, day=DAY, score=61, grade="yellow",
        components={"schedule": 55, "freshness": 100, "risk": 80},
        reasons=[
            {"family": "schedule", "severity": "yellow", "code": "milestone_overdue",
             "subject_id": moved.pk, "subject": "Canary", "figures": {"days": 9}, "cost": 45.0},
            {"family": "risk", "severity": "watch", "code": "high_risk", "subject_id": None,
             "subject": "", "figures": {"count": 1}, "cost": 20.0},
        ],
        forecast={"milestone_id": moved.pk, "milestone": "Canary",
                  "target_date": "2026-10-11", "forecast_date": "2026-10-20", "days_late": 9},
    )  # fmt: skip
    HealthSnapshotFactory(program=secret, day=DAY, reasons=[])
    review = LaunchReviewFactory(
        program=public, launch_date=DAY, state="approved",
        submitted_at=at(DAY - datetime.timedelta(days=6)), decided_at=at(DAY - datetime.timedelta(days=3), 22),
    )  # fmt: skip
    review.launch_date = DAY + datetime.timedelta(days=7)  # a second history row: moved once
    review.save()
    reviewer = UserFactory(username="rita.reviewer", email="rita@example.com", roles=["Reviewer"])
    SignOffFactory(review=review, reviewer=reviewer, area="security", decision="changes_requested",
                   comment="Rollback untested", superseded=True)  # fmt: skip
    SignOffFactory(review=review, reviewer=reviewer, area="security")
    LaunchReviewItemFactory(review=review, answered=True)
    LaunchReviewItemFactory(review=review, area="security", required=False)
    LaunchReviewItemFactory(review=LaunchReviewFactory(program=secret))
    CapacityRequestFactory(
        program=public, team=storage, requester=tpm, amount=Decimal("40"), state="approved",
        approved_amount=Decimal("25"), override_reason="Over budget: launch week",
        submitted_at=at(DAY - datetime.timedelta(days=4)), decided_at=at(DAY - datetime.timedelta(days=1)),
    )  # fmt: skip
    CapacityRequestFactory(program=secret, team=network, requester=tpm)
    CapacityBudgetFactory(team=storage, quarter="2026-Q4", amount=Decimal("100"))
    CapacityBudgetFactory(team=network, quarter="2026-Q4", amount=Decimal("50"))
    opened = OperationalReviewFactory(date=DAY, portfolio=infra)
    closing = OperationalReviewFactory(date=DAY + datetime.timedelta(days=7), portfolio=infra)
    ActionItemFactory(
        created_in=opened, owner=tpm, program=public, state="done", closed_in=closing,
        closed_by=tpm, closed_at=at(DAY + datetime.timedelta(days=7), 11),
    )  # fmt: skip
    ActionItemFactory(created_in=opened, owner=tpm, program=secret)
    ActionItemFactory(created_in=closing, owner=reviewer)
    return {"public": public, "secret": secret, "moved": moved, "review": review}


@pytest.fixture
def world():
    return build_world()


# Each view against the ORM: (view, ORM rows, SQL columns, the same columns from the ORM).
def orm_expectations() -> dict[str, tuple[str, list[tuple]]]:
    return {
        "programs": (
            "program_id, slug, portfolio_slug, tpm, priority_label, confidential",
            [
                (p.pk, p.slug, p.portfolio.slug, p.tpm.username, f"P{p.priority}", p.confidential)
                for p in Program.objects.order_by("pk")
            ],
        ),
        "teams": (
            "team_id, slug, member_count",
            [(t.pk, t.slug, t.members.count()) for t in Team.objects.order_by("pk")],
        ),
        "program_teams": (
            "program_id, team_id, confidential",
            sorted(
                (p.pk, t.pk, p.confidential) for p in Program.objects.all() for t in p.teams.all()
            ),
        ),
        "milestones": (
            "milestone_id, program_id, owner_team_slug, baseline_date, target_date, slip_days, "
            "completed_date, confidential",
            [
                (
                    m.pk,
                    m.program_id,
                    m.owner_team.slug if m.owner_team else None,
                    m.baseline_date,
                    m.target_date,
                    m.slip_days,
                    m.completed_date,
                    m.program.confidential,
                )
                for m in Milestone.objects.order_by("pk")
            ],  # fmt: skip
        ),
        "milestone_dependencies": (
            "milestone_id, depends_on_milestone_id, confidential",
            sorted(
                (m.pk, d.pk, m.program.confidential or d.program.confidential)
                for m in Milestone.objects.all()
                for d in m.depends_on.all()
            ),
        ),
        "milestone_moves": (
            "move_id, milestone_id, program_id, owner_team_slug, changed_by, changed_on, "
            "from_date, to_date, delta_days, is_slip, category, reason, confidential",
            [
                (
                    c.pk,
                    c.milestone_id,
                    c.milestone.program_id,
                    c.milestone.owner_team.slug,
                    c.changed_by.username,
                    timezone.localdate(c.changed_at),
                    c.from_date,
                    c.to_date,
                    c.delta_days,
                    c.delta_days > 0,
                    c.category,
                    c.reason,
                    c.milestone.program.confidential,
                )
                for c in MilestoneDateChange.objects.order_by("pk")
            ],  # fmt: skip
        ),
        "status_updates": (
            "update_id, program_id, author, reported_health, summary, confidential",
            [
                (
                    s.pk,
                    s.program_id,
                    s.author.username,
                    s.reported_health,
                    s.summary,
                    s.program.confidential,
                )
                for s in StatusUpdate.objects.order_by("pk")
            ],  # fmt: skip
        ),
        "health_snapshots": (
            "snapshot_id, program_id, day, score, grade, schedule_points, risk_points, "
            "launch_readiness_points, reason_count, forecast_date, confidential",
            [
                (
                    h.pk,
                    h.program_id,
                    h.day,
                    h.score,
                    h.grade,
                    h.components.get("schedule"),
                    h.components.get("risk"),
                    h.components.get("launch_readiness"),
                    len(h.reasons),
                    datetime.date.fromisoformat(h.forecast["forecast_date"])
                    if h.forecast
                    else None,
                    h.program.confidential,
                )
                for h in HealthSnapshot.objects.order_by("pk")
            ],  # fmt: skip
        ),
        "health_reasons": (
            "snapshot_id, position, family, severity, code, subject_id, subject, cost, confidential",
            [
                (
                    h.pk,
                    n,
                    r["family"],
                    r["severity"],
                    r["code"],
                    r["subject_id"],
                    r["subject"] or None,
                    Decimal(str(r["cost"])),
                    h.program.confidential,
                )
                for h in HealthSnapshot.objects.order_by("pk")
                for n, r in enumerate(h.reasons, start=1)
            ],  # fmt: skip
        ),
        "launch_reviews": (
            "review_id, program_id, state, launch_date, first_launch_date, author, confidential",
            [
                (
                    r.pk,
                    r.program_id,
                    r.state,
                    r.launch_date,
                    r.history.earliest("history_date").launch_date,
                    r.author.username,
                    r.program.confidential,
                )
                for r in LaunchReview.objects.order_by("pk")
            ],  # fmt: skip
        ),
        "launch_review_sign_offs": (
            "sign_off_id, review_id, area, reviewer, decision, superseded, confidential",
            [
                (
                    s.pk,
                    s.review_id,
                    s.area,
                    s.reviewer.username,
                    s.decision,
                    s.superseded,
                    s.review.program.confidential,
                )
                for s in SignOff.objects.order_by("pk")
            ],  # fmt: skip
        ),
        "launch_review_items": (
            "item_id, review_id, area, required, status, answered_by, confidential",
            [
                (
                    i.pk,
                    i.review_id,
                    i.area,
                    i.required,
                    i.status,
                    i.answered_by.username if i.answered_by else None,
                    i.review.program.confidential,
                )
                for i in LaunchReviewItem.objects.order_by("pk")
            ],  # fmt: skip
        ),
        "capacity_requests": (
            "request_id, team_slug, amount, approved_amount, state, overridden, override_reason, "
            "submitted_to_decided_days, confidential",
            [
                (
                    c.pk,
                    c.team.slug,
                    c.amount,
                    c.approved_amount,
                    c.state,
                    bool(c.override_reason),
                    c.override_reason or None,
                    Decimal((c.decided_at - c.submitted_at).total_seconds() / 86400).quantize(
                        Decimal("0.01")
                    )
                    if c.decided_at
                    else None,
                    c.program.confidential,
                )
                for c in CapacityRequest.objects.order_by("pk")
            ],  # fmt: skip
        ),
        "capacity_budgets": (
            "budget_id, team_slug, quarter, resource_kind, amount",
            [
                (b.pk, b.team.slug, b.quarter, b.resource_kind, b.amount)
                for b in CapacityBudget.objects.order_by("pk")
            ],
        ),
        "operational_reviews": (
            "review_id, date, portfolio_slug, decisions_recorded, action_items_opened, "
            "action_items_closed",
            [
                (
                    o.pk,
                    o.date,
                    o.portfolio.slug if o.portfolio else None,
                    o.decisions.count(),
                    ActionItem.objects.filter(created_in=o).count(),
                    ActionItem.objects.filter(closed_in=o).count(),
                )
                for o in OperationalReview.objects.order_by("pk")
            ],  # fmt: skip
        ),
        "action_items": (
            "action_item_id, owner, state, opened_on, closed_on, days_to_close, confidential",
            [
                (
                    a.pk,
                    a.owner.username,
                    a.state,
                    a.created_in.date,
                    timezone.localdate(a.closed_at) if a.closed_at else None,
                    (timezone.localdate(a.closed_at) - a.created_in.date).days
                    if a.closed_at
                    else None,
                    bool(a.program and a.program.confidential),
                )
                for a in ActionItem.objects.order_by("pk")
            ],  # fmt: skip
        ),
    }


def test_every_view_is_checked_here_and_installed():
    assert sorted(orm_expectations()) == sorted(install.view_names())
    assert install.installed_views(connection) == set(install.view_names())
    assert install.is_current(connection)


def test_the_data_dictionary_names_every_column_of_every_view():
    """docs/analytics.md has a section per view whose table names each of its columns (a
    row may name several: ``| snapshot_id, program_id |``, ``| created_at / created_on |``), and no column that is gone."""
    text = (Path(settings.BASE_DIR) / "docs" / "analytics.md").read_text()
    documented: dict[str, set[str]] = {}
    for section in re.split(r"^### ", text, flags=re.MULTILINE)[1:]:
        view = re.match(r"`(\w+)`", section)
        rows = re.findall(r"^\| ([a-z_, /]+) \|", section, flags=re.MULTILINE)
        if view:
            names = {n.strip() for row in rows for n in re.split(r"[,/]", row)}
            documented[view.group(1)] = names - {"column"}  # the table's header
    actual = {}
    with connection.cursor() as cursor:
        for view in install.view_names():
            cursor.execute(f"SELECT * FROM analytics.{view} LIMIT 0")  # noqa: S608 (our names)
            actual[view] = {c.name for c in cursor.description}
    assert documented == actual


def test_each_view_agrees_with_the_orm(world):
    for view, (columns, expected) in orm_expectations().items():
        first = columns.split(",")[0].strip()
        order = ", ".join(c.strip() for c in columns.split(",")[:2])
        rows = select(f"SELECT {columns} FROM analytics.{view} ORDER BY {order}")  # noqa: S608
        assert rows, view
        assert rows == sorted(expected, key=lambda row: row[:2]), (view, first)


def test_the_views_carry_what_an_analyst_asks_first(world):
    """Spot checks by hand on the world above, beyond agreeing with the ORM."""
    assert select(
        "SELECT category, count(*), sum(delta_days) FROM analytics.milestone_moves "
        "GROUP BY category ORDER BY category"
    ) == [("estimate", 1, -4), ("vendor", 1, 14)]
    assert select(
        "SELECT changed_quarter FROM analytics.milestone_moves WHERE category = 'vendor'"
    ) == [("2026-Q4",)]
    review = world["review"]
    assert select(
        "SELECT launch_date, first_launch_date, submitted_to_decided_days "
        "FROM analytics.launch_reviews WHERE review_id = %s",
        [review.pk],
    ) == [(DAY + datetime.timedelta(days=7), DAY, Decimal("3.50"))]
    assert select(
        "SELECT confidential, count(*) FROM analytics.programs GROUP BY 1 ORDER BY 1"
    ) == [(False, 1), (True, 1)]
    assert select(
        "SELECT schedule_points, forecast_days_late FROM analytics.health_snapshots "
        "WHERE program_id = %s",
        [world["public"].pk],
    ) == [(55, 9)]


def test_no_view_shows_an_e_mail_address_or_a_secret(world):
    columns = select(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = 'analytics'"
    )
    names = {column for _view, column in columns}
    assert not names & {"email", "password", "key", "token", "secret", "digest", "evidence"}
    for view in install.view_names():
        text = str(select(f"SELECT * FROM analytics.{view}"))  # noqa: S608
        assert "@example.com" not in text, view


# --- Keeping the views in step -----------------------------------------------------------------


def test_a_view_dropped_under_the_schema_is_noticed_and_put_back():
    """What Django's DROP COLUMN ... CASCADE does to a view: install sees it and recreates it."""
    assert not install.install(connection)  # current: nothing to do
    with connection.cursor() as cursor:
        cursor.execute("DROP VIEW analytics.milestone_moves")
    assert not install.is_current(connection)
    assert install.install(connection)
    assert install.is_current(connection)
    assert select("SELECT count(*) FROM analytics.milestone_moves") == [(0,)]


def test_a_changed_views_sql_is_installed_again(monkeypatch):
    source = install._source()
    monkeypatch.setattr(
        install,
        "_source",
        lambda: source.replace(
            "    t.name,\n    (SELECT count(*)", "    t.name AS team_name,\n    (SELECT count(*)"
        ),
    )
    assert not install.is_current(connection)
    assert install.install(connection)
    assert ("team_name",) in select(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_schema = 'analytics' AND table_name = 'teams'"
    )


def test_nothing_happens_on_sqlite():
    sqlite = ConnectionHandler(
        {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
    )["default"]
    try:
        assert not install.install(sqlite)
        install.drop_views(sqlite)
        migration = importlib.import_module("metrics.migrations.0008_analytics_schema")
        with sqlite.schema_editor() as editor:
            migration.create_schema(None, editor)
            migration.drop_schema(None, editor)
        with pytest.raises(AnalyticsRoleError, match="needs PostgreSQL; this database is sqlite"):
            grant_analytics_role(connection=sqlite, name="pulse_analyst", password=None)
    finally:
        sqlite.close()


# --- The analysts' role ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, message",
    [
        ("postgres", "Refusing to turn “postgres”, a superuser"),
        ("Analyst-1", "is not a plain role name"),
    ],
)
def test_the_command_refuses_roles_it_must_not_make(name, message):
    with pytest.raises(CommandError, match=message):
        call_command("create_analytics_role", name)


def test_the_command_refuses_a_missing_password_variable(monkeypatch):
    monkeypatch.delenv("PULSE_TEST_NO_SUCH_VARIABLE", raising=False)
    with pytest.raises(CommandError, match="PULSE_TEST_NO_SUCH_VARIABLE is not set"):
        call_command(
            "create_analytics_role",
            "pulse_analyst",
            password_from_env="PULSE_TEST_NO_SUCH_VARIABLE",
        )


@pytest.fixture
def analyst_role():
    """A role name of this run's own (roles are the whole server's), dropped afterwards."""
    name = f"pulse_analyst_test_{os.getpid()}"
    yield name
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [name])
        if cursor.fetchone():
            cursor.execute(f"DROP OWNED BY {name}")
            cursor.execute(f"DROP ROLE {name}")


def connect_as(name: str, password: str):
    settings = connection.settings_dict
    return psycopg2.connect(
        host="127.0.0.1", port=settings.get("PORT") or 5432, dbname=settings["NAME"], user=name,
        password=password,
    )  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_the_role_reads_the_views_and_nothing_else(analyst_role, monkeypatch, capsys):
    build_world()
    monkeypatch.setenv("PULSE_TEST_ANALYST_PASSWORD", "analyst-password")
    call_command(
        "create_analytics_role", analyst_role, password_from_env="PULSE_TEST_ANALYST_PASSWORD"
    )
    assert f"Created role {analyst_role}" in capsys.readouterr().out
    call_command("create_analytics_role", analyst_role)  # again: the same access, no error
    assert f"Updated role {analyst_role}" in capsys.readouterr().out
    install.install(connection, force=True)  # views recreated: the grants follow them

    analyst = connect_as(analyst_role, "analyst-password")
    try:
        with analyst.cursor() as cursor:
            cursor.execute("SELECT slug, confidential FROM analytics.programs ORDER BY slug")
            assert cursor.fetchall() == [("fleet", False), ("nightjar", True)]
            cursor.execute("SELECT count(*) FROM milestone_moves")  # search_path: analytics
            assert cursor.fetchone() == (2,)
        analyst.rollback()
        for statement in (
            "SELECT count(*) FROM public.programs_program",
            "SELECT count(*) FROM public.auth_user",
            "CREATE TABLE analytics.scratch (x int)",
            "UPDATE analytics.teams SET slug = 'x'",  # a view simple enough to update
        ):
            with pytest.raises(psycopg2.Error) as refused, analyst.cursor() as cursor:
                cursor.execute(statement)
            assert refused.value.pgcode in ("42501", "25006"), statement  # no privilege, read-only
            analyst.rollback()
    finally:
        analyst.close()
    assert not Team.objects.filter(slug="x").exists()
