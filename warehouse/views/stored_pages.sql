-- stored_pages(project, start, end): the stored model's page rows — per chain, 15-minute bucket,
-- page path, session, person and bot flag, how many page views, each (session, page)'s first
-- bucket and row (warehouse/journey/pages.sql) — of buckets in [start, end). Exact for a range
-- whose ends fall on 15-minute instants, as every day of every time zone does (top_pages.sql).
--
-- A view is code: `njia migrate` (and every start) re-creates it when this file changed.
SELECT * EXCEPT (project_id, version, deleted), person_hash
FROM journey_pages FINAL
WHERE project_id = {project:String}
  AND bucket >= {start:DateTime64(3, 'UTC')} AND bucket < {end:DateTime64(3, 'UTC')}
  AND deleted = 0
