-- Response times per bucket: per inbound message in the range (three in a row: three), the time
-- to the next outbound message of its conversation, bot or agent (stored_wa_responses); only
-- messages that got one. A bucket holds lower_s ≤ seconds < the next one's lower_s; every bucket
-- is returned, in order. `median_s`, the median of all of them (exact, linear interpolation), is on every row.
WITH
    ['< 1 min', '1–5 min', '5–15 min', '15–60 min', '> 60 min'] AS labels,
    [0, 60, 300, 900, 3600] AS bounds,
    r AS (
        SELECT assumeNotNull(response_s) AS seconds
        FROM stored_wa_responses(project = {project:String}, start = {start:DateTime64(3, 'UTC')},
                                 end = {end:DateTime64(3, 'UTC')})
        WHERE response_s IS NOT NULL
    ),
    counted AS (
        SELECT arrayLastIndex(b -> seconds >= b, bounds) AS bucket,
               count() AS responses
        FROM r
        GROUP BY bucket
        ORDER BY bucket WITH FILL FROM 1 TO length(bounds) + 1
    )
SELECT
    bucket,
    labels[bucket] AS response_time,
    bounds[bucket] AS lower_s,
    responses,
    (SELECT if(count() = 0, NULL, quantileExactInclusive(0.5)(seconds)) FROM r) AS median_s
FROM counted
ORDER BY bucket
