-- Sessions started per weekday × hour of day in the project's time zone (EAT by default).
-- weekday: 1 = Monday … 7 = Sunday.
SELECT
    toDayOfWeek(start, 0, {tz:String}) AS weekday,
    toHour(toTimeZone(start, {tz:String})) AS hour,
    count() AS sessions
FROM stored_sessions(project = {project:String}, start = {start:DateTime64(3, 'UTC')},
              end = {end:DateTime64(3, 'UTC')},
              conversion_events = {conversion_events:Array(String)})
WHERE is_bot = 0 AND channel IN {session_channels:Array(String)}
GROUP BY weekday, hour
ORDER BY weekday, hour
