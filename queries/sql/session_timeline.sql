-- One session's events in time order, with the seconds since the session's first event and
-- each event's properties (JSON) for the inspector: all of its events, when it started in the
-- range (links carry the range it was opened from; warehouse/views/stored_session.sql).
SELECT
    timestamp,
    dateDiff('millisecond', min(timestamp) OVER (), timestamp) / 1000 AS seconds,
    event_name, channel, page_path, page_title, direction, agent_id, message_id,
    device_type, browser, os, country, person_id, event_key,
    toString(properties) AS properties
FROM stored_session(project = {project:String}, session = {session:String},
                    start = {start:DateTime64(3, 'UTC')}, end = {end:DateTime64(3, 'UTC')})
ORDER BY timestamp, event_name
