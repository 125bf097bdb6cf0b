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
    -- The model's columns but its bookkeeping, as the reference view names them.
    j.* EXCEPT (project_id, version, deleted), j.event_key AS person_key,
    pr.properties AS properties
FROM members AS j
LEFT JOIN props AS pr ON pr.event_id = j.event_id
