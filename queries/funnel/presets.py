"""The funnel presets: one per journey of config/journeys.toml (its steps, then completion)."""

from __future__ import annotations

from config.journeys import Journey, journeys
from queries.funnel.params import Step


def preset_steps(journey: Journey) -> tuple[Step, ...]:
    return tuple(Step.model_validate(s) for s in journey.funnel_steps())


def presets() -> dict[str, tuple[str, tuple[Step, ...]]]:
    """Journey id → (its name, its funnel's steps)."""
    return {j.id: (j.name, preset_steps(j)) for j in journeys()}
