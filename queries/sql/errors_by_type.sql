-- `app_error` events by error type and message: how often, how many sessions and people, when
-- last seen.
SELECT
    error_type AS error_type,
    message AS message,
    count() AS errors,
    uniqExactIf(session_id, session_id != '') AS sessions,
    uniqExact(person_id) AS people,
    max(timestamp) AS last_seen
FROM stored_errors(project = {project:String}, start = {start:DateTime64(3, 'UTC')},
                    end = {end:DateTime64(3, 'UTC')})
WHERE event_name = 'app_error' AND NOT is_bot
  AND timestamp >= {start:DateTime64(3, 'UTC')} AND timestamp < {end:DateTime64(3, 'UTC')}
GROUP BY error_type, message
ORDER BY errors DESC, error_type, message
LIMIT {limit:UInt32}
