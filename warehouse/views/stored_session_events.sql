-- stored_session_events(project, start, end): the stored model's membership — the project's
-- events in [start, end) with their session ('' for none) and person, as kept by the model
-- worker (journeys/) in journey_events; the same columns and values as the reference view
-- session_events. Events' properties are not in the model: stored_named_events and
-- stored_session join them from `events`. The person is read through person_map now, so merges apply at once.
--
-- A view is code: `njia migrate` (and every start) re-creates it when this file changed.
WITH
    persons AS (
        SELECT identifier, argMax(person_id, version) AS person_id
        FROM person_map WHERE project_id = {project:String} GROUP BY identifier
    )
SELECT
    j.event_id AS event_id, j.event_name AS event_name, j.channel AS channel,
    j.timestamp AS timestamp, j.anonymous_id AS anonymous_id, j.user_id AS user_id,
    j.phone AS phone, j.email AS email, j.sdk_session_id AS sdk_session_id,
    j.page_path AS page_path, j.page_title AS page_title, j.device_type AS device_type,
    j.browser AS browser, j.os AS os, j.country AS country, j.city AS city,
    j.is_bot AS is_bot, j.message_id AS message_id, j.chat_id AS chat_id,
    j.direction AS direction, j.agent_id AS agent_id,
    j.event_key AS event_key, j.session_id AS session_id,
    j.session_channel AS session_channel, j.journey_key AS journey_key,
    if(p.person_id != '', p.person_id,
       lower(substring(hex(SHA256(j.event_key)), 1, 16))) AS person_id
FROM (
    SELECT * FROM journey_events FINAL
    WHERE project_id = {project:String}
      AND timestamp >= {start:DateTime64(3, 'UTC')} AND timestamp < {end:DateTime64(3, 'UTC')}
) AS j
LEFT JOIN persons AS p ON p.identifier = j.event_key
