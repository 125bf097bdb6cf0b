-- AI agent KPIs for [start, end) and the previous period of equal length [prev_start, start),
-- one row per metric (metric, value, previous, change, change_ratio), as `overview`.
-- Definitions: queries/definitions/ai.toml (docs/metrics.md "AI agent"). An event counts in the
-- period its own time falls in; AI events are the `ai` channel's (the CRM webhook's ai.*);
-- bots are excluded as everywhere.
--
-- Event-level numbers need no conversation, so this reads `events` alone (sorted by name and
-- time: three names over two periods), with the two properties it needs taken as numbers:
-- `confidence` and `latency_ms` arrive as JSON numbers (the CRM webhook types them); a string
-- holding a number counts too (a boolean as 1/0), anything else is "not given". Cast from the
-- JSON column's value, not parsed from its text (toString → parse cost 2× more at 10 M).
WITH
    ai AS (
        SELECT
            event_name,
            timestamp >= {start:DateTime64(3, 'UTC')} AS current,
            accurateCastOrNull(properties.confidence, 'Float64') AS confidence,
            accurateCastOrNull(properties.latency_ms, 'Float64') AS latency_ms
        FROM events
        WHERE project_id = {project:String}
          AND timestamp >= {prev_start:DateTime64(3, 'UTC')}
          AND timestamp < {end:DateTime64(3, 'UTC')}
          AND event_name IN ('ai.classification', 'ai.generation', 'ai.error')
          AND channel = 'ai' AND NOT is_bot
    ),
    -- Both periods in one pass (no GROUP BY: one row even without events). Latency is that
    -- of the model's answers (classifications and generations that carry one), not of failed
    -- calls.
    totals AS (
        SELECT
            countIf(current AND event_name = 'ai.classification') AS classifications,
            countIf(current AND event_name = 'ai.generation') AS generations,
            countIf(current AND event_name = 'ai.error') AS errors,
            countIf(current AND event_name = 'ai.classification' AND confidence IS NOT NULL)
                AS scored,
            countIf(current AND event_name = 'ai.classification'
                    AND confidence < {threshold:Float64}) AS low,
            avgIf(confidence, current AND event_name = 'ai.classification') AS mean_confidence,
            countIf(current AND event_name != 'ai.error' AND latency_ms IS NOT NULL) AS timed,
            quantilesExactInclusiveIf(0.5, 0.9, 0.99)(
                latency_ms, current AND event_name != 'ai.error') AS latency,
            countIf(NOT current AND event_name = 'ai.classification') AS p_classifications,
            countIf(NOT current AND event_name = 'ai.generation') AS p_generations,
            countIf(NOT current AND event_name = 'ai.error') AS p_errors,
            countIf(NOT current AND event_name = 'ai.classification' AND confidence IS NOT NULL)
                AS p_scored,
            countIf(NOT current AND event_name = 'ai.classification'
                    AND confidence < {threshold:Float64}) AS p_low,
            avgIf(confidence, NOT current AND event_name = 'ai.classification')
                AS p_mean_confidence,
            countIf(NOT current AND event_name != 'ai.error' AND latency_ms IS NOT NULL)
                AS p_timed,
            quantilesExactInclusiveIf(0.5, 0.9, 0.99)(
                latency_ms, NOT current AND event_name != 'ai.error') AS p_latency
        FROM ai
    )
SELECT
    metric,
    value,
    previous,
    value - previous AS change,
    if(previous = 0, NULL, (value - previous) / previous) AS change_ratio
FROM (
    SELECT
        ['classifications', 'mean_confidence', 'low_confidence_share', 'latency_p50_ms',
         'latency_p90_ms', 'latency_p99_ms', 'error_rate', 'errors', 'generations'] AS metrics,
        -- Rates are percentages with 2 decimals, 0 when there is nothing to divide by; a mean
        -- or a percentile of nothing has no value (NULL).
        [toNullable(toFloat64(classifications)),
         if(scored = 0, NULL, mean_confidence),
         if(scored = 0, 0, round(100 * low / scored, 2)),
         if(timed = 0, NULL, latency[1]),
         if(timed = 0, NULL, latency[2]),
         if(timed = 0, NULL, latency[3]),
         if(classifications + generations + errors = 0, 0,
            round(100 * errors / (classifications + generations + errors), 2)),
         toFloat64(errors),
         toFloat64(generations)] AS values,
        [toNullable(toFloat64(p_classifications)),
         if(p_scored = 0, NULL, p_mean_confidence),
         if(p_scored = 0, 0, round(100 * p_low / p_scored, 2)),
         if(p_timed = 0, NULL, p_latency[1]),
         if(p_timed = 0, NULL, p_latency[2]),
         if(p_timed = 0, NULL, p_latency[3]),
         if(p_classifications + p_generations + p_errors = 0, 0,
            round(100 * p_errors / (p_classifications + p_generations + p_errors), 2)),
         toFloat64(p_errors),
         toFloat64(p_generations)] AS previouses
    FROM totals
)
ARRAY JOIN metrics AS metric, values AS value, previouses AS previous
