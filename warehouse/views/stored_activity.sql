-- stored_activity(project, start, end): the stored model's activity rows — per chain, 15-minute
-- bucket, person, channel, bot flag and whether in a session, how many events
-- (warehouse/journey/activity.sql) — of buckets in [start, end). Exact for a range whose ends
-- fall on 15-minute instants, as every day of every time zone does: per-day people counts read
-- these instead of every event (dau.sql).
--
-- A view is code: `njia migrate` (and every start) re-creates it when this file changed.
SELECT * EXCEPT (project_id, version, deleted)
FROM journey_activity FINAL
WHERE project_id = {project:String}
  AND bucket >= {start:DateTime64(3, 'UTC')} AND bucket < {end:DateTime64(3, 'UTC')}
  AND deleted = 0
