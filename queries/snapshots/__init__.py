"""Snapshots: what a snapshot is made of (`SOURCES`) and the trend query that reads them.

A snapshot (snapshots/, table `snapshots`) holds the metric rows of the KPI queries below, run
over the snapshot's period as a range, under keys `<source>.<metric>`. A source whose query is not
in the catalog is left out, so an area's KPI query joins in when it lands. `NAMED` lists the
named queries; queries/catalog.py adds them to the catalog.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from queries.named import NamedQuery
from queries.params import example_range
from queries.snapshots.params import SnapshotTrendParams


@dataclass(frozen=True)
class Source:
    """A KPI query (one row per metric: metric, value, previous, change, change_ratio) whose
    values a snapshot keeps under `<key>.<metric>`; `params` are given besides the range; the
    metrics' labels are in queries/definitions/<area>.toml."""

    key: str
    query: str
    area: str
    params: dict[str, str] = field(default_factory=dict)
    # Metrics of "now" (e.g. conversations open right now): not a number of the period.
    skip: frozenset[str] = frozenset()
    # Event names some metric counts from the project's beginning to the period's end (total
    # contacts): one that arrives late changes every later period too.
    cumulative: frozenset[str] = frozenset()


SOURCES: tuple[Source, ...] = (
    Source("overview", "overview", "overview"),
    # The Overview follows the channel: its trends too.
    Source("overview_web", "overview", "overview", {"channel": "web"}),
    Source("overview_whatsapp", "overview", "overview", {"channel": "whatsapp"}),
    Source("whatsapp", "whatsapp", "whatsapp", skip=frozenset({"open_now"}),
           cumulative=frozenset({"contact.created"})),
    Source("ai", "ai", "ai"),
)


# The Overview's source under each channel filter.
OVERVIEW_SOURCE: dict[str, str] = {"all": "overview", "web": "overview_web",
                                   "whatsapp": "overview_whatsapp"}


def metric_key(source: str, metric: str) -> str:
    return f"{source}.{metric}"


def split_key(key: str) -> tuple[Source | None, str]:
    """The source of a `<source>.<metric>` key (None if unknown) and the metric."""
    prefix, _, metric = key.partition(".")
    return next((s for s in SOURCES if s.key == prefix), None), metric


NAMED: list[NamedQuery] = [
    NamedQuery(
        "snapshot_trends", SnapshotTrendParams,
        "Stored daily / weekly / monthly snapshots: per period and metric (`<source>.<metric>`, "
        "e.g. overview.sessions), the value and the previous period's (the day, week or month "
        "before), change and change ratio",
        example=example_range(snapshot_type="daily", metrics="overview.sessions,overview.people"),
    ),
]
