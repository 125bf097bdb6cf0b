-- `ai.error` events by `error_type` (bots excluded): how often, their share of the range's AI
-- errors (%, 2 decimals), the models that failed, how many conversations and people they hit
-- (the stored journey model's membership; an error outside any conversation has none), when
-- last seen. An error without a type counts as '(none)'.
WITH
    -- Properties as strings before the join: joining the JSON column costs more than the rest.
    props AS (
        SELECT event_id, toString(properties.error_type) AS error_type,
               toString(properties.model) AS model
        FROM events
        WHERE project_id = {project:String}
          AND timestamp >= {start:DateTime64(3, 'UTC')} AND timestamp < {end:DateTime64(3, 'UTC')}
          AND event_name = 'ai.error' AND channel = 'ai' AND NOT is_bot
    ),
    m AS (
        SELECT event_id, timestamp, session_id, person_id
        FROM stored_by_name(project = {project:String}, start = {start:DateTime64(3, 'UTC')},
                            end = {end:DateTime64(3, 'UTC')}, names = ['ai.error'])
        WHERE channel = 'ai' AND NOT is_bot
    )
SELECT
    if(p.error_type = '', '(none)', p.error_type) AS error_type,
    count() AS errors,
    round(100 * count() / sum(count()) OVER (), 2) AS share,
    arrayStringConcat(arraySort(groupUniqArrayIf(p.model, p.model != '')), ', ') AS models,
    uniqExactIf(m.session_id, m.session_id != '') AS conversations,
    uniqExact(m.person_id) AS people,
    max(m.timestamp) AS last_seen
FROM m
INNER JOIN props AS p ON p.event_id = m.event_id
GROUP BY error_type
ORDER BY errors DESC, error_type
LIMIT {limit:UInt32}
