"""The OpenAPI schema is valid and warning-free; the schema and docs need sign-in; no CDN."""

import json
import re

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer

pytestmark = pytest.mark.django_db

VERSIONED_WRITES = [
    ("/api/v1/programs/{slug}/", "patch"),
    ("/api/v1/programs/{slug}/", "put"),
    ("/api/v1/milestones/{id}/move/", "post"),
    ("/api/v1/milestones/{id}/complete/", "post"),
    ("/api/v1/risks/{id}/close/", "post"),
    ("/api/v1/status-updates/{id}/", "patch"),
    ("/api/v1/decisions/{id}/", "patch"),
    ("/api/v1/teams/{slug}/", "patch"),
    ("/api/v1/success-metrics/{id}/", "patch"),
    ("/api/v1/success-metrics/{id}/", "put"),
]


def test_schema_generates_validates_and_has_no_warnings(tmp_path):
    """``spectacular --validate --fail-on-warn`` exits cleanly (it raises on any warning)."""
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    assert target.read_text().startswith("openapi: 3")


@pytest.fixture(scope="module")
def schema():
    """Generated once for the module, as ``/api/schema/`` serves it (the schema fuzzing test
    holds the served and generated schemas equal); reading it needs no database."""
    raw = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(raw))


@pytest.mark.parametrize("path, method", VERSIONED_WRITES)
def test_updates_document_if_match_and_every_refusal(schema, path, method):
    operation = schema["paths"][path][method]
    headers = [p["name"] for p in operation["parameters"] if p["in"] == "header"]
    assert headers == ["If-Match"]
    assert {"400", "401", "403", "404", "409", "412", "428"} <= set(operation["responses"])
    assert "ETag" in operation["responses"]["200"]["headers"]


def test_detail_reads_document_the_etag_header(schema):
    operation = schema["paths"]["/api/v1/programs/{slug}/"]["get"]
    assert "ETag" in operation["responses"]["200"]["headers"]


def test_lists_document_filters_ordering_and_pagination(schema):
    operation = schema["paths"]["/api/v1/milestones/"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert {
        "program",
        "state",
        "critical",
        "overdue",
        "target_date_after",
        "ordering",
        "page",
    } <= names
    page = schema["components"]["schemas"]["PaginatedMilestoneList"]
    assert {"count", "next", "previous", "results"} <= set(page["properties"])


def test_move_documents_its_input(schema):
    body = schema["components"]["schemas"]["MilestoneMoveRequest"]
    assert set(body["required"]) == {"target_date", "category", "reason"}


@pytest.mark.parametrize("path", ["/api/schema/", "/api/docs/", "/api/docs/?script="])
def test_schema_and_docs_need_sign_in(path):
    response = Client().get(path)
    assert response.status_code in (401, 403)


def test_docs_page_uses_only_local_assets(client, tpm):
    client.force_login(tpm)
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    references = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert "<script>" not in html  # no inline script: the page runs under our strict CSP
    for reference in references:
        assert not re.match(r"^(https?:)?//", reference), reference
    # The page sits in the product's layout (its links go anywhere in Pulse); its assets are ours.
    assets = re.findall(r'<(?:script[^>]*\ssrc|link[^>]*\shref)="([^"]+)"', html)
    assert assets, html
    for reference in assets:
        if reference.startswith("/static/"):
            assert finders.find(reference.removeprefix("/static/")), reference
        else:
            assert reference.startswith("/api/docs/?"), reference
    script = client.get("/api/docs/", {"script": ""})
    assert script.status_code == 200
    assert "/api/schema/" in script.content.decode()


def test_every_operation_documents_its_refusals_with_the_shared_schema_class(schema):
    """The default schema class covers every view, core's /me/ and the metrics API included."""
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert {"401", "403"} <= set(operation["responses"]), (path, method)
            if "{" in path:
                assert "404" in operation["responses"], (path, method)


def test_metrics_lists_document_their_filters(schema):
    expected = {
        "/api/v1/success-metrics/": {"program", "direction", "ordering", "page"},
        "/api/v1/metric-readings/": {"metric", "program", "measured_on_after", "page"},
        "/api/v1/health/": {
            "grade",
            "watermelon",
            "cause",
            "stale",
            "portfolio",
            "min_score",
            "max_score",
        },
        "/api/v1/health-snapshots/": {
            "program",
            "day_after",
            "day_before",
            "grade",
            "cause",
            "stale",
        },
        "/api/v1/programs/": {"health_grade", "watermelon", "cause", "stale"},
    }
    for path, names in expected.items():
        operation = schema["paths"][path]["get"]
        assert names <= {p["name"] for p in operation["parameters"]}, path
        assert "400" in operation["responses"], path


def test_readings_and_health_are_not_writable_and_health_sends_no_etag(schema):
    assert set(schema["paths"]["/api/v1/metric-readings/{id}/"]) == {"get"}
    assert set(schema["paths"]["/api/v1/health/{slug}/"]) == {"get"}
    assert set(schema["paths"]["/api/v1/health-snapshots/"]) == {"get"}
    health = schema["paths"]["/api/v1/health/{slug}/"]["get"]["responses"]["200"]
    assert "ETag" not in health.get("headers", {})
    reasons = schema["components"]["schemas"]["ProgramHealth"]["properties"]["reasons"]
    assert reasons["items"]["$ref"] == "#/components/schemas/Reason"


FAMILIES = ["schedule", "launch_readiness", "dependencies", "risk", "freshness", "outcomes"]


def enum_of(schema, prop: dict) -> tuple[list, bool]:
    """The values a property's enum allows, and whether it may also be blank."""
    refs = [prop["$ref"]] if "$ref" in prop else [r["$ref"] for r in prop.get("oneOf", [])]
    refs += [r["$ref"] for r in prop.get("allOf", [])]
    names = [ref.rsplit("/", 1)[1] for ref in refs]
    blank = "BlankEnum" in names
    values = [
        v
        for name in names
        if name != "BlankEnum"
        for v in schema["components"]["schemas"][name]["enum"]
    ]
    return values, blank


def test_reasons_are_structured_with_families_and_severities_as_enums(schema):
    """A reason has its structure, sentence and remedy; family and severity are enums (the
    severity blank for reasons stored before severities); no field is left undocumented."""
    reason = schema["components"]["schemas"]["Reason"]
    props = reason["properties"]
    assert list(props) == [
        "family", "severity", "code", "subject_id", "subject", "figures", "cost", "text", "remedy",
    ]  # fmt: skip
    assert set(reason["required"]) == set(props)
    assert enum_of(schema, props["family"]) == (FAMILIES, False)
    assert enum_of(schema, props["severity"]) == (["watch", "yellow", "red"], True)
    assert props["subject_id"]["nullable"] is True
    assert props["figures"]["type"] == "object"
    assert (props["cost"]["type"], props["text"]["type"]) == ("number", "string")
    for name, prop in props.items():
        assert prop.get("description"), name


@pytest.mark.parametrize(
    "component, stale, cause",
    [
        ("ProgramHealth", "stale", "cause"),
        ("HealthSnapshot", "stale", "cause"),
        ("Program", "health_stale", "health_cause"),
        ("ProgramList", "health_stale", "health_cause"),
    ],
)
def test_health_shapes_carry_stale_and_cause_and_no_ceiling(schema, component, stale, cause):
    props = schema["components"]["schemas"][component]["properties"]
    assert props[stale]["type"] == "boolean" and props[stale]["description"]
    assert enum_of(schema, props[cause]) == (FAMILIES, True)
    assert props[cause]["description"]
    assert not {"ceiling", "health_ceiling"} & set(props)


def test_program_health_lists_what_would_make_it_green(schema):
    to_clear = schema["components"]["schemas"]["ProgramHealth"]["properties"]["to_clear"]
    assert to_clear["items"]["$ref"] == "#/components/schemas/Reason"
    assert to_clear["description"]


def test_cause_filters_offer_the_families(schema):
    for path in ("/api/v1/health/", "/api/v1/health-snapshots/", "/api/v1/programs/"):
        (cause,) = [p for p in schema["paths"][path]["get"]["parameters"] if p["name"] == "cause"]
        assert sorted(cause["schema"]["items"]["enum"]) == sorted(FAMILIES), path


def test_the_400_body_is_described_as_it_is_sent(schema):
    """Field names as keys (messages, or a nested input's errors), `non_field_errors`, or
    `detail` alone for a body that could not be parsed: no made-up `field_name` property."""
    body = schema["components"]["schemas"]["ValidationErrors"]
    assert body["type"] == "object"
    assert "required" not in body
    assert set(body["properties"]) == {"detail", "non_field_errors"}
    kinds = {option["type"] for option in body["additionalProperties"]["anyOf"]}
    assert kinds == {"array", "object", "string"}
    operation = schema["paths"]["/api/v1/programs/"]["post"]
    ref = operation["responses"]["400"]["content"]["application/json"]["schema"]["$ref"]
    assert ref == "#/components/schemas/ValidationErrors"


def test_every_operation_documents_throttling_and_an_unreachable_database(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for code in ("429", "503"):
                response = operation["responses"].get(code)
                assert response, (path, method, code)
                assert response["headers"]["Retry-After"]["schema"]["type"] == "integer"


def test_lists_deletions_and_bulk_answers_document_what_they_answer(schema):
    """A page past the end is 404; a refused deletion is 400; bulk answers 409 and 422."""
    lists = 0
    for path, operations in schema["paths"].items():
        page = operations.get("get", {}).get("responses", {}).get("200", {})
        ref = page.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref")
        if ref and ref.rsplit("/", 1)[1].startswith("Paginated"):
            assert "404" in operations["get"]["responses"], path
            lists += 1
        if "delete" in operations:
            assert "400" in operations["delete"]["responses"], path
    assert lists >= 15
    answers = schema["paths"]["/api/v1/launch-reviews/{id}/answers/"]["post"]["responses"]
    assert {"200", "400", "404", "409", "422"} <= set(answers)


@pytest.mark.parametrize(
    "component, field",
    [
        ("ActionItem", "closed_in"),
        ("ActionItem", "closed_by"),
        ("Portfolio", "leader"),
        ("CapacityRequest", "decided_by"),
        ("LaunchReviewItem", "answered_by"),
        ("MetricReading", "recorded_by"),
        ("OperationalReview", "facilitator"),
        ("OperationalReview", "created_by"),
    ],
)
def test_optional_references_are_nullable(schema, component, field):
    assert schema["components"]["schemas"][component]["properties"][field]["nullable"] is True


def test_a_blank_choice_read_back_is_allowed(schema):
    """A comment on no particular area has area "": the read schema allows the blank."""
    area = schema["components"]["schemas"]["ReviewComment"]["properties"]["area"]
    assert enum_of(schema, area)[1] is True
