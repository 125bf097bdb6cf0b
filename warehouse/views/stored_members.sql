-- stored_members(project, start, end, names): the stored model's membership rows of the events
-- named in `names` in [start, end) — stored_session_events' columns without `properties` — for
-- queries that read a few kinds of events (errors, page views). The name filter runs before
-- versions are resolved (a row's name never changes between its versions, so the newest
-- version of each event is still among the rows kept), which reads 1 % of the rows for
-- `app_error` instead of merging all of them; the newest live version of each event is its
-- current state (journeys/model.py writes one per event it touches). stored_named_events adds
-- the events' properties.
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
    SELECT * FROM journey_events
    WHERE project_id = {project:String}
      AND timestamp >= {start:DateTime64(3, 'UTC')} AND timestamp < {end:DateTime64(3, 'UTC')}
      AND event_name IN {names:Array(String)}
    ORDER BY version DESC, deleted ASC
    LIMIT 1 BY event_id
) AS j
WHERE j.deleted = 0
