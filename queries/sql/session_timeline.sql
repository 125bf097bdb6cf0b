-- One session's events in time order, with the seconds since the session's first event and
-- each event's properties (JSON) for the inspector. The whole session, whatever the range (the
-- session id finds its rows through a skip index).
SELECT
    timestamp,
    dateDiff('millisecond', min(timestamp) OVER (), timestamp) / 1000 AS seconds,
    event_name, channel, page_path, page_title, direction, agent_id, message_id,
    device_type, browser, os, country, person_id, event_key,
    toString(properties) AS properties
FROM stored_session_events(project = {project:String}, start = '1970-01-01 00:00:00',
                           end = '2300-01-01 00:00:00')
WHERE session_id = {session:String}
ORDER BY timestamp, event_name
