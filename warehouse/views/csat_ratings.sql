-- csat_ratings(project, start, end): the CSAT ratings given in [start, end) — one row per
-- `csat.submitted` event (bots excluded) whose `rating` is 1–5 (anything else is not a
-- rating), with its time. The WhatsApp page's CSAT and the Overview's under WhatsApp read it
-- (docs/metrics.md "WhatsApp": ratings count in the range they were given).
--
-- A view is code: `njia migrate` (and every start) re-creates it when this file changed.
SELECT timestamp, rating
FROM (
    SELECT timestamp, toFloat64OrNull(toString(properties.rating)) AS rating
    FROM events
    WHERE project_id = {project:String}
      AND timestamp >= {start:DateTime64(3, 'UTC')} AND timestamp < {end:DateTime64(3, 'UTC')}
      AND event_name = 'csat.submitted' AND NOT is_bot
)
WHERE rating BETWEEN 1 AND 5
