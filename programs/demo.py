"""The demo's seeding steps: ``seed_demo`` writes the programs, then each app above adds its part.

``programs`` imports no app above it, so those apps register their steps here from their
``AppConfig.ready``. The order is declared, not left to ``INSTALLED_APPS``: every step names
its stage, stages run in order, and a program's health (stage ``HISTORY``) is computed only
after the launch reviews it counts (stage ``RECORDS``) exist. Inside a stage, steps do not
depend on each other and run by name, so the order is the same on every machine.
"""

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


class DemoStage(enum.IntEnum):
    """When a step runs; a later stage sees everything the earlier ones wrote."""

    RECORDS = 10
    """Rows of their own about the programs: launch reviews, capacity requests, ops reviews."""

    HISTORY = 20
    """What is measured and computed from all the rows: metrics, readings, health history."""


@dataclass(frozen=True)
class DemoStep:
    name: str
    stage: DemoStage
    run: Callable[..., None]


_steps: dict[str, DemoStep] = {}


def register_demo_step(name: str, run: Callable[..., None], *, stage: DemoStage) -> None:
    """Add a step (registering a name again replaces it: ``ready()`` may run more than once).

    ``run`` is called with keyword arguments only: ``seed``, ``today``, ``batch_size``,
    ``with_health`` (False for --no-health), ``write`` (progress output), ``stories`` (each
    program's planned health story, by id) and ``launches`` (the launch reviews the stories
    call for); it takes ``**kwargs`` for those it does not use.
    """
    _steps[name] = DemoStep(name=name, stage=stage, run=run)


def demo_steps() -> list[DemoStep]:
    """The registered steps in the order they run."""
    return sorted(_steps.values(), key=lambda step: (step.stage, step.name))


def run_demo_steps(**context: Any) -> list[str]:
    """Run every step in order with ``context``; returns the names of the steps run."""
    steps = demo_steps()
    for step in steps:
        step.run(**context)
    return [step.name for step in steps]
