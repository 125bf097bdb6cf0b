-- Top pages: page views, sessions and people per page path in the range (web, bots excluded).
SELECT
    page_path AS page,
    count() AS views,
    uniqExactIf(session_id, session_id != '') AS sessions,
    uniqExact(person_id) AS people
FROM stored_named_events(project = {project:String}, start = {start:DateTime64(3, 'UTC')},
                    end = {end:DateTime64(3, 'UTC')}, names = ['page_view'])
WHERE timestamp >= {start:DateTime64(3, 'UTC')} AND timestamp < {end:DateTime64(3, 'UTC')}
  AND NOT is_bot AND event_name = 'page_view' AND page_path != ''
GROUP BY page
ORDER BY views DESC, page
LIMIT {limit:UInt32}
