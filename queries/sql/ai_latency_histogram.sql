-- AI latency distribution: the model's answers in the range (`ai.classification` and
-- `ai.generation` that carry `latency_ms`; failed calls are not answers) per latency bucket, a
-- bucket holding lower_ms ≤ latency < upper_ms (the last has no upper bound; a negative
-- latency, which no clock should report, falls in the first). Every bucket is returned, in
-- order, so the chart's axis keeps its shape; share is % of the answers (2 decimals).
WITH
    [0, 500, 1000, 2000, 3000, 5000, 10000] AS lowers,
    ['< 0.5 s', '0.5–1 s', '1–2 s', '2–3 s', '3–5 s', '5–10 s', '≥ 10 s'] AS labels,
    timed AS (
        -- As in ai.sql: a JSON number, or a string holding one.
        SELECT accurateCastOrNull(properties.latency_ms, 'Float64') AS latency_ms
        FROM events
        WHERE project_id = {project:String}
          AND timestamp >= {start:DateTime64(3, 'UTC')} AND timestamp < {end:DateTime64(3, 'UTC')}
          AND event_name IN ('ai.classification', 'ai.generation') AND channel = 'ai'
          AND NOT is_bot
    ),
    counted AS (
        SELECT greatest(1, arrayCount(l -> latency_ms >= l, lowers)) AS bucket, count() AS answers
        FROM timed
        WHERE latency_ms IS NOT NULL
        GROUP BY bucket
    )
SELECT
    b AS bucket,
    labels[b] AS latency,
    lowers[b] AS lower_ms,
    if(b = length(lowers), NULL, lowers[b + 1]) AS upper_ms,
    answers,
    if(sum(answers) OVER () = 0, 0, round(100 * answers / sum(answers) OVER (), 2)) AS share
FROM (SELECT arrayJoin(range(1, length(lowers) + 1)) AS b) AS buckets
LEFT JOIN counted ON counted.bucket = buckets.b
ORDER BY bucket
