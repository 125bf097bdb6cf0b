-- Session duration distribution: sessions per duration bucket (one-event sessions last 0 s;
-- a bucket holds lower ≤ duration < upper). Every bucket is returned, in order, so the chart's
-- axis keeps its shape.
WITH ['0 s', '< 10 s', '10-30 s', '30 s-1 min', '1-3 min', '3-10 min', '10-30 min',
      '30-60 min', '1 h+'] AS labels
SELECT bucket, labels[bucket] AS duration, sessions
FROM (
    SELECT
        multiIf(duration_s <= 0, 1,
                arrayFirstIndex(u -> duration_s < u, [0, 10, 30, 60, 180, 600, 1800, 3600]) = 0,
                9,
                arrayFirstIndex(u -> duration_s < u, [0, 10, 30, 60, 180, 600, 1800, 3600]))
            AS bucket,
        count() AS sessions
    FROM stored_sessions(project = {project:String}, start = {start:DateTime64(3, 'UTC')},
                  end = {end:DateTime64(3, 'UTC')},
                  conversion_events = {conversion_events:Array(String)})
    WHERE is_bot = 0 AND channel IN {session_channels:Array(String)}
    GROUP BY bucket
    ORDER BY bucket WITH FILL FROM 1 TO 10
)
ORDER BY bucket
