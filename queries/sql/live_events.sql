-- The live feed: the latest events to arrive (by the time the collector accepted them) among
-- those whose event time is within the last {minutes} minutes. Bots included and flagged: a
-- live feed shows what comes in.
SELECT
    received_at, timestamp, event_name, channel, source, user_id, phone, email, anonymous_id,
    page_path, direction, device_type, browser, country, is_bot,
    toString(properties) AS properties
FROM events
WHERE project_id = {project:String}
  AND timestamp >= now64(3) - toIntervalMinute({minutes:UInt32})
  AND channel IN {channels:Array(String)}
ORDER BY received_at DESC, timestamp DESC
LIMIT {limit:UInt32}
