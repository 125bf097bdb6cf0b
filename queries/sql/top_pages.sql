-- Top pages: page views, sessions and people per page path in the range (web, bots excluded).
-- Read from the model's page rows (a row per session, page and 15-minute bucket). A page's
-- sessions: those whose first view of it is in the range (one marked row each: a sum), plus
-- those that viewed it before the range and again in it (a distinct count of those few rows).
SELECT
    page_path AS page,
    sum(views) AS views,
    countIf(first AND session_id != '' AND first_bucket >= {start:DateTime64(3, 'UTC')})
      + uniqExactIf(session_id, session_id != '' AND first_bucket < {start:DateTime64(3, 'UTC')})
      AS sessions,
    uniqExact(person_hash) AS people
FROM stored_pages(project = {project:String}, start = {start:DateTime64(3, 'UTC')},
                  end = {end:DateTime64(3, 'UTC')})
WHERE NOT is_bot AND page_path != ''
GROUP BY page
ORDER BY views DESC, page
LIMIT {limit:UInt32}
