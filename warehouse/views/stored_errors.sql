-- stored_errors(project, start, end): the stored model's `app_error` events in [start, end)
-- (stored_by_name's columns) with what the error pages read of their properties — error_type,
-- message and path — taken from `events` as strings before the join: joining the JSON column
-- itself cost 4× the rest of an error query at 10 M events.
--
-- A view is code: `njia migrate` (and every start) re-creates it when this file changed.
WITH
    props AS (
        SELECT event_id, toString(properties.error_type) AS error_type,
               toString(properties.message) AS message, toString(properties.path) AS path
        FROM events
        WHERE project_id = {project:String}
          AND timestamp >= {start:DateTime64(3, 'UTC')} AND timestamp < {end:DateTime64(3, 'UTC')}
          AND event_name = 'app_error'
    )
SELECT m.*, pr.error_type AS error_type, pr.message AS message, pr.path AS path
FROM stored_by_name(project = {project:String}, start = {start:DateTime64(3, 'UTC')},
                    end = {end:DateTime64(3, 'UTC')}, names = ['app_error']) AS m
LEFT JOIN props AS pr ON pr.event_id = m.event_id
