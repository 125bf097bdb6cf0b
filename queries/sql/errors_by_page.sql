-- `app_error` events by page: the error's own `path` property, else the page it was sent from.
SELECT
    if(path != '', path, page_path) AS page,
    count() AS errors,
    uniqExactIf(session_id, session_id != '') AS sessions,
    uniqExact(person_id) AS people
FROM stored_errors(project = {project:String}, start = {start:DateTime64(3, 'UTC')},
                    end = {end:DateTime64(3, 'UTC')})
WHERE event_name = 'app_error' AND NOT is_bot
  AND timestamp >= {start:DateTime64(3, 'UTC')} AND timestamp < {end:DateTime64(3, 'UTC')}
GROUP BY page
ORDER BY errors DESC, page
LIMIT {limit:UInt32}
