-- Events per day (project's time zone) and channel, bots excluded.
SELECT
    toDate(timestamp, {tz:String}) AS day,
    channel,
    count() AS events
FROM events
WHERE project_id = {project:String}
  AND timestamp >= {start:DateTime64(3, 'UTC')}
  AND timestamp < {end:DateTime64(3, 'UTC')}
  AND channel IN {channels:Array(String)}
  AND NOT is_bot
GROUP BY day, channel
ORDER BY day, channel
