"""Every API operation answers as its OpenAPI schema says (schemathesis, in-process).

Each operation of ``/api/schema/`` is one test: schemathesis generates requests from the
schema (valid and invalid bodies, queries and path parameters) and sends them to the WSGI
application as a signed-in admin (session and CSRF token, as a browser client would), over a
world holding one object of every kind, so that detail endpoints are hit with real ids as well
as unknown ones. The world is built once for the module; every operation starts from it as
built (see ``world``). Every answer must pass four checks:

- ``not_a_server_error``: never a 5xx;
- ``status_code_conformance``: the status is one the operation documents;
- ``content_type_conformance``: the body is of a documented media type (JSON, not an HTML page);
- ``response_schema_conformance``: the body matches the documented schema for that status.

The schema is generated here with drf-spectacular's generator, the same that serves
``/api/schema/`` (a test below holds the two to be equal), because collection runs before the
test database exists. Examples are bounded per operation (``MAX_EXAMPLES`` in the fuzzing
phase, plus the boundary cases schemathesis derives from the schema, about 50 an operation)
so that the whole file runs in under two minutes, most of it answering the ~4,300 requests.
"""

import datetime
import json
from collections.abc import Iterator

import hypothesis
import pytest
import schemathesis
from django.apps import apps as django_apps
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck
from hypothesis import strategies as st
from rest_framework.test import APIClient
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from config.wsgi import application
from metrics import services as metric_services
from metrics.models import HealthSnapshot
from programs import services as program_services
from programs.models import Team
from programs.plans import services as plan_services
from programs.plans.models import PlanTemplate
from reviews.capacity import services as capacity_services
from reviews.launch import services as review_services
from reviews.models import ChecklistTemplate
from tests.conftest import restore_migration_data_if_flushed
from tests.factories import (
    ActionItemFactory,
    CapacityBudgetFactory,
    CapacityRequestFactory,
    ChecklistItemFactory,
    ChecklistTemplateFactory,
    DecisionFactory,
    MembershipFactory,
    MilestoneFactory,
    OperationalReviewFactory,
    PlaybookFactory,
    PlaybookVersionFactory,
    PortfolioFactory,
    ProgramFactory,
    RiskFactory,
    StatusUpdateFactory,
    TeamFactory,
    UserFactory,
)
from tests.shared_data import rolled_back_rows

MAX_EXAMPLES = 10
CHECKS = [
    schemathesis.checks.not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def _generated_schema() -> dict:
    raw = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(raw))


RAW_SCHEMA = _generated_schema()
# Phases: the schema's examples; coverage (every boundary value the schema defines) with
# valid data only; fuzzing with valid and invalid data (MAX_EXAMPLES an operation). Coverage
# with invalid data would triple the run time for refusals the fuzzing phase sends too, and
# requests with methods a path does not take only meet DRF's 405, which no check here reads.
CONFIG = schemathesis.Config.from_dict(
    {"phases": {"coverage": {"unexpected-methods": [], "generation": {"mode": "positive"}}}}
)
schema = schemathesis.openapi.from_dict(RAW_SCHEMA, config=CONFIG)
schema.app = application
schema.location = "/api/schema/"

# The ids of the world's objects by resource (``/api/v1/<resource>/{id}/``), filled per test:
# path parameters are drawn from these half of the time, so detail endpoints are fuzzed on
# real objects too, not only on ids that do not exist.
KNOWN: dict[str, list] = {}


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    parts = [part for part in context.operation.path.split("/") if part]
    resource = parts[2] if len(parts) > 2 else ""
    if not path_parameters or len(path_parameters) != 1:
        return st.just(path_parameters)
    (name,) = path_parameters

    def known(index: int) -> dict:
        values = KNOWN.get(resource) or [path_parameters[name]]
        return {name: values[index % len(values)]}

    return st.one_of(st.just(path_parameters), st.integers(0, 3).map(known))


def build_world():
    """One object of every kind the API serves, and an admin to fuzz it with."""
    admin = UserFactory(username="fuzz.admin", roles=["Admin"], is_staff=True)
    tpm = UserFactory(username="fuzz.tpm", roles=["TPM"])
    engineer = UserFactory(username="fuzz.engineer", roles=["Engineer"])
    team = TeamFactory(slug="fuzz-team")
    team.members.add(admin, engineer)
    program = ProgramFactory(slug="fuzz-program", tpm=tpm, portfolio=PortfolioFactory())
    confidential = ProgramFactory(slug="fuzz-secret", tpm=tpm, confidential=True)
    MembershipFactory(program=program, user=tpm, role="tpm")
    member = MembershipFactory(program=program, user=engineer, role="contributor")
    MembershipFactory(program=confidential, user=tpm, role="tpm")
    today = datetime.date.today()
    milestone = MilestoneFactory(program=program, critical=True)
    program_services.milestone_move(
        milestone=milestone, user=tpm, version=milestone.version,
        target_date=milestone.target_date + datetime.timedelta(days=14), category="vendor",
        reason="Vendor late",
    )  # fmt: skip
    update = StatusUpdateFactory(program=program)
    risk = RiskFactory(program=program, owner=engineer)
    decision = DecisionFactory(program=program)
    metric = metric_services.success_metric_create(
        program=program, user=tpm, name="Adoption", unit="%", baseline_value=0,
        target_value=80, baseline_date=today - datetime.timedelta(days=60),
        target_date=today + datetime.timedelta(days=120),
    )  # fmt: skip
    metric_services.metric_reading_record(
        metric=metric, user=tpm, value=12, measured_on=today - datetime.timedelta(days=2)
    )
    metric_services.health_recompute(program_ids=[program.pk, confidential.pk])

    ChecklistTemplate.objects.filter(tier=3, active=True).update(active=False)
    template = ChecklistTemplateFactory(tier=3, active=True)
    ChecklistItemFactory(template=template, area="reliability", question="SLOs?", order=1)
    ChecklistItemFactory(template=template, area="security", question="Threats?", order=2)
    review = review_services.launch_review_create(
        program=program, user=tpm, title="GA", launch_date=today + datetime.timedelta(days=30),
        tier=3,
    )  # fmt: skip
    review_services.review_comment_add(review=review, user=tpm, body="Ready soon.")
    budget = CapacityBudgetFactory(team=team)
    draft = CapacityRequestFactory(team=team, program=program, requester=admin)
    submitted = CapacityRequestFactory(team=team, program=program, requester=admin, amount=500)
    capacity_services.capacity_request_submit(
        request=submitted, user=admin, version=submitted.version
    )
    ops_review = OperationalReviewFactory()
    action = ActionItemFactory(created_in=ops_review, owner=engineer, program=program)
    team.lead = engineer
    team.save()
    program.teams.add(team)
    plan = plan_services.plan_start(
        program=program, template=PlanTemplate.objects.filter(active=True).first(), user=tpm
    )
    plan_services.plan_publish(
        plan=plan, user=tpm, based_on=0, sections={"problem": "Slow.", "scope": {team.slug: "All."}}
    )
    playbook = PlaybookFactory(slug="fuzz-playbook", owners=[tpm], governs="capacity")
    PlaybookVersionFactory(playbook=playbook, author=tpm)

    KNOWN.clear()
    KNOWN.update(
        {
            "portfolios": [program.portfolio.slug],
            "teams": [team.slug, *Team.objects.exclude(pk=team.pk).values_list("slug", flat=True)],
            "programs": [program.slug, confidential.slug],
            "health": [program.slug, confidential.slug],
            "memberships": [member.pk],
            "milestones": [milestone.pk],
            "milestone-date-changes": list(milestone.date_changes.values_list("pk", flat=True)),
            "status-updates": [update.pk],
            "risks": [risk.pk],
            "decisions": [decision.pk],
            "success-metrics": [metric.pk],
            "metric-readings": list(metric.readings.values_list("pk", flat=True)),
            "health-snapshots": list(HealthSnapshot.objects.values_list("pk", flat=True)),
            "launch-reviews": [review.pk],
            "launch-review-items": list(review.items.values_list("pk", flat=True)),
            "review-comments": list(review.comments.values_list("pk", flat=True)),
            "capacity-budgets": [budget.pk],
            "capacity-requests": [draft.pk, submitted.pk],
            "operational-reviews": [ops_review.pk],
            "action-items": [action.pk],
            "playbooks": [playbook.slug],
        }
    )
    return admin


# Every table an API operation may read or write: their digest is the world's state.
WORLD_APPS = ("auth", "knox", "core", "programs", "plans", "playbooks", "reviews", "metrics")


def world_digest() -> tuple[str, ...]:
    """One digest per table of ``WORLD_APPS``, every row in order, in one query."""
    qn = connection.ops.quote_name
    tables = sorted(
        (model._meta.db_table, model._meta.pk.column)
        for label in WORLD_APPS
        for model in django_apps.get_app_config(label).get_models(include_auto_created=True)
    )
    columns = ", ".join(
        f"(SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t.{qn(pk)}), '')) "
        f"FROM {qn(table)} t)"
        for table, pk in tables
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns}")  # noqa: S608 - table names from the models
        return cursor.fetchone()


@pytest.fixture(scope="module")
def world(
    django_db_setup, django_db_blocker, _migration_data_survives_the_session
) -> Iterator[dict]:
    """The world, built once for the module, and a session of its admin with a CSRF token, as
    a browser client sends them.

    Built in a transaction left open while the module runs and rolled back at its end. Each
    operation's test runs in a savepoint inside it (pytest-django's ``db``), rolled back after
    the operation, so every operation starts from the world as built, whatever the ones before
    it created, changed or deleted (``signed_in`` checks it), as when the world was built per
    test; the examples of one operation share their writes, as they did then. A rollback does
    not undo what is not read here: sequences only move ids forward (KNOWN holds the world's
    own), and the writes' on-commit work (recomputes, e-mails) never runs, nothing commits.
    """
    with rolled_back_rows(django_db_blocker):
        restore_migration_data_if_flushed()  # built on the same rows on any worker
        admin = build_world()
        client = Client()
        client.force_login(admin)
        csrf = _get_new_csrf_string()
        yield {
            "session": {
                "cookies": {"sessionid": client.cookies["sessionid"].value, "csrftoken": csrf},
                # Plain bodies: the checks read the answers as sent (the app gzips for
                # clients that ask; tests/core/test_compression.py covers that).
                "headers": {"X-CSRFToken": csrf, "Accept-Encoding": "identity"},
            },
            "digest": world_digest(),
        }


@pytest.fixture
def signed_in(world, db) -> dict:
    """The admin's session and CSRF token, for one operation on the world as built."""
    assert world_digest() == world["digest"], "an earlier operation's writes outlived it"
    return world["session"]


@pytest.fixture
def wsgi_requests_keep_the_test_connection():
    """The WSGI app closes "old" connections around each request; in a test that is the test's
    own transaction (CONN_MAX_AGE=0), so the signal is disconnected while fuzzing."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.django_db
@schema.parametrize()
@hypothesis.settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)
def test_operation_answers_as_its_schema_says(
    case, signed_in, wsgi_requests_keep_the_test_connection
):
    case.call_and_validate(checks=CHECKS, **signed_in)


def test_fuzzing_covers_every_operation():
    operations = [op for op in schema.get_all_operations()]
    assert len(operations) >= 100
    assert {result.ok().method.upper() for result in operations} >= {
        "GET", "POST", "PUT", "PATCH", "DELETE",
    }  # fmt: skip


@pytest.mark.django_db
def test_the_fuzzed_schema_is_the_served_schema(tpm):
    client = APIClient()
    client.force_authenticate(tpm)
    served = client.get("/api/schema/", {"format": "json"})
    assert served.status_code == 200
    assert served.json() == RAW_SCHEMA
