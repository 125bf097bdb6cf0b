"""Paths: the most common sequences of steps within sessions, from a start or to an end step.

A session's steps, in time order, are its events from the stored model (`journey_events`, as
`stored_session_events` reads it): a `page_view` is its page path, any other event its name;
consecutive repeats are one step; the session boundary ends a path. A path is the first N steps
of a session, the N steps from the first time it reaches `start`, or the N steps up to the first
time it reaches `end`. Sessions are those that started in the range, bots excluded, of the
channel asked (docs/metrics.md "Paths"). The result is one row per path — its steps, sessions,
conversions — for the `limit` most common, then one row that adds up all the others.

What varies the SQL's shape is only which anchor (none, start, end) and whether steps are left
out: both are decided from validated params, never from text; every label is a bound value.

Speed (10 M events): each step is coded as an integer — its label's place in the sorted list of
the project's event names and page paths — and a session's steps are gathered as one 64-bit
integer each (ms since the range's start, then the code), so putting them in time order is an
integer sort and no string is copied per event; labels are looked up again only for the paths
counted. Events at the same millisecond are ordered by label (alphabetically). Sessions are
joined to the grouped steps (an IN filter on 0.9 M sessions before grouping probed 10 M rows:
~2× slower), and only those that reach the anchor step; repeats are dropped by comparing the
steps with themselves shifted by one (a lambda that indexes the array copies it per element).
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator

from metadata.projects import ProjectSettings
from queries.params import SessionRangeParams

__all__ = ["OTHER", "PathsParams", "build"]

MIN_STEPS, MAX_STEPS, DEFAULT_STEPS = 2, 10, 5
OTHER = "(other paths)"  # the label of the row that adds up the paths after the top `limit`
Anchor = Literal["none", "start", "end"]


def _labels(value: Any) -> Any:
    """`exclude` from the CLI / API / a page comes as one comma-separated text."""
    if isinstance(value, str):
        return tuple(v.strip() for v in value.split(",") if v.strip())
    return value


class PathsParams(SessionRangeParams):
    """Paths from `start`, to `end` (a step label: a page path or an event name), or from the
    session's start when neither is given; `steps` deep; the top `limit` paths and the rest."""

    start_label: str = Field("", alias="start", max_length=500)
    end_label: str = Field("", alias="end", max_length=500)
    steps: int = Field(DEFAULT_STEPS, ge=MIN_STEPS, le=MAX_STEPS)
    limit: int = Field(20, ge=1, le=200)
    # Steps left out before repeats are collapsed (e.g. `session.start`, message receipts).
    exclude: tuple[str, ...] = Field((), max_length=50)

    _split = field_validator("exclude", mode="before")(_labels)

    @field_validator("end_label")
    @classmethod
    def _one_anchor(cls, value: str, info: ValidationInfo) -> str:
        # A field validator so the error names `end`.
        if value and info.data.get("start_label"):
            raise ValueError("give start or end, not both")
        return value

    @property
    def anchor(self) -> Anchor:
        return "start" if self.start_label else "end" if self.end_label else "none"

    def bind(self, settings: ProjectSettings) -> dict[str, Any]:
        return {
            **super().bind(settings),
            "start_label": self.start_label,
            "end_label": self.end_label,
            "steps": self.steps,
            "limit": self.limit,
            "exclude": list(self.exclude),
        }


# A step's code: its label's position in `names` (1-based). A page view with a path is its path,
# any other event its name.
# A label that is not in `names` (a page first seen after `names` was read, by a concurrent
# insert) gets the code after the last one, shown as "(unknown)", rather than none.
_CODE = ("if(event_name = 'page_view' AND page_path != '',\n"
         "                      transform(page_path, names, arrayEnumerate(names), unknown),\n"
         "                      transform(event_name, names, arrayEnumerate(names), unknown))")
# Bits of the code in a packed step (the rest: ms since the range's start, 2^40 ms = 34 years).
CODE_BITS = 24

# Per anchor: where the path is cut out of the session's collapsed steps, and which
# sessions have one. `at` is the first occurrence of the anchor step (0: never reached; a label
# the project never had has code 0, which no step has).
_CUTS: dict[str, tuple[str, str, str]] = {
    "none": ("", "arraySlice(collapsed, 1, {steps:UInt8})", "length(collapsed) > 0"),
    "start": (",\n                       indexOf(collapsed, indexOf(names, {start_label:String}))"
              " AS at",
              "arraySlice(collapsed, at, {steps:UInt8})", "at > 0"),
    "end": (",\n                       indexOf(collapsed, indexOf(names, {end_label:String}))"
            " AS at",
            "arraySlice(collapsed, greatest(1, toInt64(at) - {steps:UInt8} + 1), "
            "least(toInt64(at), {steps:UInt8}))", "at > 0"),
}

_DESCRIBE = {
    "none": "from the session's first step",
    "start": "from the session's first `start` step",
    "end": "up to the session's first `end` step",
}

TEMPLATE = """\
-- Paths {describe}, `steps` deep: sessions that started in the range (bots
-- excluded), their steps in time order (page view → page path, other events → name; equal
-- times by label), consecutive repeats collapsed{excluding}. The top `limit` paths, then one row
-- adding up the rest (docs/metrics.md "Paths").
WITH
    -- Every label a step can have, sorted: the project's event names and page paths (all of
    -- them, so a step of any session is among them; a handful of values, read in ~0.05 s).
    (SELECT arraySort(groupUniqArray(label)) FROM (
        SELECT toString(event_name) AS label FROM journey_events
        WHERE project_id = {{project:String}} GROUP BY event_name
        UNION ALL
        SELECT page_path FROM journey_events
        WHERE project_id = {{project:String}} AND event_name = 'page_view' GROUP BY page_path
    )) AS names,
    length(names) + 1 AS unknown,
    started AS (
        SELECT session_id, converted
        FROM stored_sessions(project = {{project:String}}, start = {{start:DateTime64(3, 'UTC')}},
                             end = {{end:DateTime64(3, 'UTC')}},
                             conversion_events = {{conversion_events:Array(String)}})
        WHERE is_bot = 0 AND channel IN {{session_channels:Array(String)}}
    ),
    -- Each session's step codes in time order. Its events are at or after its start, and may
    -- be long after the range (a session is never cut), so only a lower bound on time.
    steps AS (
        SELECT session_id,
               arrayMap(x -> toUInt32(x % {modulus}), arraySort(groupArray(
                   toUInt64(toUnixTimestamp64Milli(timestamp)
                            - toUnixTimestamp64Milli({{start:DateTime64(3, 'UTC')}})) * {modulus}
                   + code))) AS seq
        FROM (
            SELECT session_id, timestamp,
                   {code} AS code
            FROM journey_events FINAL
            WHERE project_id = {{project:String}} AND timestamp >= {{start:DateTime64(3, 'UTC')}}
              AND session_id != ''
        ){exclude}
        GROUP BY session_id
    ),
    -- The path of each session that has one, then only those sessions joined to theirs.
    anchored AS (
        SELECT codes, converted
        FROM (
            SELECT session_id, {path} AS codes
            FROM (
                -- Repeats collapsed: a step equal to the one before it goes (codes are >= 1).
                SELECT session_id,
                       arrayFilter((x, previous) -> x != previous,
                                   seq, arrayPushFront(arrayPopBack(seq), 0)) AS collapsed{at}
                FROM steps
            )
            WHERE {keep}
              AND NOT throwIf(unknown >= {modulus}, 'paths: too many distinct steps')
        ) AS p
        INNER JOIN started USING session_id
    ),
    -- Labels only now, for each distinct path.
    counted AS (
        SELECT arrayMap(x -> if(x < unknown, names[x], '(unknown)'), codes) AS labels,
               count() AS n, sum(converted) AS n_converted
        FROM anchored
        GROUP BY codes
    ),
    ranked AS (
        SELECT labels, n, n_converted,
               row_number() OVER (ORDER BY n DESC, labels) AS position,
               sum(n) OVER () AS total
        FROM counted
    )
SELECT
    toUInt32(min(position)) AS rank,
    toUInt8(rank > {{limit:UInt32}}) AS other,
    if(other = 1, CAST([], 'Array(String)'), any(labels)) AS path,
    if(other = 1, '{other}', arrayStringConcat(path, ' → ')) AS path_text,
    toUInt32(length(path)) AS step_count,
    toUInt64(sum(n)) AS sessions,
    sessions / any(total) AS share,
    toUInt64(sum(n_converted)) AS conversions,
    conversions / sessions AS conversion_rate,
    toUInt64(count()) AS paths
FROM ranked
GROUP BY least(position, {{limit:UInt32}} + 1)
ORDER BY rank
"""


def build(params: PathsParams) -> str:
    at, path, keep = _CUTS[params.anchor]
    exclude = ("\n        WHERE NOT has(arrayMap(x -> indexOf(names, x), {exclude:Array(String)}), "
               "code)" if params.exclude else "")
    return TEMPLATE.format(
        describe=_DESCRIBE[params.anchor],
        excluding=", the `exclude` steps left out" if params.exclude else "",
        code=_CODE, modulus=2 ** CODE_BITS, exclude=exclude, path=path, keep=keep, at=at,
        other=OTHER,
    )


def example() -> dict[str, Any]:
    """Example values (tests and the API's query list use them)."""
    return {"project": "kra-demo", "from": date(2026, 6, 1).isoformat(),
            "to": date(2026, 6, 30).isoformat(), "steps": DEFAULT_STEPS,
            "exclude": "session.start"}
