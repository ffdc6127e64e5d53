"""The metrics REST API: metrics and readings through services, computed health read-only.

Every test talks HTTP to /api/v1/ with DRF's APIClient against the real PostgreSQL schema;
health is recomputed by the eager Celery task that an edit enqueues on commit.
"""

import datetime

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from metrics import services as metric_services
from metrics.health import FAMILIES
from metrics.models import MetricReading, SuccessMetric
from programs import services as program_services
from programs.api.serializers import HEALTH_FAMILY_CHOICES
from programs.models import Program
from reviews.launch import services as review_services
from tests.factories import (
    HealthSnapshotFactory,
    MembershipFactory,
    MetricReadingFactory,
    PortfolioFactory,
    ProgramFactory,
    SuccessMetricFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

API = "/api/v1"


def as_user(user) -> APIClient:
    """An API client signed in as ``user`` (anonymous for None)."""
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def days(n: int) -> datetime.date:
    """``n`` days from today (negative: ago)."""
    return timezone.localdate() + datetime.timedelta(days=n)


def metric_payload(program, /, **overrides) -> dict:
    payload = {
        "program": program.slug,
        "name": "p99 boot time",
        "unit": "s",
        "baseline_value": 90,
        "target_value": 30,
        "direction": "decrease",
        "baseline_date": days(-10).isoformat(),
        "target_date": days(50).isoformat(),
    }
    return {**payload, **overrides}


@pytest.fixture
def contributor(program):
    user = UserFactory(username="cora.contributor", roles=["Engineer"])
    MembershipFactory(program=program, user=user, role="contributor")
    return user


@pytest.fixture
def people(tpm, contributor, outsider, leader):
    return {
        "tpm": tpm,
        "contributor": contributor,
        "outsider": outsider,
        "leader": leader,
        "anonymous": None,
    }


@pytest.fixture
def metric(program):
    return SuccessMetricFactory(program=program, name="Hosts on kernel 6.8")


# --- Success metrics and readings through services ------------------------------------------


def test_tpm_creates_a_metric_and_sees_its_expected_value_on_the_path(tpm, program):
    response = as_user(tpm).post(f"{API}/success-metrics/", metric_payload(program))
    assert response.status_code == 201, response.json()
    assert response["ETag"] == '"1"'
    body = response.json()
    assert (body["program"], body["direction"], body["version"]) == (program.slug, "decrease", 1)
    assert body["latest_value"] is None and body["latest_measured_on"] is None
    # 10 of 60 days along the path from 90 to 30: expected 80 today.
    assert body["expected_today"] == pytest.approx(80.0)
    metric = SuccessMetric.objects.get(pk=body["id"])
    assert metric.history.get().history_user == tpm
    assert body["reading_interval_days"] == 30  # the default: a reading a month


def test_a_metrics_reading_interval_is_set_and_checked(tpm, program):
    client = as_user(tpm)
    weekly = client.post(
        f"{API}/success-metrics/", {**metric_payload(program), "reading_interval_days": 7}
    )
    assert weekly.status_code == 201 and weekly.json()["reading_interval_days"] == 7
    bad = client.post(
        f"{API}/success-metrics/", {**metric_payload(program), "reading_interval_days": 0}
    )
    assert bad.status_code == 400 and "reading_interval_days" in bad.json()


def test_metric_is_changed_with_if_match_or_body_version_and_history_records_it(tpm, metric):
    client = as_user(tpm)
    url = f"{API}/success-metrics/{metric.pk}/"
    patched = client.patch(url, {"target_value": 95}, HTTP_IF_MATCH='"1"')
    assert patched.status_code == 200, patched.json()
    assert patched["ETag"] == '"2"'
    assert patched.json()["target_value"] == 95
    replaced = client.put(
        url,
        {
            "name": "Hosts upgraded",
            "baseline_value": 0,
            "target_value": 100,
            "baseline_date": days(-30).isoformat(),
            "target_date": days(60).isoformat(),
            "version": 2,
        },
    )
    assert replaced.status_code == 200, replaced.json()
    metric.refresh_from_db()
    assert (metric.name, metric.target_value, metric.version) == ("Hosts upgraded", 100, 3)
    assert metric.unit == "%"  # PUT leaves optional fields it was not sent
    assert metric.history.count() == 3


def test_readings_are_recorded_by_the_caller_and_the_metric_shows_the_latest(tpm, metric):
    client = as_user(tpm)
    for value, measured_on in ((40, days(-5)), (20, days(-20)), (55, days(0))):
        response = client.post(
            f"{API}/metric-readings/",
            {"metric": metric.pk, "value": value, "measured_on": measured_on.isoformat()},
        )
        assert response.status_code == 201, response.json()
    assert response.json()["recorded_by"] == "tina.tpm"
    assert response.json()["program"] == metric.program.slug
    body = client.get(f"{API}/success-metrics/{metric.pk}/").json()
    assert (body["latest_value"], body["latest_measured_on"]) == (55, days(0).isoformat())
    assert body["expected_today"] == pytest.approx(50.0)

    listed = client.get(f"{API}/metric-readings/", {"metric": metric.pk}).json()
    assert [row["value"] for row in listed["results"]] == [55, 40, 20]  # newest first
    window = client.get(
        f"{API}/metric-readings/",
        {"measured_on_after": days(-10).isoformat(), "measured_on_before": days(-1).isoformat()},
    ).json()
    assert [row["value"] for row in window["results"]] == [40]
    by_program = client.get(f"{API}/metric-readings/", {"program": "elsewhere"}).json()
    assert by_program["count"] == 0


def test_readings_are_facts_they_cannot_be_changed_or_deleted(tpm, metric):
    reading = MetricReadingFactory(metric=metric, value=10, measured_on=days(-1))
    client = as_user(tpm)
    url = f"{API}/metric-readings/{reading.pk}/"
    assert client.get(url).status_code == 200
    assert client.put(url, {"value": 99, "measured_on": days(-1).isoformat()}).status_code == 405
    assert client.patch(url, {"value": 99}).status_code == 405
    assert client.delete(url).status_code == 405
    reading.refresh_from_db()
    assert reading.value == 10


def test_metric_list_filters_by_program_and_direction(tpm, program):
    other = ProgramFactory(slug="other-program", tpm=tpm)
    SuccessMetricFactory(program=program, name="Up")
    SuccessMetricFactory(program=program, name="Down", direction="decrease")
    SuccessMetricFactory(program=other, name="Elsewhere")
    client = as_user(tpm)

    def names(**params):
        return [
            row["name"] for row in client.get(f"{API}/success-metrics/", params).json()["results"]
        ]

    assert names(program=program.slug) == ["Down", "Up"]
    assert names(direction="decrease") == ["Down"]
    assert names(program=other.slug, direction="increase") == ["Elsewhere"]
    assert names(ordering="-name") == ["Up", "Elsewhere", "Down"]


# --- Health follows edits -------------------------------------------------------------------


def test_health_shows_the_overdue_critical_milestone_posted_through_the_api(
    tpm, program, django_capture_on_commit_callbacks
):
    client = as_user(tpm)
    with django_capture_on_commit_callbacks(execute=True):
        created = client.post(
            f"{API}/milestones/",
            {
                "program": program.slug,
                "name": "GA in eu-west",
                "target_date": days(-20).isoformat(),
                "critical": True,
            },
        )
    assert created.status_code == 201, created.json()

    response = client.get(f"{API}/health/{program.slug}/")
    assert response.status_code == 200
    body = response.json()
    # A critical milestone more than 14 days overdue is red, and a red score is below 50.
    assert body["grade"] == "red"
    assert body["score"] is not None and body["score"] < 50
    assert body["snapshot_day"] == timezone.localdate().isoformat()
    assert body["computed_at"] is not None
    top = body["reasons"][0]
    assert (top["family"], top["severity"], top["code"]) == ("schedule", "red", "critical_overdue")
    assert top["text"] == "Critical milestone 'GA in eu-west' is 20 days overdue"
    assert top["cost"] > 0
    assert body["cause"] == "schedule"
    assert body["components"]["schedule"] < 100
    assert body["forecast"]["milestone"] == "GA in eu-west"
    history = client.get(f"{API}/health-snapshots/", {"program": program.slug}).json()
    assert [row["score"] for row in history["results"]] == [body["score"]]


def test_a_reading_behind_the_path_shows_up_as_an_outcome_reason(
    tpm, metric, django_capture_on_commit_callbacks
):
    client = as_user(tpm)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"{API}/metric-readings/",
            {"metric": metric.pk, "value": 10, "measured_on": days(0).isoformat()},
        )
    assert response.status_code == 201, response.json()
    body = client.get(f"{API}/health/{metric.program.slug}/").json()
    outcomes = [reason for reason in body["reasons"] if reason["family"] == "outcomes"]
    assert outcomes == [
        {
            "family": "outcomes",
            "severity": "yellow",
            "code": "metric_behind",
            "subject_id": metric.pk,
            "subject": "Hosts on kernel 6.8",
            # 10 read today, where the path from 0 to 100 expects 50: 40% of the way behind.
            "figures": {
                "value": 10.0,
                "target": 100.0,
                "expected": 50.0,
                "unit": "%",
                "percent": 40,
            },  # fmt: skip
            "cost": outcomes[0]["cost"],
            "text": "Metric 'Hosts on kernel 6.8' is at 10 %, behind the path to 100 % "
            "(expected 50 %: 40% of the way behind)",
            "remedy": "Bring 'Hosts on kernel 6.8' back to its path, or re-plan its target",
        }
    ]
    # Executing with no milestone is a yellow "no plan" too: yellow in two families is red.
    assert (body["grade"], body["cause"]) == ("red", "schedule")
    assert [r["code"] for r in body["to_clear"]] == ["no_plan", "metric_behind"]
    assert body["to_clear"][1] == outcomes[0]


def test_health_of_a_program_never_computed_is_empty_not_an_error(tpm, program):
    body = as_user(tpm).get(f"{API}/health/{program.slug}/").json()
    assert (body["score"], body["grade"], body["snapshot_day"]) == (None, "", None)
    assert (body["reasons"], body["to_clear"], body["components"]) == ([], [], {})
    assert (body["forecast"], body["stale"], body["cause"]) == (None, False, "")


def test_reasons_are_served_structured_with_their_sentence_and_remedy(tpm, program):
    """A program red because of an overdue critical milestone, built through the services and
    graded by the health service: the API gives each signal's structure, its sentence and what
    would clear it, and ``to_clear`` leaves out the watch signals."""
    critical = program_services.milestone_create(
        program=program, user=tpm, name="Cut over the fleet", target_date=days(-30), critical=True
    )
    minor = program_services.milestone_create(
        program=program, user=tpm, name="Retire old images", target_date=days(-3)
    )
    metric_services.health_recompute(program_ids=[program.pk])

    body = as_user(tpm).get(f"{API}/health/{program.slug}/").json()
    assert (body["grade"], body["cause"], body["stale"], body["watermelon"]) == (
        "red", "schedule", False, False,
    )  # fmt: skip
    assert body["score"] < 50
    red = {
        "family": "schedule",
        "severity": "red",
        "code": "critical_overdue",
        "subject_id": critical.pk,
        "subject": "Cut over the fleet",
        "figures": {"days": 30},
        "cost": 90.0,  # red's 60, and a point a day overdue
        "text": "Critical milestone 'Cut over the fleet' is 30 days overdue",
        "remedy": "Finish 'Cut over the fleet', or re-plan it with a new date and a reason",
    }
    watch = {
        "family": "schedule",
        "severity": "watch",
        "code": "milestone_overdue",
        "subject_id": minor.pk,
        "subject": "Retire old images",
        "figures": {"days": 3},
        "cost": 6.5,
        "text": "Milestone 'Retire old images' is 3 days overdue",
        "remedy": "Finish 'Retire old images', or re-plan it with a new date and a reason",
    }
    assert body["reasons"] == [red, watch]
    assert body["to_clear"] == [red]

    history = as_user(tpm).get(f"{API}/health-snapshots/", {"program": program.slug}).json()
    (today,) = history["results"]
    assert (today["grade"], today["cause"], today["stale"]) == ("red", "schedule", False)
    assert today["reasons"] == [red, watch]
    assert "ceiling" not in today and "ceiling" not in body


def test_snapshots_stored_before_structured_reasons_keep_their_words(tpm, program):
    """History is never rewritten: a snapshot whose reasons were stored as text is served with
    those words, its family from its component, and no severity, code or remedy."""
    program_services.milestone_create(
        program=program, user=tpm, name="Cut over the fleet", target_date=days(-30), critical=True
    )
    metric_services.health_recompute(program_ids=[program.pk])
    HealthSnapshotFactory(
        program=program,
        day=days(-3),
        score=61,
        grade="yellow",
        reasons=[{"component": "schedule", "text": "old words", "points": 3.2}],
    )
    old = {
        "family": "schedule",
        "severity": "",
        "code": "",
        "subject_id": None,
        "subject": "",
        "figures": {},
        "cost": 3.2,
        "text": "old words",
        "remedy": "",
    }
    client = as_user(tpm)
    history = client.get(f"{API}/health-snapshots/", {"program": program.slug}).json()["results"]
    assert [row["day"] for row in history] == [days(0).isoformat(), days(-3).isoformat()]
    assert history[0]["reasons"][0]["code"] == "critical_overdue"
    assert (history[1]["reasons"], history[1]["cause"], history[1]["stale"]) == (
        [old], "schedule", False,
    )  # fmt: skip
    assert client.get(f"{API}/health-snapshots/{history[1]['id']}/").json()["reasons"] == [old]

    # A program whose latest snapshot is an old one is explained by it.
    elder = ProgramFactory(slug="elder", tpm=tpm)
    HealthSnapshotFactory(
        program=elder,
        day=days(-3),
        score=61,
        grade="yellow",
        reasons=[{"component": "risk", "text": "old words", "points": 3.2}],
    )
    body = client.get(f"{API}/health/elder/").json()
    assert body["reasons"] == body["to_clear"] == [{**old, "family": "risk"}]


def test_red_because_of_a_launch_is_found_by_cause(tpm, program):
    """``?grade=red&cause=launch_readiness``: every program red because of a launch."""
    review = review_services.launch_review_create(
        program=program, user=tpm, title="GA in eu-west", launch_date=days(3), tier=3
    )
    late = ProgramFactory(slug="late-milestone", tpm=tpm)
    program_services.milestone_create(
        program=late, user=tpm, name="Cut over", target_date=days(-30), critical=True
    )
    metric_services.health_recompute(program_ids=[program.pk, late.pk])

    client = as_user(tpm)
    url = f"{API}/health/"
    assert slugs(client, url, grade="red") == [program.slug, "late-milestone"]
    assert slugs(client, url, grade="red", cause="launch_readiness") == [program.slug]
    assert slugs(client, url, grade="red", cause="schedule") == ["late-milestone"]
    body = client.get(f"{url}{program.slug}/").json()
    required = review.items.filter(required=True).count()
    assert body["to_clear"][0]["code"] == "launch_unready"
    assert body["to_clear"][0]["subject_id"] == review.pk
    assert body["to_clear"][0]["text"] == (
        f"Launch 'GA in eu-west' in 3 days is not approved, with {required} required "
        "checklist items open"
    )
    assert body["to_clear"][0]["remedy"] == (
        "Close the required checklist items of 'GA in eu-west' and get it approved"
    )
    programs = client.get(f"{API}/programs/", {"cause": "launch_readiness"}).json()["results"]
    assert [(row["slug"], row["health_cause"]) for row in programs] == [
        (program.slug, "launch_readiness")
    ]


def test_the_api_names_the_engines_families():
    """The choices the API filters and describes causes by are the engine's families, in
    review order."""
    assert [value for value, _ in HEALTH_FAMILY_CHOICES] == [family.value for family in FAMILIES]


def test_health_and_snapshots_are_read_only(tpm, program):
    snapshot = HealthSnapshotFactory(program=program, day=days(0), score=80, grade="green")
    client = as_user(tpm)
    assert client.patch(f"{API}/health/{program.slug}/", {"score": 100}).status_code == 405
    assert client.post(f"{API}/health/", {}).status_code == 405
    assert client.delete(f"{API}/health-snapshots/{snapshot.pk}/").status_code == 405
    assert client.post(f"{API}/health-snapshots/", {}).status_code == 405


# --- Permissions ----------------------------------------------------------------------------

# who → status of: read a metric, change it, add a metric, record a reading, read health
MATRIX = {
    "tpm": (200, 200, 201, 201, 200),
    "contributor": (200, 403, 403, 403, 200),
    "outsider": (200, 403, 403, 403, 200),
    "leader": (200, 403, 403, 403, 200),
    "anonymous": (401, 401, 401, 401, 401),
}


@pytest.mark.parametrize("who", MATRIX)
def test_permission_matrix_on_a_public_program(who, people, program, metric):
    read, change, add_metric, add_reading, health = MATRIX[who]
    client = as_user(people[who])
    url = f"{API}/success-metrics/{metric.pk}/"
    assert client.get(url).status_code == read
    assert client.patch(url, {"name": f"By {who}"}, HTTP_IF_MATCH='"1"').status_code == change
    created = client.post(f"{API}/success-metrics/", metric_payload(program, name=f"By {who}"))
    assert created.status_code == add_metric
    reading = client.post(
        f"{API}/metric-readings/",
        {"metric": metric.pk, "value": 5, "measured_on": days(-1).isoformat()},
    )
    assert reading.status_code == add_reading
    assert client.get(f"{API}/health/{program.slug}/").status_code == health
    metric.refresh_from_db()
    assert (metric.name == f"By {who}") == (change == 200)
    assert SuccessMetric.objects.filter(name=f"By {who}").count() == (2 if change == 200 else 0)
    assert MetricReading.objects.exists() == (add_reading == 201)


# who → sees the confidential program's metrics and health (lists and by URL), may write them
CONFIDENTIAL = {
    "tpm": (True, True),
    "engineer": (True, False),  # a contributor member of it
    "outsider": (False, False),
    "leader": (True, False),
}


@pytest.mark.parametrize("who", CONFIDENTIAL)
def test_confidential_metrics_and_health_are_invisible_to_outsiders(
    who, request, confidential_program, program
):
    user = request.getfixturevalue(who)
    sees, writes = CONFIDENTIAL[who]
    secret = SuccessMetricFactory(program=confidential_program, name="Secret metric")
    public = SuccessMetricFactory(program=program, name="Public metric")
    MetricReadingFactory(metric=public, value=7, measured_on=days(-2))
    reading = MetricReadingFactory(metric=secret, value=3, measured_on=days(-2))
    snapshot = HealthSnapshotFactory(
        program=confidential_program, day=days(0), score=40, grade="red"
    )
    HealthSnapshotFactory(program=program, day=days(0), score=90, grade="green")
    client = as_user(user)
    found = 200 if sees else 404

    assert client.get(f"{API}/success-metrics/{secret.pk}/").status_code == found
    assert client.get(f"{API}/metric-readings/{reading.pk}/").status_code == found
    assert client.get(f"{API}/health/{confidential_program.slug}/").status_code == found
    assert client.get(f"{API}/health-snapshots/{snapshot.pk}/").status_code == found
    lists = {
        "success-metrics": "name",
        "metric-readings": "program",
        "health": "slug",
        "health-snapshots": "program",
    }
    for resource, key in lists.items():
        rows = client.get(f"{API}/{resource}/").json()["results"]
        shown = {row[key] for row in rows}
        assert ({"Secret metric", confidential_program.slug} & shown != set()) == sees, resource
        assert {"Public metric", program.slug} & shown, resource

    patch = client.patch(
        f"{API}/success-metrics/{secret.pk}/", {"name": "Leaked"}, HTTP_IF_MATCH='"1"'
    )
    assert patch.status_code == (200 if writes else 403 if sees else 404)
    reading = client.post(
        f"{API}/metric-readings/",
        {"metric": secret.pk, "value": 9, "measured_on": days(-1).isoformat()},
    )
    if sees:
        assert reading.status_code == (201 if writes else 403)
    else:
        # Not visible: the metric "does not exist" for this caller, as a field error.
        assert reading.status_code == 400 and "metric" in reading.json()
    secret.refresh_from_db()
    assert (secret.name == "Leaked") == writes


# --- Optimistic concurrency -----------------------------------------------------------------


@pytest.mark.parametrize(
    "headers, body, status_code",
    [
        ({"HTTP_IF_MATCH": '"1"'}, {}, 412),
        ({}, {"version": 1}, 409),
        ({}, {}, 428),
    ],
    ids=["stale-if-match", "stale-body-version", "no-precondition"],
)
def test_stale_or_unconditional_metric_writes_are_refused_and_change_nothing(
    tpm, metric, headers, body, status_code
):
    SuccessMetric.objects.filter(pk=metric.pk).update(version=2, name="Changed elsewhere")
    response = as_user(tpm).patch(
        f"{API}/success-metrics/{metric.pk}/", {"name": "Mine", **body}, **headers
    )
    assert response.status_code == status_code, response.json()
    assert "detail" in response.json()
    if status_code == 409:
        assert response.json()["current_version"] == 2
    metric.refresh_from_db()
    assert (metric.name, metric.version) == ("Changed elsewhere", 2)
    assert metric.history.count() == 1


def test_stale_write_is_refused_before_its_fields_are_judged(tpm, metric):
    """A stale version answers 409 even when the change would also be invalid."""
    SuccessMetric.objects.filter(pk=metric.pk).update(version=2)
    response = as_user(tpm).patch(
        f"{API}/success-metrics/{metric.pk}/", {"target_value": 0, "version": 1}
    )
    assert response.status_code == 409


# --- Errors are JSON with field messages, never a 500 ---------------------------------------


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"target_date": days(-20).isoformat()}, "target_date"),  # before the baseline
        ({"target_date": days(-10).isoformat()}, "target_date"),  # on the baseline
        ({"target_value": 90}, "target_value"),  # equal to the baseline
        ({"baseline_value": "lots"}, "baseline_value"),
        ({"target_value": "NaN"}, "target_value"),
        ({"baseline_date": "2026-13-45"}, "baseline_date"),
        ({"direction": "sideways"}, "direction"),
        ({"program": "no-such-program"}, "program"),
        ({"name": ""}, "name"),
        ({"version": 3}, "version"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_bad_metric_input_answers_400_with_the_field(tpm, program, overrides, field):
    response = as_user(tpm).post(f"{API}/success-metrics/", metric_payload(program, **overrides))
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert not SuccessMetric.objects.exists()


@pytest.mark.parametrize(
    "change, field",
    [
        ({"target_date": days(-40).isoformat()}, "target_date"),
        ({"baseline_date": days(30).isoformat()}, "target_date"),
        ({"target_value": 0}, "target_value"),
        ({"program": "other"}, "program"),
    ],
)
def test_bad_metric_change_answers_400_and_keeps_the_row(tpm, metric, change, field):
    response = as_user(tpm).patch(
        f"{API}/success-metrics/{metric.pk}/", change, HTTP_IF_MATCH='"1"'
    )
    assert response.status_code == 400
    assert field in response.json(), response.json()
    metric.refresh_from_db()
    assert (metric.version, metric.target_value, metric.target_date) == (1, 100, days(30))


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"measured_on": days(1).isoformat()}, "measured_on"),  # in the future
        ({"measured_on": "yesterday"}, "measured_on"),
        ({"value": "forty"}, "value"),
        ({"value": None}, "value"),
        ({"value": "Infinity"}, "value"),
        ({"metric": 999999}, "metric"),
        ({"metric": "abc"}, "metric"),
        ({"source": "x" * 201}, "source"),
        ({"recorded_by": "tina.tpm"}, "recorded_by"),
    ],
)
def test_bad_reading_input_answers_400_with_the_field(tpm, metric, overrides, field):
    body = {"metric": metric.pk, "value": 42, "measured_on": days(0).isoformat(), **overrides}
    response = as_user(tpm).post(f"{API}/metric-readings/", body)
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert not MetricReading.objects.exists()


@pytest.mark.parametrize(
    "url, field",
    [
        ("/health/?grade=purple", "grade"),
        ("/health/?cause=weather", "cause"),
        ("/health-snapshots/?cause=weather", "cause"),
        ("/programs/?cause=weather", "cause"),
        ("/health/?min_score=lots", "min_score"),
        ("/health-snapshots/?day_after=not-a-date", "day"),
        ("/health-snapshots/?grade=blue", "grade"),
        ("/metric-readings/?measured_on_before=someday", "measured_on"),
        ("/metric-readings/?metric=abc", "metric"),
        ("/success-metrics/?direction=sideways", "direction"),
    ],
)
def test_bad_filters_are_field_errors(tpm, url, field):
    response = as_user(tpm).get(f"{API}{url}")
    assert response.status_code == 400
    assert field in response.json(), response.json()


def test_malformed_json_is_a_400_with_detail(tpm, metric):
    response = as_user(tpm).post(
        f"{API}/metric-readings/", data='{"value": ', content_type="application/json"
    )
    assert response.status_code == 400
    assert "detail" in response.json()


# --- Health filters and ordering ------------------------------------------------------------


def signal(family: str, severity: str, code: str, subject: str, **figures) -> dict:
    """A reason as the health service stores it."""
    return {
        "family": family,
        "severity": severity,
        "code": code,
        "subject_id": 7,
        "subject": subject,
        "figures": figures,
        "cost": 30.0,
    }


@pytest.fixture
def graded_programs(tpm):
    """Three programs with current health and two days of snapshots each: alpha green, bravo
    yellow (a risk; watermelon), charlie red (a launch; stale)."""
    infra = PortfolioFactory(slug="core-infra", name="Core Infrastructure")
    bravo_risk = signal(
        "risk", "yellow", "high_risk", "bravo risk", likelihood=4, impact=4, exposure=16, late=0
    )
    charlie_launch = signal("launch_readiness", "red", "launch_unready", "GA", days=2, open=3)
    charlie_stale = signal("freshness", "yellow", "update_stale", "", days=20, cadence=7)
    rows = [
        ("alpha", 88, "green", False, False, infra, []),
        ("bravo", 61, "yellow", True, False, infra, [bravo_risk]),
        ("charlie", 32, "red", False, True, PortfolioFactory(slug="data", name="Data"),
         [charlie_launch, charlie_stale]),
    ]  # fmt: skip
    programs = {}
    for slug, score, grade, watermelon, stale, portfolio, reasons in rows:
        program = ProgramFactory(slug=slug, name=slug.title(), tpm=tpm, portfolio=portfolio)
        Program.objects.filter(pk=program.pk).update(
            health_score=score,
            health_grade=grade,
            health_watermelon=watermelon,
            health_stale=stale,
            health_cause=reasons[0]["family"] if reasons else "",
            health_computed_at=timezone.now(),
        )
        HealthSnapshotFactory(program=program, day=days(-1), score=score + 5, grade="green")
        HealthSnapshotFactory(
            program=program,
            day=days(0),
            score=score,
            grade=grade,
            watermelon=watermelon,
            stale=stale,
            reasons=reasons,
            components={"risk": 70},
            reported_health="on_track" if watermelon else "",
        )
        programs[slug] = program
    ProgramFactory(slug="unscored", name="Unscored", tpm=tpm, portfolio=infra)
    return programs


def slugs(client, url, **params) -> list[str]:
    response = client.get(url, params)
    assert response.status_code == 200, response.json()
    return [row["slug"] if "slug" in row else row["program"] for row in response.json()["results"]]


def test_health_list_filters_and_orders(tpm, graded_programs):
    client = as_user(tpm)
    url = f"{API}/health/"
    assert slugs(client, url) == ["alpha", "bravo", "charlie", "unscored"]
    assert slugs(client, url, grade="red") == ["charlie"]
    assert slugs(client, f"{url}?grade=red&grade=yellow") == ["bravo", "charlie"]
    assert slugs(client, url, watermelon="true") == ["bravo"]
    assert slugs(client, url, watermelon="false") == ["alpha", "charlie", "unscored"]
    assert slugs(client, url, portfolio="core-infra") == ["alpha", "bravo", "unscored"]
    assert slugs(client, url, min_score=50, max_score=70) == ["bravo"]
    # Worst first, and programs never scored come last in either direction.
    assert slugs(client, url, ordering="score") == ["charlie", "bravo", "alpha", "unscored"]
    assert slugs(client, url, ordering="-score") == ["alpha", "bravo", "charlie", "unscored"]


def test_health_list_explains_each_program_from_its_latest_snapshot(tpm, graded_programs):
    rows = as_user(tpm).get(f"{API}/health/", {"watermelon": "true"}).json()["results"]
    reason = {
        "family": "risk",
        "severity": "yellow",
        "code": "high_risk",
        "subject_id": 7,
        "subject": "bravo risk",
        "figures": {"likelihood": 4, "impact": 4, "exposure": 16, "late": 0},
        "cost": 30.0,
        "text": "Risk 'bravo risk' (likelihood 4 × impact 4 = 16) has no mitigation under way",
        "remedy": "Start mitigating 'bravo risk', or set a new mitigation date",
    }
    assert rows == [
        {
            "slug": "bravo",
            "name": "Bravo",
            "portfolio": "core-infra",
            "phase": "executing",
            "score": 61,
            "grade": "yellow",
            "watermelon": True,
            "stale": False,
            "cause": "risk",
            "computed_at": rows[0]["computed_at"],
            "snapshot_day": days(0).isoformat(),
            "components": {"risk": 70},
            "reasons": [reason],
            "to_clear": [reason],
            "forecast": None,
            "reported_health": "on_track",
        }
    ]


def test_health_list_filters_by_cause_and_stale(tpm, graded_programs):
    client = as_user(tpm)
    url = f"{API}/health/"
    assert slugs(client, url, cause="risk") == ["bravo"]
    assert slugs(client, f"{url}?cause=risk&cause=launch_readiness") == ["bravo", "charlie"]
    assert slugs(client, url, grade="red", cause="launch_readiness") == ["charlie"]
    assert slugs(client, url, grade="yellow", cause="launch_readiness") == []
    assert slugs(client, url, cause="schedule") == []
    assert slugs(client, url, stale="true") == ["charlie"]
    assert slugs(client, url, stale="false") == ["alpha", "bravo", "unscored"]
    charlie = client.get(f"{url}charlie/").json()
    assert (charlie["cause"], charlie["stale"]) == ("launch_readiness", True)
    assert [r["code"] for r in charlie["to_clear"]] == ["launch_unready", "update_stale"]
    assert charlie["to_clear"][1]["text"] == (
        "Last status update was 20 days ago (expected every 7 days)"
    )


def test_program_list_filters_by_cause_and_stale(tpm, graded_programs):
    client = as_user(tpm)
    url = f"{API}/programs/"
    assert slugs(client, url, cause="launch_readiness") == ["charlie"]
    assert slugs(client, f"{url}?cause=risk&cause=launch_readiness") == ["bravo", "charlie"]
    assert slugs(client, url, stale="true") == ["charlie"]
    rows = client.get(url).json()["results"]
    assert [(r["slug"], r["health_cause"], r["health_stale"]) for r in rows] == [
        ("alpha", "", False),
        ("bravo", "risk", False),
        ("charlie", "launch_readiness", True),
        ("unscored", "", False),
    ]
    detail = client.get(f"{url}charlie/").json()
    assert (detail["health_cause"], detail["health_stale"]) == ("launch_readiness", True)


def test_snapshot_history_filters_by_cause_and_stale(tpm, graded_programs):
    client = as_user(tpm)
    url = f"{API}/health-snapshots/"
    # Yesterday all three were green: no cause. Today bravo's is risk, charlie's a launch.
    assert slugs(client, url, cause="launch_readiness") == ["charlie"]
    assert sorted(slugs(client, f"{url}?cause=risk&cause=launch_readiness")) == [
        "bravo", "charlie",
    ]  # fmt: skip
    assert slugs(client, url, cause="freshness") == []  # charlie's second reason decides nothing
    assert slugs(client, url, stale="true") == ["charlie"]
    rows = client.get(url, {"program": "charlie"}).json()["results"]
    assert [(r["day"], r["cause"], r["stale"]) for r in rows] == [
        (days(0).isoformat(), "launch_readiness", True),
        (days(-1).isoformat(), "", False),
    ]
    # A snapshot stored before structured reasons is found by its component.
    HealthSnapshotFactory(
        program=graded_programs["alpha"],
        day=days(-9),
        score=40,
        grade="red",
        reasons=[{"component": "schedule", "text": "old words", "points": 30.0}],
    )
    assert slugs(client, url, cause="schedule") == ["alpha"]


def test_snapshot_history_filters_and_orders_by_day(tpm, graded_programs):
    client = as_user(tpm)
    url = f"{API}/health-snapshots/"
    history = client.get(url, {"program": "bravo"}).json()["results"]
    assert [(row["day"], row["score"]) for row in history] == [
        (days(0).isoformat(), 61),
        (days(-1).isoformat(), 66),
    ]
    oldest_first = client.get(url, {"program": "bravo", "ordering": "day"}).json()["results"]
    assert [row["day"] for row in oldest_first] == [days(-1).isoformat(), days(0).isoformat()]
    yesterday = {"day_after": days(-1).isoformat(), "day_before": days(-1).isoformat()}
    assert sorted(slugs(client, url, **yesterday)) == ["alpha", "bravo", "charlie"]
    assert slugs(client, url, grade="red") == ["charlie"]
    assert slugs(client, url, watermelon="true") == ["bravo"]
    assert client.get(url, {"day_after": days(1).isoformat()}).json()["count"] == 0
