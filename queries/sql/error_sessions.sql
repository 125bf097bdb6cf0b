-- Sessions touched by `app_error` events in the range (each links to its timeline): the first
-- error, how many, which types, and who — the session's most telling identifier (a PIN, else a
-- phone, an email, an anonymous id), taken from all its events, not only the errors.
SELECT
    session_id,
    any(person_id) AS person_id,
    arraySort(k -> multiIf(startsWith(k, 'user:'), 1, startsWith(k, 'phone:'), 2,
                           startsWith(k, 'email:'), 3, 4),
              groupUniqArray(event_key))[1] AS person_key,
    minIf(timestamp, in_range_error) AS first_error,
    countIf(in_range_error) AS errors,
    arraySort(groupUniqArrayIf(toString(properties.error_type), in_range_error)) AS error_types,
    anyIf(user_id, user_id != '') AS user_id,
    anyIf(phone, phone != '') AS phone,
    anyIf(anonymous_id, anonymous_id != '') AS anonymous_id
FROM (
    SELECT *,
        event_name = 'app_error' AND NOT is_bot
            AND timestamp >= {start:DateTime64(3, 'UTC')}
            AND timestamp < {end:DateTime64(3, 'UTC')} AS in_range_error
    FROM session_events(project = {project:String}, start = {start:DateTime64(3, 'UTC')},
                        end = {end:DateTime64(3, 'UTC')}, timeout_s = {timeout_s:UInt32},
                        session_timeout_s = {session_timeout_s:UInt32})
    WHERE session_id != ''
)
GROUP BY session_id
HAVING errors > 0
ORDER BY first_error DESC, session_id
LIMIT {limit:UInt32}
