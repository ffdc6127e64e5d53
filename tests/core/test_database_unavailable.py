"""The database unreachable: pages and the API answer 503 with Retry-After, never 500.

The connection is pointed at a closed port on this machine (nothing listens there), so each
request really fails to connect, as while PostgreSQL restarts; then it is pointed back.
"""

import socket
from contextlib import contextmanager

import pytest
from django.db import connection

from core.tokens import api_token_create

pytestmark = pytest.mark.django_db(transaction=True)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # released on close: nothing listens there


@contextmanager
def database_down():
    saved = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = closed_port()
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["PORT"] = saved


def test_pages_and_api_answer_503_with_retry_after_while_the_database_is_down(client, tpm):
    client.force_login(tpm)
    client.raise_request_exception = False  # answer as a server would, not re-raise in the test
    _, secret = api_token_create(user=tpm, name="probe", lifetime_days=1)
    with database_down():
        page = client.get("/programs/")
        api = client.get("/api/v1/programs/", HTTP_AUTHORIZATION=f"Token {secret}")
        login = client.get("/accounts/login/")
    assert page.status_code == 503 and page["Retry-After"] == "5"
    assert b"briefly unavailable" in page.content
    assert api.status_code == 503 and api["Retry-After"] == "5"
    assert "database" in api.json()["detail"]
    assert login.status_code == 503  # it reads the signed-in session first
    # Back: the next request connects again.
    assert client.get("/programs/").status_code == 200


def test_readiness_names_the_dependency_that_is_down(client):
    with database_down():
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["database"] == "unavailable"
