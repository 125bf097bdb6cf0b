-- One session's events in time order, with the seconds since the session's first event and
-- each event's properties (JSON) for the inspector. The range is the one the session started in.
SELECT
    timestamp,
    dateDiff('millisecond', min(timestamp) OVER (), timestamp) / 1000 AS seconds,
    event_name, channel, page_path, page_title, direction, agent_id, message_id,
    device_type, browser, os, country, person_id, event_key,
    toString(properties) AS properties
FROM session_events(project = {project:String}, start = {start:DateTime64(3, 'UTC')},
                    end = {end:DateTime64(3, 'UTC')}, timeout_s = {timeout_s:UInt32},
                    session_timeout_s = {session_timeout_s:UInt32})
WHERE session_id = {session:String}
ORDER BY timestamp, event_name
