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
    named AS (
        SELECT DISTINCT person_id
        FROM (
            SELECT identifier, argMax(person_id, version) AS person_id
            FROM person_map WHERE project_id = {project:String} GROUP BY identifier
        )
        WHERE NOT startsWith(identifier, 'anon:')
    ),
    people AS (
        SELECT person_id, current,
               max(NOT startsWith(person_key, 'anon:')) OR person_id IN named AS identified
        FROM s GROUP BY person_id, current
    ),
    by_session AS (
        SELECT
            countIf(current) AS n, countIf(NOT current) AS pn,
            countIf(converted = 1 AND current) AS conv, countIf(converted = 1 AND NOT current) AS pconv,
            sumIf(duration_ms, current) / 1000 AS dur, sumIf(duration_ms, NOT current) / 1000 AS pdur
        FROM s
    ),
    by_person AS (
        SELECT
            countIf(current) AS people, countIf(NOT current) AS ppeople,
            countIf(current AND identified) AS ident, countIf(NOT current AND identified) AS pident
        FROM people
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
    FROM by_session CROSS JOIN by_person
)
ARRAY JOIN metrics AS metric, values AS value, previouses AS previous
