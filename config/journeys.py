"""KRA's filing journeys (MRI, TOT, NIL), read from config/journeys.toml — their one definition.

A journey has entry pages (a web session entering on one, or below one, is in the journey), the
steps of its funnel, and its completion (e.g. `return_filed` with its obligation). The funnel
presets, the Overview's traffic by journey and the service report's web rows all read it here.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

JOURNEYS_FILE = Path(__file__).with_name("journeys.toml")


class Journey(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_-]{0,31}$")
    name: str = Field(min_length=1, max_length=100)
    entry_pages: tuple[str, ...] = Field(min_length=1)
    # Steps as the funnel takes them ({event, label, filters: [{key, op, value}]}): validated
    # as funnel steps by queries/funnel/presets.py (config sits below the query layer).
    steps: tuple[dict[str, Any], ...] = Field(min_length=1)
    completion: dict[str, Any]

    def funnel_steps(self) -> tuple[dict[str, Any], ...]:
        """The preset funnel: the journey's steps, then its completion."""
        return self.steps + (self.completion,)


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    journey: tuple[Journey, ...]


@cache
def journeys(path: Path = JOURNEYS_FILE) -> tuple[Journey, ...]:
    with path.open("rb") as f:
        found = _File.model_validate(tomllib.load(f)).journey
    ids = [j.id for j in found]
    if len(set(ids)) != len(ids):
        raise ValueError(f"{path}: a journey id is used twice: {ids}")
    return found


def journey(journey_id: str) -> Journey:
    for j in journeys():
        if j.id == journey_id:
            return j
    known = ", ".join(j.id for j in journeys())
    raise ValueError(f"unknown journey {journey_id!r}; known: {known}")
