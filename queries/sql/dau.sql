-- Daily active people: distinct persons with at least one (non-bot) event of their own per day,
-- days in the project's time zone, every day of the range present (0 when nobody was active).
-- WhatsApp events outside any conversation (campaign sends and their receipts, outbound-only
-- messages) do not make their recipient active: only what the person did does. Read from the
-- model's activity rows (15-minute buckets: a day of any time zone is whole buckets), about one
-- row per session instead of every event.
SELECT
    toDate(bucket, {tz:String}) AS day,
    uniqExact(person_id) AS people
FROM stored_activity(project = {project:String}, start = {start:DateTime64(3, 'UTC')},
                     end = {end:DateTime64(3, 'UTC')})
WHERE NOT is_bot AND channel IN {channels:Array(String)}
  AND NOT (channel IN {whatsapp_channels:Array(String)} AND NOT sessioned)
GROUP BY day
ORDER BY day WITH FILL
    FROM toDate({start:DateTime64(3, 'UTC')}, {tz:String})
    TO toDate({end:DateTime64(3, 'UTC')}, {tz:String})
