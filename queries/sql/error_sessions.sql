-- Sessions touched by `app_error` events in the range (each links to its timeline): the first
-- error, how many, which types, and who — the session's most telling identifier (a PIN, else a
-- phone, an email, an anonymous id), taken from all its events, not only the errors.
WITH
    errs AS (
        SELECT
            session_id,
            any(journey_key) AS journey_key,
            min(timestamp) AS first_error,
            count() AS errors,
            arraySort(groupUniqArray(error_type)) AS error_types
        FROM stored_errors(project = {project:String}, start = {start:DateTime64(3, 'UTC')},
                                   end = {end:DateTime64(3, 'UTC')})
        WHERE event_name = 'app_error' AND NOT is_bot AND session_id != ''
        GROUP BY session_id
        ORDER BY first_error DESC, session_id
        LIMIT {limit:UInt32}
    ),
    who AS (
        SELECT
            session_id,
            any(person_id) AS person_id,
            arraySort(k -> multiIf(startsWith(k, 'user:'), 1, startsWith(k, 'phone:'), 2,
                                   startsWith(k, 'email:'), 3, 4),
                      groupUniqArray(event_key))[1] AS person_key,
            anyIf(user_id, user_id != '') AS user_id,
            anyIf(phone, phone != '') AS phone,
            anyIf(anonymous_id, anonymous_id != '') AS anonymous_id
        -- Every event of those sessions, whenever it happened: found through their chains (the
        -- model's sort key), so a few granules are read, not every event of the project.
        FROM stored_session_events(project = {project:String}, start = '1970-01-01 00:00:00',
                                   end = '2300-01-01 00:00:00')
        WHERE (journey_key, session_id) IN (SELECT journey_key, session_id FROM errs)
        GROUP BY session_id
    )
SELECT e.session_id AS session_id, w.person_id AS person_id, w.person_key AS person_key,
       e.first_error AS first_error, e.errors AS errors, e.error_types AS error_types,
       w.user_id AS user_id, w.phone AS phone, w.anonymous_id AS anonymous_id
FROM errs AS e
LEFT JOIN who AS w ON w.session_id = e.session_id
ORDER BY first_error DESC, session_id
