"""A stale write with If-Match always answers 412, even when it turns stale under the row lock.

The view compares If-Match with the version it read; the service then locks the row and
compares again. Another writer can commit in between: the second check then refuses. That
refusal must be the same 412 the first check gives (409 is only for a stale body ``version``).

These tests run real concurrent writers: threads, each with its own database connection, on
committed rows (transactional tests), and PostgreSQL's own lock table to know when a request
is waiting for the row lock.
"""

import threading
import time

import pytest
from django.db import connection, connections, transaction
from rest_framework.test import APIClient

from programs import services
from programs.models import Program
from tests.factories import ProgramFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

WAIT_SECONDS = 20


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def waiting_for_a_row_lock() -> bool:
    """Whether a connection to this database waits for a lock (our request, behind the writer)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0] > 0


def run_while_holding_the_lock(program: Program, user, *, request) -> object:
    """Another writer locks the program, our ``request`` starts and queues behind that lock,
    then the writer saves a new version and commits; returns our request's response."""
    locked, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def other_writer() -> None:
        try:
            with transaction.atomic():
                Program.objects.select_for_update().get(pk=program.pk)
                locked.set()
                release.wait(WAIT_SECONDS)
                services.program_update(
                    program=program, user=user, version=program.version, phase="launching"
                )
        except BaseException as error:  # reported by the test below
            errors.append(error)
            locked.set()
        finally:
            connections.close_all()

    def release_once_our_request_waits() -> None:
        try:
            deadline = time.monotonic() + WAIT_SECONDS
            while time.monotonic() < deadline and not waiting_for_a_row_lock():
                time.sleep(0.02)
        finally:
            release.set()
            connections.close_all()

    writer = threading.Thread(target=other_writer)
    writer.start()
    assert locked.wait(WAIT_SECONDS)
    watcher = threading.Thread(target=release_once_our_request_waits)
    watcher.start()
    response = request()
    writer.join(WAIT_SECONDS)
    watcher.join(WAIT_SECONDS)
    assert not errors, errors
    return response


@pytest.fixture
def tpm_and_program():
    tpm = UserFactory(username="sam.stale", roles=["TPM"])
    program = ProgramFactory(slug="stale-writes", tpm=tpm)
    return tpm, program


def test_if_match_that_turns_stale_under_the_row_lock_answers_412(tpm_and_program):
    tpm, program = tpm_and_program
    url = f"/api/v1/programs/{program.slug}/"

    response = run_while_holding_the_lock(
        program,
        tpm,
        request=lambda: client_for(tpm).patch(
            url, {"name": "Mine"}, format="json", HTTP_IF_MATCH='"1"'
        ),
    )

    assert response.status_code == 412, response.content
    assert "detail" in response.json()
    program.refresh_from_db()
    assert (program.version, program.phase) == (2, "launching")
    assert program.name != "Mine"


def test_a_body_version_that_turns_stale_under_the_row_lock_still_answers_409(tpm_and_program):
    tpm, program = tpm_and_program
    url = f"/api/v1/programs/{program.slug}/"

    response = run_while_holding_the_lock(
        program,
        tpm,
        request=lambda: client_for(tpm).patch(url, {"name": "Mine", "version": 1}, format="json"),
    )

    assert response.status_code == 409, response.content
    assert response.json()["current_version"] == 2


def test_concurrent_writers_with_the_same_if_match_one_wins_the_others_get_412(
    tpm_and_program,
):
    """Eight writers send the same If-Match at once: one saves, every other one gets 412."""
    tpm, program = tpm_and_program
    url = f"/api/v1/programs/{program.slug}/"
    start = threading.Barrier(8)
    statuses: list[int] = []
    lock = threading.Lock()

    def writer(n: int) -> None:
        try:
            client = client_for(tpm)
            start.wait(WAIT_SECONDS)
            response = client.patch(
                url, {"name": f"Writer {n}"}, format="json", HTTP_IF_MATCH='"1"'
            )
            with lock:
                statuses.append(response.status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT_SECONDS * 2)

    assert sorted(statuses) == [200] + [412] * 7
    program.refresh_from_db()
    assert program.version == 2
