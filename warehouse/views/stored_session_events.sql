-- stored_session_events(project, start, end): the stored model's membership — the project's
-- events in [start, end) with their session ('' for none) and person, as kept by the model
-- worker (journeys/) in journey_events; the same columns and values as the reference view
-- session_events. Events' properties are not in the model: stored_errors and
-- stored_session join them from `events`. The person is stored with each event and repaired
-- by the model worker when a merge changes it (journeys/model.py).
--
-- A view is code: `njia migrate` (and every start) re-creates it when this file changed.
SELECT
    -- The model's columns but its bookkeeping, as the reference view names them.
    j.* EXCEPT (project_id, version, deleted), j.event_key AS person_key
FROM (
    SELECT * FROM journey_events FINAL
    WHERE project_id = {project:String}
      AND timestamp >= {start:DateTime64(3, 'UTC')} AND timestamp < {end:DateTime64(3, 'UTC')}
) AS j
