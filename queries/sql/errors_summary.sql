-- Errors at a glance: `app_error` events in the range (bots excluded), how many sessions and
-- people they touched, and the share of web sessions started in the range that contain one.
-- One pass over session_events, grouped by session: a session's start is its first event, as
-- in the `sessions` view.
WITH per_session AS (
    SELECT
        session_id,
        any(session_channel) AS channel,
        min(timestamp) AS started,
        max(is_bot) AS bot,
        countIf(event_name = 'app_error' AND NOT is_bot
                AND timestamp >= {start:DateTime64(3, 'UTC')}
                AND timestamp < {end:DateTime64(3, 'UTC')}) AS errors_in_range,
        countIf(event_name = 'app_error') AS errors_any_time,
        groupUniqArrayIf(person_id, event_name = 'app_error' AND NOT is_bot
                         AND timestamp >= {start:DateTime64(3, 'UTC')}
                         AND timestamp < {end:DateTime64(3, 'UTC')}) AS people,
        groupUniqArrayIf(toString(properties.error_type), event_name = 'app_error' AND NOT is_bot
                         AND timestamp >= {start:DateTime64(3, 'UTC')}
                         AND timestamp < {end:DateTime64(3, 'UTC')}) AS types
    FROM session_events(project = {project:String}, start = {start:DateTime64(3, 'UTC')},
                        end = {end:DateTime64(3, 'UTC')}, timeout_s = {timeout_s:UInt32},
                        session_timeout_s = {session_timeout_s:UInt32})
    GROUP BY session_id
)
SELECT
    sum(errors_in_range) AS errors,
    length(arrayDistinct(arrayFlatten(groupArray(types)))) AS error_types,
    countIf(session_id != '' AND errors_in_range > 0) AS affected_sessions,
    length(arrayDistinct(arrayFlatten(groupArray(people)))) AS affected_people,
    countIf(session_id != '' AND channel = 'web' AND bot = 0
            AND started >= {start:DateTime64(3, 'UTC')}
            AND started < {end:DateTime64(3, 'UTC')}) AS sessions,
    countIf(session_id != '' AND channel = 'web' AND bot = 0 AND errors_any_time > 0
            AND started >= {start:DateTime64(3, 'UTC')}
            AND started < {end:DateTime64(3, 'UTC')}) AS sessions_with_error,
    if(sessions = 0, NULL, sessions_with_error / sessions) AS error_session_share
FROM per_session
