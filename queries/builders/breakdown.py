"""Sessions broken down by one dimension (device, browser, OS, country, entry/exit page, channel).

The dimension is the only thing that changes the SQL: it comes from a closed whitelist
(`BreakdownParams.by` is a Literal of the names of `queries.params.DIMENSIONS`, which maps each
to a column), so no caller text ever reaches the SQL. Device, browser and OS describe a web
browser, so those breakdowns count web sessions only (WhatsApp conversations have none) — the
caption says so.
"""

from __future__ import annotations

from queries.params import DIMENSIONS, BreakdownParams

__all__ = ["DIMENSIONS", "TEMPLATE", "build"]

TEMPLATE = """\
-- Sessions by {label} (bots excluded){scope}.
SELECT
    if({column} = '', '(unknown)', {column}) AS key,
    count() AS sessions,
    uniqExact(person_id) AS people,
    countIf(converted = 1) AS conversions,
    conversions / sessions AS conversion_rate,
    avg(duration_s) AS avg_duration_s,
    countIf(event_count = 1) / sessions AS single_event_share
FROM stored_sessions(project = {{project:String}}, start = {{start:DateTime64(3, 'UTC')}},
              end = {{end:DateTime64(3, 'UTC')}},
              conversion_events = {{conversion_events:Array(String)}})
WHERE is_bot = 0 AND channel IN {{session_channels:Array(String)}}{web_filter}
GROUP BY key
ORDER BY sessions DESC, key
LIMIT {{limit:UInt32}}
"""


def build(params: BreakdownParams) -> str:
    dim = DIMENSIONS[params.by]  # `by` is validated against the same names
    return TEMPLATE.format(
        label=dim.label.lower(),
        column=dim.column,
        scope=", web sessions only" if dim.web_only else "",
        web_filter=" AND channel = 'web'" if dim.web_only else "",
    )
