-- `app_error` events per day (project's time zone), every day of the range present.
SELECT toDate(timestamp, {tz:String}) AS day, count() AS errors
FROM events
WHERE project_id = {project:String}
  AND timestamp >= {start:DateTime64(3, 'UTC')} AND timestamp < {end:DateTime64(3, 'UTC')}
  AND event_name = 'app_error' AND NOT is_bot
GROUP BY day
ORDER BY day WITH FILL
    FROM toDate({start:DateTime64(3, 'UTC')}, {tz:String})
    TO toDate({end:DateTime64(3, 'UTC')}, {tz:String})
