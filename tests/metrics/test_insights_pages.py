"""Insights pages, CSVs and API: who may read them, their filters, and a fixed query count."""

import csv
import datetime
import io

import pytest
from django.utils import timezone

from metrics.insights.selectors import Quarter
from reviews.models import ActionItem, OperationalReview
from tests.conftest import client_for
from tests.factories import (
    ActionItemFactory,
    CapacityBudgetFactory,
    CapacityRequestFactory,
    DecisionFactory,
    HealthSnapshotFactory,
    LaunchReviewFactory,
    LaunchReviewItemFactory,
    MilestoneDateChangeFactory,
    MilestoneFactory,
    PortfolioFactory,
    ProgramFactory,
    SignOffFactory,
    TeamFactory,
)

pytestmark = pytest.mark.django_db
PAGES = [
    "/insights/",
    "/insights/launch-reviews/",
    "/insights/capacity/",
    "/insights/ops-reviews/",
    "/insights/delivery/",
    "/insights/forecast-accuracy/",
]
API = [
    "/api/v1/insights/launch-reviews/",
    "/api/v1/insights/capacity/",
    "/api/v1/insights/ops-reviews/",
    "/api/v1/insights/delivery/",
    "/api/v1/insights/forecast-accuracy/",
]


def build(count: int, *, portfolio=None) -> None:
    """``count`` programs with a launch review and a capacity request each, this quarter."""
    now = timezone.now()
    team = TeamFactory(slug="insights-team")
    if not team.capacity_budgets.exists():
        CapacityBudgetFactory(team=team, quarter=str(Quarter.of(now.date())), amount=50)
    last_week, _ = OperationalReview.objects.get_or_create(
        date=now.date() - datetime.timedelta(days=7), portfolio=None, defaults={"title": "Weekly"}
    )
    for _ in range(count):
        program = ProgramFactory(**({"portfolio": portfolio} if portfolio else {}))
        build_ops(program, last_week, now=now)
        build_forecasts(program, today=now.date())
        build_delivery(program, team, now=now)
        review = LaunchReviewFactory(
            program=program, state="launched", submitted_at=now - datetime.timedelta(days=9),
            decided_at=now, launched_at=now,
        )  # fmt: skip
        LaunchReviewItemFactory(review=review)
        SignOffFactory(review=review)
        waiting = LaunchReviewFactory(
            program=program, state="submitted", submitted_at=now - datetime.timedelta(days=9)
        )
        LaunchReviewItemFactory(review=waiting, area="security")
        CapacityRequestFactory(
            program=program, team=team, quarter=str(Quarter.of(now.date())), state="approved",
            approved_amount=5, submitted_at=now - datetime.timedelta(days=20), decided_at=now,
            override_reason="Needed",
        )  # fmt: skip
        CapacityRequestFactory(
            program=program, team=team, state="submitted",
            submitted_at=now - datetime.timedelta(days=30),
        )  # fmt: skip


def build_ops(program, review, *, now) -> None:
    """An overdue action item and a closed one agreed in ``review``, and a decision in it."""
    ActionItemFactory(
        created_in=review, program=program, due_date=now.date() - datetime.timedelta(days=3)
    )
    closed = ActionItemFactory(created_in=review, program=program)
    ActionItem.objects.filter(pk=closed.pk).update(state="done", closed_at=now, closed_in=review)
    review.decisions.add(DecisionFactory(program=program))


def build_forecasts(program, *, today) -> None:
    """A critical milestone finished yesterday, forecast 7 and 14 days before that."""
    finished = today - datetime.timedelta(days=1)
    milestone = MilestoneFactory(
        program=program, critical=True, state="done", completed_date=finished,
        baseline_date=finished - datetime.timedelta(days=5),
    )  # fmt: skip
    for horizon, late in ((7, 2), (14, 6)):
        HealthSnapshotFactory(
            program=program, day=finished - datetime.timedelta(days=horizon),
            forecast={"milestone_id": milestone.pk, "target_date": str(milestone.target_date),
                      "forecast_date": str(milestone.target_date + datetime.timedelta(days=late))},
        )  # fmt: skip


def build_delivery(program, team, *, now) -> None:
    """A slipped milestone of ``team`` that a milestone of another team waits on."""
    upstream = MilestoneFactory(
        program=program, owner_team=team, baseline_date=now.date() - datetime.timedelta(days=3)
    )
    MilestoneDateChangeFactory(milestone=upstream)
    MilestoneFactory(program=program, owner_team=TeamFactory()).depends_on.add(upstream)


@pytest.mark.parametrize("path", PAGES + API + ["/insights/capacity/waiting.csv"])
def test_only_tpms_and_leadership_read_insights(client, api_client, engineer, reviewer, tpm, path):
    for user in (engineer, reviewer):
        assert client_for(client, user).get(path).status_code == 403
    assert client_for(client, tpm).get(path).status_code == 200


def test_pages_and_api_run_fixed_queries_at_two_sizes(client, leader, same_queries_at_two_sizes):
    build(2)
    client_for(client, leader)
    reads = {path: path for path in PAGES + API}
    reads["csv"] = "/insights/launch-reviews/areas.csv"
    same_queries_at_two_sizes(client, reads, grow=lambda: build(12))


def test_page_shows_filters_tables_and_csv_links(client, leader):
    portfolio = PortfolioFactory(slug="infra", name="Infrastructure")
    build(2, portfolio=portfolio)
    quarter = str(Quarter.of(timezone.localdate()))
    html = (
        client_for(client, leader)
        .get("/insights/launch-reviews/", {"portfolio": "infra", "quarter": quarter})
        .content.decode()
    )
    assert "Waiting per area" in html and 'data-chart="chart-areas"' in html
    assert f"/insights/launch-reviews/areas.csv?portfolio=infra&amp;quarter={quarter}" in html
    assert "Sign-offs overdue now" in html and "Infrastructure" in html


def test_empty_states_say_what_to_do(client, leader):
    html = client_for(client, leader).get("/insights/capacity/", {"quarter": "2024-Q1"}).content
    assert b"Pick an earlier quarter" in html and b"Budgets are set on the Capacity page" in html


def test_csv_matches_the_table_and_the_api(client, leader):
    build(3)
    client_for(client, leader)
    response = client.get("/insights/capacity/budget-use.csv")
    assert response["Content-Disposition"].startswith(
        'attachment; filename="pulse-insights-capacity-budget-use-'
    )
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == ["Team", "Resource", "Unit", "Budget", "Granted", "Used"]
    assert rows[1][1:] == ["vCPU", "vCPU", "50", "15", "0.3"]
    api = client.get("/api/v1/insights/capacity/").json()
    assert api["budget_use"][0]["granted"] == "15.00"
    assert api["overrides"][0]["reason"] == "Needed" and len(api["waiting"]) == 3
    assert client.get("/insights/capacity/nothing.csv").status_code == 404
    assert client.get("/insights/nothing/").status_code == 404


def test_api_filters_and_bad_quarter(client, leader):
    build(1)
    client_for(client, leader)
    assert client.get("/api/v1/insights/launch-reviews/", {"quarter": "2025-Q9"}).status_code == 400
    data = client.get("/api/v1/insights/launch-reviews/", {"quarter": "2024-Q1"}).json()
    assert data["quarter"] == "2024-Q1" and data["decision"]["count"] == 0
    now = client.get("/api/v1/insights/launch-reviews/").json()
    assert now["decision"]["count"] == 1 and now["decision"]["median_days"] == 9.0
    assert len(now["trend"]) == 4


def test_schema_documents_the_insights_endpoints(api_client, tpm):
    api_client.force_authenticate(tpm)
    schema = api_client.get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/insights/capacity/"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"quarter", "portfolio", "team"}
    assert {"200", "400", "403"} <= set(operation["responses"])
