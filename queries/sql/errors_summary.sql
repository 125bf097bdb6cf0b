-- Errors at a glance: `app_error` events in the range (bots excluded), how many sessions and
-- people they touched, and the share of web sessions started in the range that contain one (at
-- any time: a session is never cut at the range's end).
WITH
    errors AS (
        SELECT
            count() AS errors,
            uniqExact(error_type) AS error_types,
            uniqExactIf(session_id, session_id != '') AS affected_sessions,
            uniqExact(person_id) AS affected_people
        FROM stored_errors(project = {project:String}, start = {start:DateTime64(3, 'UTC')},
                                   end = {end:DateTime64(3, 'UTC')})
        WHERE event_name = 'app_error' AND NOT is_bot
    ),
    web AS (
        SELECT count() AS sessions, countIf(has(event_names, 'app_error')) AS sessions_with_error
        FROM stored_sessions(project = {project:String}, start = {start:DateTime64(3, 'UTC')},
                             end = {end:DateTime64(3, 'UTC')},
                             conversion_events = [])
        WHERE channel = 'web' AND is_bot = 0
    )
SELECT
    errors, error_types, affected_sessions, affected_people, sessions, sessions_with_error,
    if(sessions = 0, NULL, sessions_with_error / sessions) AS error_session_share
FROM errors CROSS JOIN web
