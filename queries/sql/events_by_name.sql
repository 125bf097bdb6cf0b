-- Event counts by name and channel in the range, bots excluded.
SELECT
    event_name,
    channel,
    count() AS events
FROM events
WHERE project_id = {project:String}
  AND timestamp >= {start:DateTime64(3, 'UTC')}
  AND timestamp < {end:DateTime64(3, 'UTC')}
  AND channel IN {channels:Array(String)}
  AND NOT is_bot
GROUP BY event_name, channel
ORDER BY events DESC, event_name, channel
