-- AI agent errors at a glance (the Errors page under the WhatsApp channel): `ai.error` events in
-- the range (bots excluded), their distinct error types, the conversations and people they hit
-- (the stored journey model's membership), the AI events of the range and the error rate =
-- ai.error / (ai.classification + ai.generation + ai.error), % with 2 decimals, 0 without AI
-- events — the `ai` query's error_rate.
WITH
    ai AS (
        SELECT
            countIf(event_name = 'ai.error') AS errors,
            uniqExactIf(toString(properties.error_type), event_name = 'ai.error') AS error_types,
            count() AS ai_events
        FROM events
        WHERE project_id = {project:String}
          AND timestamp >= {start:DateTime64(3, 'UTC')} AND timestamp < {end:DateTime64(3, 'UTC')}
          AND event_name IN ('ai.classification', 'ai.generation', 'ai.error')
          AND channel = 'ai' AND NOT is_bot
    ),
    hit AS (
        SELECT
            uniqExactIf(session_id, session_id != '') AS affected_conversations,
            uniqExact(person_id) AS affected_people
        FROM stored_by_name(project = {project:String}, start = {start:DateTime64(3, 'UTC')},
                            end = {end:DateTime64(3, 'UTC')}, names = ['ai.error'])
        WHERE channel = 'ai' AND NOT is_bot
    )
SELECT
    errors, error_types, affected_conversations, affected_people, ai_events,
    if(ai_events = 0, 0, round(100 * errors / ai_events, 2)) AS error_rate
FROM ai CROSS JOIN hit
