-- stored_session(project, session, start, end): one session's or conversation's events (all of
-- them, even after `end`), with their stored person, from the stored model, when it started in
-- [start, end) — found through its chain (journey_sessions names it, by its start; journey_events
-- is ordered by chain), so opening a session reads a few granules.
--
-- A view is code: `njia migrate` (and every start) re-creates it when this file changed.
WITH
    members AS (
        SELECT * FROM journey_events FINAL
        WHERE project_id = {project:String}
          AND journey_key IN (SELECT journey_key FROM journey_sessions
                              WHERE project_id = {project:String} AND session_id = {session:String}
                                AND start >= {start:DateTime64(3, 'UTC')}
                                AND start < {end:DateTime64(3, 'UTC')})
          AND session_id = {session:String}
    ),
    -- Properties are not in the model: from `events` (stored once per event), within the
    -- session's time span so the date in the events' sort key narrows the read.
    props AS (
        SELECT event_id, properties FROM events
        WHERE project_id = {project:String}
          AND timestamp >= (SELECT min(timestamp) FROM members)
          AND timestamp <= (SELECT max(timestamp) FROM members)
          AND event_id IN (SELECT event_id FROM members)
    )
SELECT
    j.event_id AS event_id, j.event_name AS event_name, j.channel AS channel,
    j.timestamp AS timestamp, j.anonymous_id AS anonymous_id, j.user_id AS user_id,
    j.phone AS phone, j.email AS email, j.sdk_session_id AS sdk_session_id,
    j.page_path AS page_path, j.page_title AS page_title, j.device_type AS device_type,
    j.browser AS browser, j.os AS os, j.country AS country, j.city AS city,
    j.is_bot AS is_bot, j.message_id AS message_id, j.chat_id AS chat_id,
    j.direction AS direction, j.agent_id AS agent_id, pr.properties AS properties,
    j.event_key AS event_key, j.session_id AS session_id,
    j.session_channel AS session_channel, j.journey_key AS journey_key,
    j.event_key AS person_key, j.person_id AS person_id
FROM members AS j
LEFT JOIN props AS pr ON pr.event_id = j.event_id
