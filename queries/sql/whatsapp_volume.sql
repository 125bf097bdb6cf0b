-- WhatsApp messages per hour of the range — per day when the range is longer than 31 days
-- (`hourly`) — inbound (`message.received`) and outbound (`message.sent`), by each message's own
-- time, bots excluded. `bucket` is the hour's (day's) start as a wall-clock time of the project's
-- time zone (tagged UTC so no client shifts it again); every bucket of the range is present.
SELECT
    toDateTime(formatDateTime(if({hourly:UInt8}, toStartOfHour(timestamp, {tz:String}),
                                 toStartOfDay(timestamp, {tz:String})),
                              '%Y-%m-%d %H:%i:%S', {tz:String}), 'UTC') AS bucket,
    countIf(event_name = 'message.received') AS inbound,
    countIf(event_name = 'message.sent') AS outbound
FROM events
WHERE project_id = {project:String}
  AND timestamp >= {start:DateTime64(3, 'UTC')} AND timestamp < {end:DateTime64(3, 'UTC')}
  AND event_name IN ('message.received', 'message.sent') AND NOT is_bot
GROUP BY bucket
ORDER BY bucket WITH FILL
    FROM toDateTime(formatDateTime({start:DateTime64(3, 'UTC')}, '%Y-%m-%d %H:%i:%S',
                                   {tz:String}), 'UTC')
    TO toDateTime(formatDateTime({end:DateTime64(3, 'UTC')}, '%Y-%m-%d %H:%i:%S',
                                 {tz:String}), 'UTC')
    STEP if({hourly:UInt8}, 3600, 86400)
