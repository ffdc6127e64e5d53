"""The demo's seeding steps run in their declared order, whatever order the apps load in."""

import pytest

from programs import demo
from programs.demo import DemoStage, demo_steps, register_demo_step, run_demo_steps


@pytest.fixture
def registry(monkeypatch):
    """An empty registry for the test; the apps' own steps come back afterwards."""
    monkeypatch.setattr(demo, "_steps", {})


def test_the_apps_register_reviews_before_health():
    """Health counts launch reviews, so the reviews' steps run first."""
    assert [(step.name, step.stage) for step in demo_steps()] == [
        ("plans.plans", DemoStage.RECORDS),
        ("playbooks.playbooks", DemoStage.RECORDS),
        ("reviews.checklist_guidance", DemoStage.RECORDS),
        ("reviews.launch", DemoStage.RECORDS),
        ("reviews.operational", DemoStage.RECORDS),
        ("metrics.health", DemoStage.HISTORY),
        ("playbooks.latest_launch_process", DemoStage.HISTORY),
    ]


def test_steps_run_by_stage_then_name_not_by_registration(registry):
    """Registered in the reverse order (as if INSTALLED_APPS listed metrics first)."""
    ran: list[str] = []

    def step(name):
        return lambda *, today, **kwargs: ran.append(f"{name} {today}")

    register_demo_step("metrics.health", step("health"), stage=DemoStage.HISTORY)
    register_demo_step("reviews.operational", step("ops"), stage=DemoStage.RECORDS)
    register_demo_step("reviews.launch", step("launch"), stage=DemoStage.RECORDS)
    names = run_demo_steps(today="Monday", seed=1)
    assert names == ["reviews.launch", "reviews.operational", "metrics.health"]
    assert ran == ["launch Monday", "ops Monday", "health Monday"]


def test_registering_a_name_again_replaces_the_step(registry):
    register_demo_step("reviews.launch", lambda **kwargs: None, stage=DemoStage.RECORDS)
    register_demo_step("reviews.launch", lambda **kwargs: None, stage=DemoStage.HISTORY)
    assert [(step.name, step.stage) for step in demo_steps()] == [
        ("reviews.launch", DemoStage.HISTORY)
    ]
