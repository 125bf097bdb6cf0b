-- Low-confidence examples: the latest `limit` classifications in the range whose confidence is
-- below the project's threshold (`ai.classification`, bots excluded), newest first (ties: by
-- event id), with the intent, the confidence, the classified text when the event carries one
-- (its `text`, else `content`, else `message` property; '' otherwise), the model, and — from the
-- stored journey model — the conversation it belongs to and the person (person_key opens the
-- journey explorer).
WITH
    -- The examples' ids and times, found once (a scalar: a CTE would be read again by each of
    -- its uses). Ordered as `events` is sorted (day, name, time), so the newest are read first
    -- and the scan stops once it has them (the sorting key's day is the UTC one: the same order
    -- as the time's).
    (
        SELECT groupArray((event_id, timestamp))
        FROM (
            SELECT event_id, timestamp
            FROM events
            WHERE project_id = {project:String}
              AND timestamp >= {start:DateTime64(3, 'UTC')}
              AND timestamp < {end:DateTime64(3, 'UTC')}
              AND event_name = 'ai.classification' AND channel = 'ai' AND NOT is_bot
              -- As in ai.sql: a JSON number, or a string holding one.
              AND accurateCastOrNull(properties.confidence, 'Float64') < {threshold:Float64}
            ORDER BY toDate(timestamp) DESC, event_name DESC, timestamp DESC, event_id
            LIMIT {limit:UInt32}
        )
    ) AS picks,
    arrayMap(p -> p.1, picks) AS ids,
    arrayMin(arrayMap(p -> p.2, picks)) AS oldest,
    arrayMax(arrayMap(p -> p.2, picks)) AS newest,
    -- Between the oldest and the newest example: their properties (as strings before any
    -- join) and their membership in the stored model.
    props AS (
        SELECT event_id,
               toString(properties.intent) AS intent,
               accurateCastOrNull(properties.confidence, 'Float64') AS confidence,
               multiIf(toString(properties.text) != '', toString(properties.text),
                       toString(properties.content) != '', toString(properties.content),
                       toString(properties.message)) AS text,
               toString(properties.model) AS model
        FROM events
        WHERE project_id = {project:String}
          AND timestamp >= oldest AND timestamp <= newest
          AND event_name = 'ai.classification' AND has(ids, event_id)
    ),
    m AS (
        SELECT event_id, session_id, person_key, person_id
        FROM stored_by_name(project = {project:String}, start = (SELECT oldest),
                            end = (SELECT newest + toIntervalMillisecond(1)),
                            names = ['ai.classification'])
        WHERE has(ids, event_id)
    )
SELECT
    l.timestamp AS timestamp,
    if(p.intent = '', '(none)', p.intent) AS intent,
    p.confidence AS confidence,
    p.text AS text,
    p.model AS model,
    m.session_id AS conversation,
    m.person_key AS person_key,
    m.person_id AS person_id,
    l.event_id AS event_id
FROM (SELECT pick.1 AS event_id, pick.2 AS timestamp FROM (SELECT arrayJoin(picks) AS pick)) AS l
LEFT JOIN props AS p ON p.event_id = l.event_id
LEFT JOIN m ON m.event_id = l.event_id
ORDER BY timestamp DESC, event_id
