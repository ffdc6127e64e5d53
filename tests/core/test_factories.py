"""Every model of the project has a factory, and each factory writes a row the model accepts."""

import inspect

import factory
import pytest
from django.apps import apps
from django.db.models import JSONField

from tests import factories

PROJECT_APPS = ("core", "programs", "plans", "playbooks", "reviews", "metrics", "integrations")


def all_factories() -> dict[type, type]:
    """The model each factory of ``tests.factories`` makes, mapped to that factory."""
    found = {}
    for _, value in inspect.getmembers(factories, inspect.isclass):
        if issubclass(value, factory.django.DjangoModelFactory) and value._meta.model:
            found[value._meta.model] = value
    return found


def project_models() -> list[type]:
    """Concrete models of the project's apps (their history tables and M2M rows excepted)."""
    return [
        model
        for label in PROJECT_APPS
        for model in apps.get_app_config(label).get_models()
        if not model.__name__.startswith("Historical")
    ]


def test_every_model_of_the_project_has_a_factory():
    missing = [m.__name__ for m in project_models() if m not in all_factories()]
    assert not missing, f"add a factory to tests/factories.py for {missing}"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "model_factory",
    sorted(all_factories().values(), key=lambda f: f.__name__),
    ids=lambda f: f.__name__,
)
def test_each_factory_writes_a_row_that_passes_the_models_validation(model_factory):
    row = model_factory()
    # An empty JSON list or object is what the engine writes for "no reasons" and the model's
    # default, though its fields are not declared blank=True: validation would refuse them.
    empty_json = [
        f.name for f in row._meta.fields if isinstance(f, JSONField) and not getattr(row, f.name)
    ]
    row.full_clean(exclude=empty_json)
    assert type(row).objects.filter(pk=row.pk).exists()


@pytest.mark.django_db
def test_a_milestone_waits_on_the_milestones_it_is_given():
    first = factories.MilestoneFactory()
    second = factories.MilestoneFactory(program=first.program, depends_on=[first])
    assert list(second.depends_on.all()) == [first]
    assert list(first.dependents.all()) == [second]


@pytest.mark.django_db
def test_a_token_factory_hands_out_a_secret_that_signs_in():
    from rest_framework.test import APIClient

    token = factories.ApiTokenFactory()
    client = APIClient(HTTP_AUTHORIZATION=f"Token {token.secret}")
    assert client.get("/api/v1/me/").json()["username"] == token.user.username


@pytest.mark.django_db
def test_an_answered_item_is_done_with_evidence_by_the_author():
    item = factories.LaunchReviewItemFactory(answered=True)
    assert item.status == "done" and item.evidence
    assert item.answered_by == item.review.author and not item.is_open
