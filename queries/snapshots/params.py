"""Parameters of the snapshot trend query: a project, a date range, a snapshot type, the metrics
(`<source>.<metric>` keys, e.g. `overview.sessions`; none = all) and the WhatsApp account ('' =
the whole project)."""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field, field_validator

from metadata.projects import ProjectSettings
from queries.params import RangeParams
from queries.snapshots.periods import SnapshotType, period_of

METRIC_KEY = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")
MAX_METRICS = 50


class SnapshotTrendParams(RangeParams):
    """Snapshots of one type whose period begins in [the period containing `from`, `to`]."""

    snapshot_type: SnapshotType = "daily"
    metrics: tuple[str, ...] = ()
    account: str = Field("", max_length=200)

    @field_validator("metrics", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        # `njia query … --metrics overview.sessions,ai.errors` and the API give one string.
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        return value

    @field_validator("metrics")
    @classmethod
    def _known_shape(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if len(value) > MAX_METRICS:
            raise ValueError(f"at most {MAX_METRICS} metrics")
        for key in value:
            if not METRIC_KEY.match(key):
                raise ValueError(f"{key!r} is not a metric key such as overview.sessions")
        return tuple(dict.fromkeys(value))  # each once, in the caller's order

    def bind(self, settings: ProjectSettings) -> dict[str, Any]:
        first = period_of(self.snapshot_type, self.date_from)
        return {
            **super().bind(settings),
            "snapshot_type": self.snapshot_type,
            "metrics": list(self.metrics),
            "account": self.account,
            # Dates as ISO text: the periods' first days (toDate in the SQL).
            "period_from": first.start.isoformat(),
            "period_to": self.date_to.isoformat(),
            "prev_from": first.previous().start.isoformat(),
        }
