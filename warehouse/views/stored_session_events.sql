-- stored_session_events(project, start, end): the stored model's membership — the project's
-- events in [start, end) with their session ('' for none) and person, as kept by the model
-- worker (journeys/) in journey_events; the same columns and values as the reference view
-- session_events. Events' properties are not in the model: stored_named_events and
-- stored_session join them from `events`. The person is stored with each event and repaired
-- by the model worker when a merge changes it (journeys/model.py).
--
-- A view is code: `njia migrate` (and every start) re-creates it when this file changed.
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
    j.event_key AS person_key, j.person_id AS person_id
FROM (
    SELECT * FROM journey_events FINAL
    WHERE project_id = {project:String}
      AND timestamp >= {start:DateTime64(3, 'UTC')} AND timestamp < {end:DateTime64(3, 'UTC')}
) AS j
