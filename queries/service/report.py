"""The KRA service report's SQL: one table of WhatsApp rows and web-journey rows for a period.

WhatsApp rows read `stored_conversations` (one row per conversation that started in the
period, with its service, outcome, response and resolution times and CSAT, late events
included). Each conversation counts in four rows: its kind (Self-serve: never handed off;
Assisted: handed off) and All, each for its service and for All services — the totals are
computed from the conversations' own values, never from rounded rows. The three "All services" rows
are there even when the period has no conversation (a monthly report keeps its shape).

Web rows are the journeys of config/journeys.toml, in that file's order, always all of them:
started = the period's web sessions (bots excluded) that viewed one of the journey's entry
pages or a page below one; completed = those of them that hold the journey's completion event
(with its filters). Page views come from the model's page rows (journey_pages), the completion
events from its membership rows (the newest version of each, read through the projection by
name, as stored_by_name does), their properties from `events` (as subcolumns). A session that
starts in the period keeps its events after it, so those reads go up to the last end of the
period's web sessions (a scalar, which still bounds the index read).

Only structure comes from the config (how many journeys, entry pages and completion filters,
which whitelisted column a filter tests, which property it reads — a plain name, quoted); every
page, event name and value is a bound parameter (queries/service/params.py binds them).
"""

from __future__ import annotations

import re

from config.journeys import journeys
from queries.funnel.params import COLUMNS, StepFilter
from queries.service.params import ServiceReportParams, completion_step

# Row labels: the kinds of WhatsApp rows and the label of a kind's total over services.
ALL, SELF_SERVE, ASSISTED, JOURNEY = "All", "Self-serve", "Assisted", "Journey"
ALL_SERVICES = "All services"
WHATSAPP, WEB = "WhatsApp", "Web"

_START = "{start:DateTime64(3, 'UTC')}"
_END = "{end:DateTime64(3, 'UTC')}"
# A completion filter's property key (config/journeys.toml): a plain name, see property_column.
PROPERTY_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,99}")

WHATSAPP_ROWS = f"""
    -- Per (kind, service): counts, and sums and counts for the averages.
    wa_groups AS (
        SELECT if(handed_off, '{ASSISTED}', '{SELF_SERVE}') AS own_kind, service_name,
               count() AS n, sum(resolved) AS n_resolved, sum(dropped) AS n_dropped,
               sum(handed_off) AS n_handed_off,
               sum(first_response_s) AS frt_sum, count(first_response_s) AS frt_n,
               sum(resolution_s) AS res_sum, count(resolution_s) AS res_n,
               sum(csat_rating) AS csat_sum, count(csat_rating) AS csat_n,
               countIf(csat_rating >= 4) AS csat_high
        FROM stored_conversations(project = {{project:String}}, start = {_START}, end = {_END})
        GROUP BY own_kind, service_name
    ),
    -- Each group in four rows: (All | its kind) × (its service | All services), so totals are
    -- summed from the conversations' own values (never from rounded rows).
    wa_input AS (
        SELECT kind, service, n, n_resolved, n_dropped, n_handed_off, frt_sum, frt_n, res_sum,
               res_n, csat_sum, csat_n, csat_high
        FROM wa_groups
        ARRAY JOIN ['{ALL}', own_kind] AS kind
        ARRAY JOIN [service_name, '{ALL_SERVICES}'] AS service
        UNION ALL
        -- The totals' rows exist even without conversations (they count nothing).
        SELECT arrayJoin(['{ALL}', '{SELF_SERVE}', '{ASSISTED}']), '{ALL_SERVICES}', 0, 0, 0,
               0, 0, 0, 0, 0, 0, 0, 0
    ),
    wa_rows AS (
        SELECT
            '{WHATSAPP}' AS channel,
            kind,
            service,
            toUInt64(sum(n)) AS started,
            toUInt64(sum(n_resolved)) AS resolved,
            toUInt64(sum(n_dropped)) AS dropped,
            -- Means over the conversations that have the value (NULL: none has).
            if(sum(frt_n) = 0, NULL, round(sum(frt_sum) / sum(frt_n), 1))
                AS avg_first_response_s,
            if(sum(res_n) = 0, NULL, round(sum(res_sum) / sum(res_n), 1)) AS avg_resolution_s,
            if(sum(csat_n) = 0, NULL, round(sum(csat_sum) / sum(csat_n), 2)) AS csat,
            if(sum(csat_n) = 0, NULL, round(100 * sum(csat_high) / sum(csat_n), 2))
                AS csat_satisfied_pct,
            toNullable(toUInt64(sum(csat_n))) AS csat_responses,
            -- Only where both kinds are counted: a Self-serve row's is 0 and an Assisted
            -- row's 100 by definition.
            if(kind = '{ALL}', if(started = 0, 0, round(100 * sum(n_handed_off) / started, 2)),
               NULL) AS escalation_rate,
            -- Order: kinds as above; in each, All services first, then services by their
            -- conversations of every kind (the same order in each kind), then by name.
            indexOf(['{ALL}', '{SELF_SERVE}', '{ASSISTED}'], kind) AS kind_order,
            toUInt8(service != '{ALL_SERVICES}') AS is_service,
            max(if(kind = '{ALL}', started, 0)) OVER (PARTITION BY service) AS service_size
        FROM wa_input
        GROUP BY kind, service
    )"""


def _pages_condition(journey_index: int, pages: int) -> str:
    """A page row is in journey j: its path is one of the entry pages or below one."""
    return "(" + " OR ".join(
        f"page_path = {{j{journey_index}_p{k}:String}} "
        f"OR startsWith(page_path, {{j{journey_index}_p{k}_below:String}})"
        for k in range(pages)) + ")"


def _test(value_sql: str, f: StepFilter, param: str) -> str:
    """A completion filter's test, as the funnel applies a step filter."""
    if f.op == "in":
        return f"{value_sql} IN {{{param}:Array(String)}}"
    if f.op == "contains":
        return f"positionCaseInsensitiveUTF8({value_sql}, {{{param}:String}}) > 0"
    return f"{value_sql} {'=' if f.op == 'equals' else '!='} {{{param}:String}}"


def property_column(key: str) -> str:
    """A property's value as text, read as the JSON column's subcolumn: ~30× cheaper than the
    whole JSON (toJSONString) at 10 M events, but the key becomes an identifier, so it must be
    a plain name (config/journeys.toml's, never a user's), and is quoted."""
    if not PROPERTY_KEY.fullmatch(key):
        raise ValueError(f"completion filter key {key!r}: a property name of letters, digits "
                         "and _ is expected (config/journeys.toml)")
    return f"ifNull(toString(properties.`{key}`), '')"


def _completion_condition(journey_index: int, keys: dict[str, str]) -> str:
    """A completion row (`c`, with its properties `pr`) completes journey j."""
    step = completion_step(journeys()[journey_index])
    parts = [f"c.event_name = {{c{journey_index}_event:String}}"]
    for k, f in enumerate(step.filters):
        param = f"c{journey_index}_f{k}_value"
        if f.is_column:
            assert f.key in COLUMNS  # an identifier: from the whitelist only
            parts.append(_test(f"c.{f.key}", f, param))
        else:
            parts.append(_test(f"pr.{keys[f.key]}", f, param))
    return "(" + " AND ".join(parts) + ")"


# Bits of a session's mask: 1 (one of the period's) + 2 per journey (entered, completed).
MAX_JOURNEYS = 31


def web_rows() -> str:
    found = journeys()
    n = len(found)
    if n > MAX_JOURNEYS:
        raise ValueError(f"the service report handles at most {MAX_JOURNEYS} journeys; "
                         f"config/journeys.toml has {n}")
    filters = [f for j in found for f in completion_step(j).filters]
    columns = sorted({f.key for f in filters if f.is_column})
    # The completion filters' properties, each once: key → its column in `props`.
    keys = {key: f"p{i}" for i, key in enumerate(sorted({f.key for f in filters
                                                         if not f.is_column}))}
    entry = [_pages_condition(j, len(found[j].entry_pages)) for j in range(n)]
    entered_bits = "\n                 + ".join(
        f"bitShiftLeft(toUInt64({cond}), {1 + j})" for j, cond in enumerate(entry))
    completed_bits = "\n                 + ".join(
        f"bitShiftLeft(toUInt64({_completion_condition(j, keys)}), {1 + n + j})"
        for j in range(n))
    member = ", ".join(["session_id", "event_name", *columns])
    unpacked = ", ".join(f"m.{i + 1} AS {c}" for i, c in enumerate(["session_id", "event_name",
                                                                    *columns]))
    props_join = "LEFT JOIN props AS pr ON pr.event_id = c.event_id" if keys else ""
    props_columns = "".join(f", {property_column(key)} AS {name}" for key, name in keys.items())
    props_cte = f"""
    -- What the completion filters read of the completion events' properties.
    props AS (
        SELECT event_id{props_columns}
        FROM events
        WHERE project_id = {{project:String}}
          AND timestamp >= {_START} AND timestamp < web_read_end
          AND event_name IN {{completion_events:Array(String)}}
    ),""" if keys else ""
    return f"""
    -- The period's web sessions end at the latest here (an instant just after their last event).
    -- Without FINAL: older versions of a session may end later than its current one, which only
    -- widens the read below (every row read is still tested against the period's sessions),
    -- and the bound costs no merge.
    (SELECT max(end) + toIntervalMillisecond(1) FROM journey_sessions
     WHERE project_id = {{project:String}} AND start >= {_START} AND start < {_END}
       AND channel = 'web') AS web_read_end,{props_cte}
    -- Per web session: bit 0 = it is one of the period's (bots excluded), bit 1 + j = it
    -- entered journey j, bit 1 + {n} + j = it holds journey j's completion. One aggregation
    -- over the three sources (cheaper than filtering the page rows by a set of the period's
    -- sessions first: at 10 M events ~0.5 M sessions, ~1.3 M page rows).
    web_sessions AS (
        SELECT session_id, groupBitOr(bits) AS mask
        FROM (
            SELECT session_id, toUInt64(1) AS bits
            FROM journey_sessions FINAL
            WHERE project_id = {{project:String}} AND start >= {_START} AND start < {_END}
              AND channel = 'web' AND is_bot = 0
            UNION ALL
            SELECT session_id,
                   {entered_bits}
            FROM journey_pages FINAL
            WHERE project_id = {{project:String}} AND bucket >= {_START}
              AND bucket < web_read_end AND session_id != ''
              AND ({' OR '.join(entry)})
            UNION ALL
            SELECT c.session_id,
                   {completed_bits}
            FROM (
                -- The newest live version of each completion event: its session now.
                SELECT event_id, {unpacked}
                FROM (
                    SELECT event_id,
                           argMax(({member}, deleted), (version, 1 - deleted)) AS m
                    FROM journey_events
                    WHERE project_id = {{project:String}} AND timestamp >= {_START}
                      AND timestamp < web_read_end
                      AND event_name IN {{completion_events:Array(String)}}
                    GROUP BY event_id
                )
                WHERE m.{len(columns) + 3} = 0 AND m.1 != ''
            ) AS c
            {props_join}
        )
        GROUP BY session_id
        HAVING bitTest(mask, 0)
    ),
    -- Per journey, the sessions that entered it and those that completed it (arrays of
    -- journey count; empty when no session entered any: then every count is 0).
    web_counts AS (
        SELECT sumForEach(arrayMap(j -> toUInt64(bitTest(mask, 1 + j)), range({n})))
                   AS entered,
               sumForEach(arrayMap(j -> toUInt64(bitTest(mask, 1 + j)
                                                 AND bitTest(mask, 1 + {n} + j)),
                                   range({n}))) AS completed
        FROM web_sessions
    ),
    web_rows AS (
        SELECT
            '{WEB}' AS channel,
            '{JOURNEY}' AS kind,
            {{journey_names:Array(String)}}[j + 1] AS service,
            -- (An index past an empty array's end reads 0.)
            toUInt64(entered[j + 1]) AS started,
            toUInt64(completed[j + 1]) AS resolved,
            toUInt64(started - resolved) AS dropped,
            CAST(NULL, 'Nullable(Float64)') AS avg_first_response_s,
            CAST(NULL, 'Nullable(Float64)') AS avg_resolution_s,
            CAST(NULL, 'Nullable(Float64)') AS csat,
            CAST(NULL, 'Nullable(Float64)') AS csat_satisfied_pct,
            CAST(NULL, 'Nullable(UInt64)') AS csat_responses,
            CAST(NULL, 'Nullable(Float64)') AS escalation_rate,
            -- After the WhatsApp rows, in the config's order.
            toUInt64(4 + j) AS kind_order,
            toUInt8(1) AS is_service,
            toUInt64(0) AS service_size
        FROM web_counts
        -- Every journey has its row, even when no session entered it.
        ARRAY JOIN range({n}) AS j
    )"""


def build(params: ServiceReportParams) -> str:
    del params  # the shape depends on config/journeys.toml only; values are bound
    return f"""-- The KRA service report (queries/service/report.py builds it; definitions:
-- queries/definitions/service_report.toml).
WITH{web_rows()},{WHATSAPP_ROWS}
SELECT channel, kind, service, started, resolved, dropped, avg_first_response_s,
       avg_resolution_s, csat, csat_satisfied_pct, csat_responses, escalation_rate
FROM (
    SELECT * FROM wa_rows
    UNION ALL
    SELECT * FROM web_rows
)
ORDER BY kind_order, is_service, service_size DESC, service
"""
