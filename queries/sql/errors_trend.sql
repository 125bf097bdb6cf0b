-- Errors per day (project time zone) by kind: the web app's `app_error` and the AI agent's
-- `ai.error` (bots excluded), every day of the range for both kinds — the Errors page's trend
-- under the WhatsApp channel, where the two show side by side.
WITH
    e AS (
        SELECT toDate(timestamp, {tz:String}) AS day, toString(event_name) AS kind
        FROM events
        WHERE project_id = {project:String}
          AND timestamp >= {start:DateTime64(3, 'UTC')} AND timestamp < {end:DateTime64(3, 'UTC')}
          AND ((event_name = 'app_error') OR (event_name = 'ai.error' AND channel = 'ai'))
          AND NOT is_bot
    ),
    counted AS (SELECT day, kind, count() AS errors FROM e GROUP BY day, kind),
    -- Every day of the range, first to last, in the project's time zone.
    days AS (
        SELECT toDate({start:DateTime64(3, 'UTC')}, {tz:String}) + arrayJoin(range(toUInt32(
            dateDiff('day', toDate({start:DateTime64(3, 'UTC')}, {tz:String}),
                     toDate({end:DateTime64(3, 'UTC')} - toIntervalMillisecond(1), {tz:String}))
            + 1))) AS day
    )
SELECT d.day AS day, k.kind AS kind, c.errors AS errors
FROM days AS d
CROSS JOIN (SELECT arrayJoin(['app_error', 'ai.error']) AS kind) AS k
LEFT JOIN counted AS c ON c.day = d.day AND c.kind = k.kind
ORDER BY day, kind DESC
