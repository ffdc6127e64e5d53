"""Fixtures of the playbooks tests: an owner (a TPM), a playbook of theirs with its v1."""

import datetime

import pytest

from programs.playbooks import services
from tests.factories import UserFactory


@pytest.fixture
def owner(db):
    return UserFactory(username="olga.owner", roles=["TPM"])


@pytest.fixture
def playbook(owner):
    """The capacity process, v1, owned by ``owner``, created through the service."""
    return services.playbook_create(
        user=owner,
        slug="capacity-process",
        title="Capacity process",
        summary="How a team asks for capacity and how the council decides.",
        body="## Asking\n\nFile a request with the numbers.\n\n## Deciding\n\nThe council meets weekly.",
        owners=[owner],
        review_by=datetime.date(2027, 3, 1),
        governs="capacity",
    )
