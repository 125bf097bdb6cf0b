-- Events per minute over the last {minutes} minutes (event time, UTC minutes), bots excluded;
-- every minute present so the sparkline is continuous.
SELECT minute, events
FROM (
    SELECT toStartOfMinute(timestamp) AS minute, count() AS events
    FROM events
    WHERE project_id = {project:String}
      AND timestamp >= toStartOfMinute(now64(3) - toIntervalMinute({minutes:UInt32}))
      AND timestamp <= now64(3)
      AND channel IN {channels:Array(String)}
      AND NOT is_bot
    GROUP BY minute
    ORDER BY minute WITH FILL
        FROM toStartOfMinute(now64(3) - toIntervalMinute({minutes:UInt32}))
        TO toStartOfMinute(now64(3)) + INTERVAL 1 MINUTE
        STEP toIntervalMinute(1)
)
ORDER BY minute
