-- WhatsApp messages per weekday × hour of day in the project's time zone, by each message's own
-- time, bots excluded: inbound (when taxpayers write), outbound and both. weekday: 1 = Monday …
-- 7 = Sunday.
SELECT
    toDayOfWeek(timestamp, 0, {tz:String}) AS weekday,
    toHour(toTimeZone(timestamp, {tz:String})) AS hour,
    countIf(event_name = 'message.received') AS inbound,
    countIf(event_name = 'message.sent') AS outbound,
    count() AS messages
FROM events
WHERE project_id = {project:String}
  AND timestamp >= {start:DateTime64(3, 'UTC')} AND timestamp < {end:DateTime64(3, 'UTC')}
  AND event_name IN ('message.received', 'message.sent') AND NOT is_bot
GROUP BY weekday, hour
ORDER BY weekday, hour
