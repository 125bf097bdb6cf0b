-- Top intents: per intent the AI agent's classifications in the range (`ai.classification`,
-- bots excluded), their share of all classifications (%, 2 decimals), mean confidence, and how
-- many fell below the project's low-confidence threshold (count and % of those with a
-- confidence). A classification without an intent counts as '(none)'.
WITH
    c AS (
        SELECT
            toString(properties.intent) AS intent,
            -- As in ai.sql: a JSON number, or a string holding one.
            accurateCastOrNull(properties.confidence, 'Float64') AS confidence
        FROM events
        WHERE project_id = {project:String}
          AND timestamp >= {start:DateTime64(3, 'UTC')} AND timestamp < {end:DateTime64(3, 'UTC')}
          AND event_name = 'ai.classification' AND channel = 'ai' AND NOT is_bot
    )
SELECT
    if(intent = '', '(none)', intent) AS intent,
    count() AS classifications,
    round(100 * count() / sum(count()) OVER (), 2) AS share,
    avg(confidence) AS mean_confidence,
    countIf(confidence < {threshold:Float64}) AS low_confidence,
    if(count(confidence) = 0, 0,
       round(100 * countIf(confidence < {threshold:Float64}) / count(confidence), 2))
        AS low_confidence_share
FROM c
GROUP BY intent
ORDER BY classifications DESC, intent
LIMIT {limit:UInt32}
