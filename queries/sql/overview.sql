-- Overview KPIs for [start, end) and the previous period of equal length [prev_start, start):
-- sessions (web sessions + WhatsApp conversations), people, identified / anonymous people,
-- conversion rate and average session duration. Definitions: docs/metrics.md "Overview KPIs".
-- A session belongs to the period its start falls in; bot sessions are excluded.
WITH
    s AS (
        -- Whole milliseconds: an integer sum is exact, so every run (page, CLI, API) gives
        -- the same average to the last digit.
        SELECT person_id, person_key, toInt64(round(duration_s * 1000)) AS duration_ms, converted,
               start >= {start:DateTime64(3, 'UTC')} AS current
        FROM stored_sessions(project = {project:String}, start = {prev_start:DateTime64(3, 'UTC')},
                      end = {end:DateTime64(3, 'UTC')},
                      conversion_events = {conversion_events:Array(String)})
        WHERE is_bot = 0 AND channel IN {session_channels:Array(String)}
    ),
    -- People known by a PIN, phone or email: any identifier of theirs that is not anonymous
    -- (stitching is retroactive, so this is "as known now").
    -- FINAL keeps each identifier's newest row (person_map replaces by version), and the filter
    -- on its key runs before the merge: 0.9 M identifiers at 10 M events in ~80 ms, not 130.
    named AS (
        SELECT DISTINCT person_id
        FROM person_map FINAL
        WHERE project_id = {project:String} AND NOT startsWith(identifier, 'anon:')
    ),
    -- One pass over the sessions: per person and period, then the totals (each use of `s`
    -- would read the stored sessions again).
    per_person AS (
        SELECT person_id, current,
               count() AS sessions, countIf(converted = 1) AS conversions, sum(duration_ms) AS total_ms,
               max(NOT startsWith(person_key, 'anon:')) OR person_id IN named AS identified
        FROM s GROUP BY person_id, current
    ),
    totals AS (
        SELECT
            sumIf(sessions, current) AS n, sumIf(sessions, NOT current) AS pn,
            sumIf(conversions, current) AS conv, sumIf(conversions, NOT current) AS pconv,
            sumIf(total_ms, current) / 1000 AS dur, sumIf(total_ms, NOT current) / 1000 AS pdur,
            countIf(current) AS people, countIf(NOT current) AS ppeople,
            countIf(current AND identified) AS ident, countIf(NOT current AND identified) AS pident
        FROM per_person
    )
SELECT
    metric,
    value,
    previous,
    value - previous AS change,
    if(previous = 0, NULL, (value - previous) / previous) AS change_ratio
FROM (
    SELECT
        ['sessions', 'people', 'identified_people', 'anonymous_people', 'conversion_rate',
         'avg_duration_s'] AS metrics,
        [toNullable(toFloat64(n)), toFloat64(people), toFloat64(ident),
         toFloat64(people - ident), if(n = 0, NULL, conv / n), if(n = 0, NULL, dur / n)]
            AS values,
        [toNullable(toFloat64(pn)), toFloat64(ppeople), toFloat64(pident),
         toFloat64(ppeople - pident), if(pn = 0, NULL, pconv / pn), if(pn = 0, NULL, pdur / pn)]
            AS previouses
    FROM totals
)
ARRAY JOIN metrics AS metric, values AS value, previouses AS previous
