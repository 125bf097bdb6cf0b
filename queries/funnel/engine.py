"""The funnel engine: one array-based SQL for every option (PostHog's funnel runners' shape).

`windowFunnel` reports only the deepest step, so it cannot give `any` order, exclusions, time
between steps or the breakdown value at step 1. Here, per unit (person, or session):
1. `ev`: the unit's events pre-filtered to the steps (every event of the unit for `strict`),
   each with a bit mask of the steps it matches (bit i: step i+1; bit n: the exclusion step),
   from the stored model (persons and sessions as stored, repaired on merges);
2. `units`: its events sorted by (time, mask) — simultaneous events are taken in step order —
   and its entries (see `_prune`);
3. per entry (a step-1 event inside the date range; for `any`, any step's event) the index of
   each step's event within the window: `ordered` takes the next step's first event after the
   previous step's (other events may come between); `strict` only the very next event; an
   exclusion event after step `from` and before step `to`'s event stops the entry at `from`;
   `any` takes each step's first event within the window from the entry;
4. the unit's best entry: the deepest, then the earliest — its step times and its step-1
   breakdown value are the unit's.
Only structure varies with the params (how many steps, which filters, which whitelisted
column); every name and value is a bound parameter (queries/funnel/params.py binds them).
"""

from __future__ import annotations

from queries.funnel.params import BREAKDOWNS, COLUMNS, FunnelParams, FunnelStepParams, Step
from queries.params import EventPropertiesParams

_RANGE = "{start:DateTime64(3, 'UTC')}"
_READ_END = "{read_end:DateTime64(3, 'UTC')}"
# A property's value as text: strings unquoted, numbers and booleans as written.
_PROP = ("if(JSONType(js, {key}) = 'String', JSONExtractString(js, {key}), "
         "JSONExtractRaw(js, {key}))")


def _test(value_sql: str, op: str, param: str) -> str:
    if op == "in":
        return f"{value_sql} IN {{{param}:Array(String)}}"
    if op == "contains":
        return f"positionCaseInsensitiveUTF8({value_sql}, {{{param}:String}}) > 0"
    return f"{value_sql} {'=' if op == 'equals' else '!='} {{{param}:String}}"


def _props(i: int, conditions: list[str]) -> str:
    """Events of step i whose properties pass `conditions` (properties are not in the model:
    read from `events`, whose sort key starts with day and name)."""
    return (
        "event_id IN (SELECT event_id FROM (SELECT event_id, toJSONString(properties) AS js "
        f"FROM events WHERE project_id = {{project:String}} AND timestamp >= {_RANGE} "
        f"AND timestamp < {_READ_END} AND event_name = {{s{i}_event:String}}) "
        f"WHERE {' AND '.join(conditions)})")


def step_condition(i: int, step: Step) -> str:
    parts = [f"event_name = {{s{i}_event:String}}"]
    props: list[str] = []
    for j, f in enumerate(step.filters):
        param = f"s{i}_f{j}_value"
        if f.is_column:
            assert f.key in COLUMNS  # the column is an identifier: from the whitelist only
            parts.append(_test(f.key, f.op, param))
        else:
            props.append(_test(_PROP.format(key=f"{{s{i}_f{j}_key:String}}"), f.op, param))
    if props:
        parts.append(_props(i, props))
    return "(" + " AND ".join(parts) + ")"


def _breakdown(params: FunnelParams) -> tuple[str, str]:
    """(the breakdown value's expression in `ev`, a join that supplies it, if any)."""
    if not params.breakdown:
        return "''", ""
    if params.breakdown in BREAKDOWNS:
        return BREAKDOWNS[params.breakdown], ""
    key = "{breakdown_key:String}"
    join = (
        "LEFT JOIN (SELECT event_id, " + _PROP.format(key=key) + " AS value FROM ("
        "SELECT event_id, toJSONString(properties) AS js FROM events "
        f"WHERE project_id = {{project:String}} AND timestamp >= {_RANGE} "
        "AND timestamp < {end:DateTime64(3, 'UTC')} AND event_name = {s0_event:String})) "
        "AS bd ON bd.event_id = e.event_id")
    return "bd.value", join


def _value(params: FunnelParams) -> str:
    """An entry's breakdown value (events carry one only when the funnel breaks down)."""
    return "evs[i].3" if params.breakdown else "''"


_WITHIN = "x.1 - t0 <= {window_ms:Int64}"


def _matched(params: FunnelParams, value_at: str) -> str:
    """One row per entry `i` (at time t0) with `idx1` … `idxN`: the index in `evs` of each
    step's event, 0 from the first step not reached. `ordered`: the first event of the step
    after the previous step's, within the window; `strict`: the very next event, if it is the
    step's; an exclusion event after step `from` and before step `to`'s event leaves step `to`
    (and all after it) unreached. Each step is a subquery over the one before, so each index
    is computed once (an alias chain would be expanded into every use)."""
    sql = (f"(SELECT unit, person_id, evs, i AS idx1, evs[i].1 AS t0, {value_at} AS at_value "
           "FROM units ARRAY JOIN entries AS i)")
    ex = params.exclusion
    for k in range(2, len(params.steps) + 1):
        prev, bit = f"nullIf(idx{k - 1}, 0)", k - 1  # NULL: the step before was not reached
        after = f"j - 1 = {prev}" if params.order == "strict" else f"j > {prev}"
        if ex is not None and k == ex.to_step:
            sql = (f"(SELECT *, arrayFirstIndex((x, j) -> j > nullIf(idx{ex.from_step}, 0) "
                   "AND bitTest(x.2, {n_steps:UInt8}), evs, arrayEnumerate(evs)) AS excluded "
                   f"FROM {sql})")
            after += " AND j < if(excluded = 0, 4294967295, excluded)"
        sql = (f"(SELECT *, arrayFirstIndex((x, j) -> {after} AND bitTest(x.2, {bit}) "
               f"AND {_WITHIN}, evs, arrayEnumerate(evs)) AS idx{k} FROM {sql})")
    # Structure only: column names made from step numbers; `value_at` is one of two fixed
    # expressions (`_value`), never a value.
    n = len(params.steps)
    times = ", ".join(f"evs[idx{k}].1" for k in range(1, n + 1))
    idx = ", ".join(f"idx{k}" for k in range(1, n + 1))
    return (f"SELECT unit, person_id, at_value, arrayFilter((t, k) -> k > 0, [{times}], [{idx}]) "
            f"AS at, toUInt8(length(at)) AS reached FROM {sql}")


def _any(params: FunnelParams, value_at: str) -> str:
    """One row per entry `i` (at time t0): the first time of each step done within the window
    from it, in time order."""
    firsts = ", ".join(
        f"arrayFirst((x, j) -> j >= i AND bitTest(x.2, {bit}) AND {_WITHIN}, evs, "
        "arrayEnumerate(evs)).1" for bit in range(len(params.steps)))
    return (f"SELECT unit, person_id, {value_at} AS at_value, evs[i].1 AS t0, "
            f"arraySort(arrayFilter(t -> t > 0, [{firsts}])) AS at, "
            "toUInt8(length(at)) AS reached FROM units ARRAY JOIN entries AS i")


def _prune(params: FunnelParams) -> str:
    """The entries worth folding. Without exclusion and not strict, an entry whose unit has
    no event after the previous entry's window cannot do better than that entry (the earlier
    entry's greedy match is never later, step by step), and ties go to the earlier entry: so
    the entries after the first one whose window holds the unit's last event are dropped
    (most people's whole journey fits one window: one fold instead of one per page view)."""
    if params.order == "strict" or params.exclusion is not None:
        return "all_entries"
    # Each entry beside the time of the entry before it (0 for the first).
    before = ("arrayPopBack(arrayPushFront(arrayFilter((x, f) -> f, arrayMap(x -> x.1, evs), "
              "is_entry), toInt64(0)))")
    return (f"arrayFilter((i, b) -> b = 0 OR last_t - b > {{window_ms:Int64}}, all_entries, "
            f"{before})")


def units_sql(params: FunnelParams) -> str:
    """One row per unit that entered: `unit`, `person_id`, `level` (steps reached), `times`
    (their times, ms), `value` (the breakdown value at step 1)."""
    steps = params.all_steps()
    mask = " + ".join(f"bitShiftLeft(toUInt64({step_condition(i, s)}), {i})"
                      for i, s in enumerate(steps))
    value, join = _breakdown(params)
    unit = "person_id" if params.count_by == "person" else "session_id"
    if params.order == "strict":
        # Every event of the unit: any of them between two steps breaks the sequence.
        source = (f"stored_session_events(project = {{project:String}}, start = {_RANGE}, "
                  f"end = {_READ_END})")
        keep = ""
    else:
        # The steps' events under FINAL, not through stored_by_name: steps are mostly common
        # events (page views), for which FINAL over merged parts is the cheaper read (3.4 M
        # rows at 10 M events: 0.3 s vs 0.9 s); names never change between an event's versions.
        source = ("(SELECT * FROM journey_events FINAL WHERE project_id = {project:String} "
                  f"AND timestamp >= {_RANGE} AND timestamp < {_READ_END} "
                  "AND event_name IN {names:Array(String)})")
        keep = "WHERE mask != 0"
    sessions_only = " AND e.session_id != ''" if unit == "session_id" else ""
    value_at = _value(params)
    if params.order == "any":
        entry = "x.2 != 0"
        entered = _any(params, value_at)
    else:
        entry = "bitTest(x.2, 0)"
        entered = _matched(params, value_at)
    return f"""
WITH ev AS (
    SELECT unit, person_id, t, mask, value FROM (
        SELECT e.{unit} AS unit, e.person_id AS person_id,
               toUnixTimestamp64Milli(e.timestamp) AS t,
               {mask} AS mask,
               {value} AS value
        FROM {source} AS e
        {join}
        WHERE NOT e.is_bot{sessions_only}
    ) {keep}
),
units AS (
    SELECT unit, any(person_id) AS person_id,
           arraySort(groupArray((t, mask{', value' if params.breakdown else ''}))) AS evs,
           -- (Lambdas here take arrays element-wise: one that read `evs` by index would copy
           -- it once per element.)
           arrayMap(x -> {entry}
                         AND x.1 >= toUnixTimestamp64Milli({_RANGE})
                         AND x.1 < toUnixTimestamp64Milli({{end:DateTime64(3, 'UTC')}}),
                    evs) AS is_entry,
           arrayFilter((i, f) -> f, arrayEnumerate(evs), is_entry) AS all_entries,
           evs[-1].1 AS last_t,
           {_prune(params)} AS entries
    FROM ev
    GROUP BY unit
    HAVING length(entries) > 0
),
entered AS (
    -- One row per entry (lambdas over a row's own array copy nothing; one reading `evs` for
    -- each entry of an array of entries would copy it per entry).
    {entered}
),
best AS (
    -- The unit's furthest entry, then its earliest.
    SELECT unit, any(person_id) AS person_id,
           argMin((reached, at, at_value), (-toInt16(reached), at[1])) AS r,
           r.1 AS level, r.2 AS times, r.3 AS value
    FROM entered
    GROUP BY unit
)"""


def _steps_out(params: FunnelParams) -> str:
    by = "value AS breakdown, " if params.breakdown else ""
    return f"""
SELECT {by}step,
       {{step_labels:Array(String)}}[step] AS event,
       counts[step] AS count,
       counts[step] / counts[1] AS pct_of_first,
       if(step = 1, 1, counts[step] / nullIf(counts[step - 1], 0)) AS pct_of_previous,
       if(step = 1, 0, counts[step - 1] - counts[step]) AS dropped,
       if(step > 1 AND step - 1 <= length(medians) AND counts[step] > 0,
          medians[step - 1], NULL) AS median_s,
       if(step > 1 AND step - 1 <= length(means) AND counts[step] > 0,
          means[step - 1], NULL) AS mean_s
FROM (
    SELECT value,
           sumForEach(arrayMap(k -> toUInt64(level >= k), range(1, {{n_steps:UInt8}} + 1)))
             AS counts,
           quantileExactInclusiveForEach(0.5)(diffs) AS medians,
           avgForEach(diffs) AS means
    FROM (SELECT value, level,
                 arrayMap(k -> (times[k + 1] - times[k]) / 1000, range(1, length(times)))
                   AS diffs
          FROM best)
    GROUP BY value
)
ARRAY JOIN arrayEnumerate(counts) AS step
ORDER BY {'counts[1] DESC, breakdown, ' if params.breakdown else ''}step"""


def build(params: FunnelParams) -> str:
    """Per step (per breakdown value): count, share of step 1 and of the previous step, how
    many dropped before it, median and mean seconds from the previous step."""
    return "-- Funnel: see queries/funnel/engine.py" + units_sql(params) + _steps_out(params)


def build_dropped(params: FunnelStepParams) -> str:
    """The units that reached the step before `step` but not `step`: when they entered, the
    last step they reached and when."""
    by = "value AS breakdown, " if params.breakdown else ""
    return ("-- Funnel drill-down: who dropped before a step (queries/funnel/engine.py)"
            + units_sql(params) + f"""
SELECT unit, person_id, {by}
       fromUnixTimestamp64Milli(times[1], 'UTC') AS entered,
       fromUnixTimestamp64Milli(times[level], 'UTC') AS last_step_at,
       {{step_labels:Array(String)}}[level] AS last_step
FROM best
WHERE level = {{step:UInt8}} - 1
ORDER BY entered DESC, unit
LIMIT {{limit:UInt32}}""")


def build_next(params: FunnelStepParams) -> str:
    """What the units that dropped before `step` did next: each event (page views by path)
    they did after the last step they reached and within the window from entering, on any
    channel — how many of them did it, how often, and for how many it came first."""
    unit = "person_id" if params.count_by == "person" else "session_id"
    return ("-- Funnel drill-down: what the dropped did next (queries/funnel/engine.py)"
            + units_sql(params) + f""",
dropped AS (
    SELECT unit, times[level] AS after, times[1] + {{window_ms:Int64}} AS until
    FROM best WHERE level = {{step:UInt8}} - 1
),
next AS (
    SELECT d.unit AS unit, toUnixTimestamp64Milli(e.timestamp) AS t, e.event_id AS event_id,
           if(e.event_name = 'page_view', concat('page_view ', e.page_path), e.event_name)
             AS label
    FROM stored_session_events(project = {{project:String}}, start = {_RANGE},
                               end = {_READ_END}) AS e
    INNER JOIN dropped AS d ON d.unit = e.{unit}
    WHERE NOT e.is_bot AND t > d.after AND t <= d.until
)
SELECT label AS event,
       uniqExact(unit) AS units,
       count() AS events,
       countIf(first) AS first_for
FROM (SELECT unit, label,
             row_number() OVER (PARTITION BY unit ORDER BY t, event_id) = 1 AS first
      FROM next)
GROUP BY event
ORDER BY units DESC, events DESC, event
LIMIT {{limit:UInt32}}""")


_EVENT_PROPERTIES = """\
-- The property keys seen on one event name in the range, with how many events carry each and up
-- to five common values (topK: suggestions for the funnel builder's filters, not counts).
SELECT
    key,
    count() AS events,
    topK(5)(value) AS top_values
FROM (
    SELECT key,
           {value} AS value
    FROM (
        SELECT toJSONString(properties) AS js, JSONAllPaths(properties) AS keys
        FROM events
        WHERE project_id = {{project:String}}
          AND timestamp >= {{start:DateTime64(3, 'UTC')}}
          AND timestamp < {{end:DateTime64(3, 'UTC')}}
          AND event_name = {{event:String}} AND NOT is_bot
    )
    ARRAY JOIN keys AS key
)
GROUP BY key
ORDER BY events DESC, key
LIMIT {{limit:UInt32}}
"""


def build_event_properties(_params: EventPropertiesParams) -> str:
    """The property keys seen on one event, with common values (the step editor's picker),
    each value read by the same rule the filters compare with."""
    return _EVENT_PROPERTIES.format(value=_PROP.format(key="key"))
