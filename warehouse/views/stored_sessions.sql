-- stored_sessions(project, start, end, conversion_events): the stored model's sessions — one row
-- per web session or WhatsApp conversation whose start is in [start, end), as kept by the model
-- worker (journeys/) in journey_sessions; the same columns and values as the reference view
-- sessions. The person is stored with the session and repaired by the model worker when a
-- merge changes it (journeys/model.py); "converted" is read through the project's conversion
-- events as they are now.
--
-- A view is code: `njia migrate` (and every start) re-creates it when this file changed.
{{ session_projection: (
    SELECT * FROM journey_sessions FINAL
    WHERE project_id = {project:String}
      AND start >= {start:DateTime64(3, 'UTC')} AND start < {end:DateTime64(3, 'UTC')}
) }}
