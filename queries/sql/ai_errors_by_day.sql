-- `ai.error` events per day (project time zone) and `error_type` (bots excluded): every day of
-- the range × every error type seen in it, so each type's series is complete (0 on days
-- without). An error without a type counts as '(none)'.
WITH
    e AS (
        SELECT toDate(timestamp, {tz:String}) AS day, toString(properties.error_type) AS type
        FROM events
        WHERE project_id = {project:String}
          AND timestamp >= {start:DateTime64(3, 'UTC')} AND timestamp < {end:DateTime64(3, 'UTC')}
          AND event_name = 'ai.error' AND channel = 'ai' AND NOT is_bot
    ),
    counted AS (
        SELECT day, if(type = '', '(none)', type) AS error_type, count() AS errors
        FROM e GROUP BY day, error_type
    ),
    -- Every day of the range, first to last, in the project's time zone.
    days AS (
        SELECT toDate({start:DateTime64(3, 'UTC')}, {tz:String}) + arrayJoin(range(toUInt32(
            dateDiff('day', toDate({start:DateTime64(3, 'UTC')}, {tz:String}),
                     toDate({end:DateTime64(3, 'UTC')} - toIntervalMillisecond(1), {tz:String}))
            + 1))) AS day
    ),
    types AS (SELECT DISTINCT error_type FROM counted)
SELECT d.day AS day, t.error_type AS error_type, c.errors AS errors
FROM days AS d
CROSS JOIN types AS t
LEFT JOIN counted AS c ON c.day = d.day AND c.error_type = t.error_type
ORDER BY day, error_type
