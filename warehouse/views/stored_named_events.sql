-- stored_named_events(project, start, end, names): stored_members (the stored model's rows of
-- the events named in `names`) with each event's properties, which are not in the model: from
-- `events`, where they are stored once per event.
--
-- A view is code: `njia migrate` (and every start) re-creates it when this file changed.
WITH
    props AS (
        SELECT event_id, properties FROM events
        WHERE project_id = {project:String}
          AND timestamp >= {start:DateTime64(3, 'UTC')} AND timestamp < {end:DateTime64(3, 'UTC')}
          AND event_name IN {names:Array(String)}
    )
SELECT m.*, pr.properties AS properties
FROM stored_members(project = {project:String}, start = {start:DateTime64(3, 'UTC')},
                    end = {end:DateTime64(3, 'UTC')}, names = {names:Array(String)}) AS m
LEFT JOIN props AS pr ON pr.event_id = m.event_id
