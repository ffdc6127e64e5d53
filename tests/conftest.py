"""Shared fixtures: people in every role, and a program with members.

Browser tests (``-m browser``) drive Debian's chromium through Playwright; the launch
arguments below keep it from reaching for the network this machine does not have.
"""

import fcntl
import os
import tempfile
from collections.abc import Callable, Mapping
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from tests.factories import MembershipFactory, ProgramFactory, UserFactory

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def pytest_collection_modifyitems(items):
    """Transactional tests restore what the migrations wrote (roles, default checklists).

    A transactional test ends by flushing every table; without serialized rollback the data
    that migrations create would be gone for every test after it.
    """
    for item in items:
        marker = item.get_closest_marker("django_db")
        if (
            marker
            and marker.kwargs.get("transaction")
            and "serialized_rollback" not in marker.kwargs
        ):
            # First, so it is the closest marker: a test's own decorator is already there, and
            # an appended marker would come after it (and go unread).
            item.add_marker(
                pytest.mark.django_db(**marker.kwargs, serialized_rollback=True), append=False
            )


def restore_migration_data() -> None:
    """Put back what the data migrations write (roles and their grants, default checklists,
    default plan templates)."""
    import importlib

    from django.apps import apps
    from django.contrib.auth.models import Group

    from core.apps import grant_admin_role_permissions
    from core.roles import Role
    from programs.plans.models import PlanTemplate
    from reviews.models import ChecklistTemplate

    for role in Role:
        Group.objects.get_or_create(name=role.value)
    grant_admin_role_permissions()
    if not ChecklistTemplate.objects.exists():
        checklists = importlib.import_module("reviews.migrations.0002_default_checklist_templates")
        checklists.create_templates(apps, None)
    if not PlanTemplate.objects.exists():
        importlib.import_module("programs.plans.migrations.0002_default_templates").create(
            apps, None
        )


@pytest.fixture(autouse=True)
def _migration_data(request):
    """Tests that use the database get the migrations' data guarantee below."""
    if request.node.get_closest_marker("django_db") or "db" in request.fixturenames:
        request.getfixturevalue("_migration_data_survives_the_session")
        request.getfixturevalue("_django_db_helper")  # the test's transaction, if it has one
        restore_migration_data_if_flushed()


def restore_migration_data_if_flushed() -> None:
    """A transactional test ends by flushing every table, and its serialized rollback puts the
    rows back only when the next transactional test starts: a test run after it on the same
    worker would find no roles or checklists. They are put back for the test that needs them:
    inside a plain test's transaction (rolled back with it), or among a transactional test's
    own rows (flushed with them)."""
    from django.contrib.auth.models import Group

    from programs.plans.models import PlanTemplate
    from reviews.models import ChecklistTemplate

    # A transactional test's own serialized restore runs first, but under pytest-xdist a
    # worker's database may have no serialized copy to restore from: check there too (what it
    # writes is flushed with the test's own rows).
    if not (
        Group.objects.exists()
        and ChecklistTemplate.objects.exists()
        and PlanTemplate.objects.exists()
    ):
        restore_migration_data()


@pytest.fixture(scope="session")
def _migration_data_survives_the_session(django_db_setup, django_db_blocker):
    """The last transactional test of a run leaves the tables flushed; with --reuse-db the next
    run would start without the migrations' data. Restore it at both ends of the session."""
    with django_db_blocker.unblock():
        restore_migration_data()
    yield
    with django_db_blocker.unblock():
        restore_migration_data()


def pytest_sessionstart(session):
    """Runs sharing one test database on a machine take turns instead of flushing each other.

    Under pytest-xdist the controller holds the lock for its workers (each on a database of
    its own, suffixed _gw0, _gw1…); a worker taking it too would wait for its own controller.
    """
    if hasattr(session.config, "workerinput"):
        return
    name = os.environ.get("TEST_DATABASE_NAME", "test_pulse")
    lock_path = os.path.join(tempfile.gettempdir(), f"pulse-{name}.lock")
    session.config._pulse_db_lock = open(lock_path, "w")  # noqa: SIM115 - held for the session
    fcntl.flock(session.config._pulse_db_lock, fcntl.LOCK_EX)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


@pytest.fixture
def tpm(db):
    return UserFactory(username="tina.tpm", roles=["TPM"])


@pytest.fixture
def engineer(db):
    return UserFactory(username="eli.engineer", roles=["Engineer"])


@pytest.fixture
def reviewer(db):
    return UserFactory(username="rita.reviewer", roles=["Reviewer"])


@pytest.fixture
def leader(db):
    return UserFactory(username="lee.leader", roles=["Leadership"])


@pytest.fixture
def admin_user(db):
    """Staff in the Admin role (not a superuser): Django admin rights come from the role."""
    from django.apps import apps
    from django.contrib.auth.management import create_permissions

    from core.apps import grant_admin_role_permissions

    user = UserFactory(username="ada.admin", roles=["Admin"], is_staff=True)
    # A transactional test's flush (serialized rollback inhibits post_migrate) leaves no
    # permissions to grant: which tests ran before depends on the order and the xdist worker.
    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0)
    grant_admin_role_permissions()
    return user


@pytest.fixture
def outsider(db):
    """Signed in, in the Engineer role, but a member of nothing."""
    return UserFactory(username="otto.outsider", roles=["Engineer"])


@pytest.fixture
def program(tpm):
    return ProgramFactory(name="Fleet kernel upgrade", slug="fleet-kernel-upgrade", tpm=tpm)


@pytest.fixture
def confidential_program(tpm, engineer):
    program = ProgramFactory(
        name="Project Nightjar", slug="project-nightjar", tpm=tpm, confidential=True
    )
    MembershipFactory(program=program, user=tpm, role="tpm")
    MembershipFactory(program=program, user=engineer, role="contributor")
    return program


@pytest.fixture
def api_client():
    return APIClient()


def client_for(client, user):
    client.force_login(user)
    return client


# --- Query counts ---------------------------------------------------------------------------


def queries_of(action: Callable[[], Any]) -> int:
    """How many SQL queries ``action`` runs. A response it returns must be a 200 (a refused
    page would run fewer queries and pass for a cheap one)."""
    with CaptureQueriesContext(connection) as captured:
        result = action()
    status = getattr(result, "status_code", 200)
    assert status == 200, f"{status}: {getattr(result, 'content', b'')[:300]!r}"
    return len(captured)


@pytest.fixture
def count_queries() -> Callable[..., int]:
    """``count_queries(client, path)``: the queries of a GET that answers 200;
    ``count_queries(callable)``: the queries of any call."""

    def count(client_or_action, path: str | None = None, **params) -> int:
        if path is None:
            return queries_of(client_or_action)
        return queries_of(lambda: client_or_action.get(path, params))

    return count


@pytest.fixture
def same_queries_at_two_sizes() -> Callable[..., dict[str, int]]:
    """Read some pages (or calls), grow the data, read them again: the query counts must not
    change. ``reads`` maps a name to a path (GET with ``client``) or a callable; ``expected``,
    when given, pins the counts too. Returns the counts.

        same_queries_at_two_sizes(client, {"list": "/api/v1/risks/"}, grow=lambda: build(27))
    """

    def check(
        client,
        reads: Mapping[str, str | Callable[[], Any]],
        *,
        grow: Callable[[], Any],
        expected: Mapping[str, int] | None = None,
    ) -> dict[str, int]:
        def measure() -> dict[str, int]:
            return {
                name: queries_of(read if callable(read) else lambda read=read: client.get(read))
                for name, read in reads.items()
            }

        small = measure()
        grow()
        large = measure()
        grew = {name: (small[name], large[name]) for name in reads if small[name] != large[name]}
        assert not grew, f"query counts grew with the data (small, large): {grew}"
        if expected is not None:
            assert small == dict(expected)
        return small

    return check
