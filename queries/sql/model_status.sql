-- Whether the stored journey model (sessions and conversations) is current for the project:
-- `state` is 'starting' (not computed yet), 'rebuilding' (a timeout changed, or `njia rebuild`
-- without a range runs) or 'current'; `pending_events` counts events that arrived after the
-- model worker's last pass (they show within seconds).
WITH
    progress AS (
        SELECT count() AS n, argMax(watermark, updated_at) AS watermark,
               argMax(rebuilding, updated_at) AS rebuilding
        FROM journey_progress WHERE project_id = {project:String}
    )
SELECT
    multiIf(n = 0, 'starting', rebuilding = 1, 'rebuilding', 'current') AS state,
    if(n = 0, NULL, watermark) AS model_watermark,
    (SELECT count() FROM events
     WHERE project_id = {project:String}
       AND inserted_at > (SELECT watermark FROM progress)) AS pending_events
FROM progress
