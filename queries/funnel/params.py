"""What a funnel asks: its steps (event + filters), window, order, unit, breakdown, exclusion.

Validated here, at every edge (page, `njia query funnel`, the API): a step's event name and its
filter values are data — bound as parameters by `queries/funnel/engine.py`, never formatted into
SQL — and a filter's column, the breakdown and the order are chosen from closed lists. `steps`
arrives as JSON (the page, shareable URLs) or, for plain steps, names separated by commas
(`--steps page_view,otp_success,return_filed`).
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from config.journeys import journey
from metadata.projects import ProjectSettings
from queries.params import RangeParams
from queries.timerange import to_utc_naive

MAX_STEPS = 20
MIN_WINDOW_S = 60
MAX_WINDOW_S = 90 * 86400

# Event columns a step may filter on or a funnel break down by (journey_events' columns); any
# other key is a property of the event.
COLUMNS: dict[str, str] = {
    "page_path": "Page path",
    "channel": "Channel",
    "device_type": "Device",
    "browser": "Browser",
    "os": "Operating system",
    "country": "Country",
    "city": "City",
    "agent_id": "Agent",
    "direction": "Direction",
}
BREAKDOWNS: dict[str, str] = {"channel": "channel", "device": "device_type",
                              "country": "country", "browser": "browser"}
Op = Literal["equals", "not_equals", "contains", "in"]
Order = Literal["ordered", "strict", "any"]
CountBy = Literal["person", "session"]

_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw]?)\s*$")
_UNIT_S = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_window(value: Any) -> int:
    """`30m`, `2h`, `1d`, `1w` or seconds → seconds."""
    if isinstance(value, bool):
        raise ValueError("expected a duration like 30m, 2h, 1d")
    if isinstance(value, int | float):
        return int(value)
    match = _DURATION.match(str(value))
    if match is None:
        raise ValueError(f"{value!r} is not a duration like 30m, 2h, 1d or 1w")
    return int(match.group(1)) * _UNIT_S[match.group(2)]


def window_label(seconds: int) -> str:
    for unit, size in (("w", 7 * 86400), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StepFilter(_Strict):
    """`key` is an event column (COLUMNS) or a property name; `in` takes several values."""

    key: str = Field(min_length=1, max_length=200)
    op: Op = "equals"
    value: str | list[str] = Field(default="")

    @field_validator("value")
    @classmethod
    def _value(cls, value: str | list[str]) -> str | list[str]:
        if isinstance(value, list) and len(value) > 100:
            raise ValueError("at most 100 values")
        return value

    @model_validator(mode="after")
    def _fits_op(self) -> StepFilter:
        if self.op == "in" and not isinstance(self.value, list):
            object.__setattr__(self, "value", [v.strip() for v in self.value.split(",")])
        elif self.op != "in" and isinstance(self.value, list):
            raise ValueError(f"{self.op} takes one value, not a list")
        return self

    @property
    def is_column(self) -> bool:
        return self.key in COLUMNS

    def describe(self) -> str:
        shown = ", ".join(self.value) if isinstance(self.value, list) else self.value
        return f"{self.key} {self.op.replace('_', ' ')} {shown}"


class Step(_Strict):
    event: str = Field(min_length=1, max_length=200)
    filters: tuple[StepFilter, ...] = Field(default=(), max_length=10)
    label: str = Field(default="", max_length=200)

    def describe(self) -> str:
        if self.label:
            return self.label
        if not self.filters:
            return self.event
        return f"{self.event} ({'; '.join(f.describe() for f in self.filters)})"


class Exclusion(_Strict):
    """A person who does `step` after reaching step `from_step` and before `to_step` (numbered
    from 1) does not go beyond `from_step` on that entry."""

    step: Step
    from_step: int = Field(1, ge=1, alias="from")
    to_step: int = Field(2, ge=2, alias="to")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _json_or_names(value: Any) -> Any:
    if isinstance(value, str):
        text = value.strip()
        if text.startswith(("[", "{")):
            try:
                return json.loads(text)
            except json.JSONDecodeError as exc:
                raise ValueError(f"not valid JSON: {exc.msg} at character {exc.pos}") from None
        return [{"event": name.strip()} for name in text.split(",") if name.strip()]
    return value


class FunnelParams(RangeParams):
    """A funnel: 2–20 steps, or a journey's preset (`journey`: an id of config/journeys.toml);
    the range decides who enters (step 1 in it), each then has the whole window, even past
    the range's end."""

    steps: tuple[Step, ...] = Field(min_length=2, max_length=MAX_STEPS)
    journey: str = Field("", max_length=32, description="a journey's preset steps: nil, tot, mri")
    window: int = Field(86400, ge=MIN_WINDOW_S, le=MAX_WINDOW_S,
                        description="conversion window from entering step 1: 30m, 2h, 1d…")
    order: Order = "ordered"
    count_by: CountBy = "person"
    breakdown: str = Field("", max_length=200,
                           description="channel, device, country, browser or prop:<property>")
    exclusion: Exclusion | None = None

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _preset(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("journey"):
            if data.get("steps"):
                raise ValueError("journey: give either a journey or steps, not both")
            try:
                data = {**data, "steps": list(journey(str(data["journey"])).funnel_steps())}
            except ValueError as exc:
                raise ValueError(f"journey: {exc}") from None
        return data

    @field_validator("steps", mode="before")
    @classmethod
    def _steps(cls, value: Any) -> Any:
        return _json_or_names(value)

    @field_validator("exclusion", mode="before")
    @classmethod
    def _exclusion(cls, value: Any) -> Any:
        if value in ("", None):
            return None
        if isinstance(value, str):
            value = _json_or_names(value)
            if isinstance(value, list):  # a bare event name: between the first two steps
                if len(value) != 1:
                    raise ValueError("one exclusion step")
                value = {"step": value[0]}
        return value

    @field_validator("window", mode="before")
    @classmethod
    def _window(cls, value: Any) -> int:
        return parse_window(value)

    @field_validator("breakdown")
    @classmethod
    def _breakdown(cls, value: str) -> str:
        value = value.strip()
        if value and value not in BREAKDOWNS and not (value.startswith("prop:") and value[5:]):
            raise ValueError(f"{value!r}: expected one of {', '.join(BREAKDOWNS)} "
                             "or prop:<property name>")
        return value

    @model_validator(mode="after")
    def _exclusion_fits(self) -> FunnelParams:
        ex = self.exclusion
        if ex is not None:
            if self.order == "any":
                raise ValueError("exclusion: needs order ordered or strict (in any order, "
                                 "no step comes between two others)")
            if not ex.from_step < ex.to_step <= len(self.steps):
                raise ValueError(f"exclusion: from/to must be steps 1…{len(self.steps)}, "
                                 "from before to")
        return self

    def bind(self, settings: ProjectSettings) -> dict[str, Any]:
        values = super().bind(settings)
        read_end = self.date_range(settings).end + timedelta(seconds=self.window)
        values.update(
            read_end=to_utc_naive(read_end),
            window_ms=self.window * 1000,
            n_steps=len(self.steps),
            step_labels=[s.describe() for s in self.steps],
            step_events=[s.event for s in self.steps],
            names=sorted({s.event for s in self.all_steps()}),
        )
        for i, step in enumerate(self.all_steps()):
            values[f"s{i}_event"] = step.event
            for j, f in enumerate(step.filters):
                if not f.is_column:
                    values[f"s{i}_f{j}_key"] = f.key
                values[f"s{i}_f{j}_value"] = f.value
        if self.breakdown.startswith("prop:"):
            values["breakdown_key"] = self.breakdown[5:]
        if self.exclusion is not None:
            values["ex_from"] = self.exclusion.from_step
            values["ex_to"] = self.exclusion.to_step
        return values

    def all_steps(self) -> tuple[Step, ...]:
        """The steps, then the exclusion step (its index is len(steps))."""
        return self.steps + ((self.exclusion.step,) if self.exclusion else ())


class FunnelStepParams(FunnelParams):
    """A funnel and one of its steps (the drill-down: who dropped before it, what they did)."""

    step: int = Field(2, ge=2, le=MAX_STEPS)
    limit: int = Field(100, ge=1, le=1000)

    @model_validator(mode="after")
    def _step_fits(self) -> FunnelStepParams:
        if self.step > len(self.steps):
            raise ValueError(f"step: the funnel has {len(self.steps)} steps")
        return self

    def bind(self, settings: ProjectSettings) -> dict[str, Any]:
        return {**super().bind(settings), "step": self.step, "limit": self.limit}


def example() -> dict[str, Any]:
    return {"project": "kra-demo", "from": "2026-06-01", "to": "2026-06-30",
            "steps": "page_view,otp_success,return_filed"}
