-- The Overview's WhatsApp cards for [start, end) and the previous period of equal length
-- [prev_start, start): conversations, resolution rate, median first response and CSAT, one row
-- per metric (metric, value, previous, change, change_ratio), as the WhatsApp page defines them
-- (docs/metrics.md "Overview KPIs", "WhatsApp"): conversations by their start (bots excluded),
-- CSAT by the time the rating was given. The Overview shows them under the WhatsApp channel
-- (and says under all how many of its sessions are conversations); `overview` keeps its six
-- KPIs.
WITH
    conv AS (
        SELECT
            countIf(current) AS n, countIf(NOT current) AS pn,
            countIf(current AND resolved = 1) AS res, countIf(NOT current AND resolved = 1) AS pres,
            quantileExactInclusiveIf(first_response_s, current AND first_response_s IS NOT NULL)
                AS frt,
            quantileExactInclusiveIf(first_response_s,
                                     NOT current AND first_response_s IS NOT NULL) AS pfrt
        FROM (
            SELECT first_response_s, resolved, start >= {start:DateTime64(3, 'UTC')} AS current
            FROM stored_conversations(project = {project:String},
                                      start = {prev_start:DateTime64(3, 'UTC')},
                                      end = {end:DateTime64(3, 'UTC')})
        )
    ),
    ratings AS (
        SELECT avgIf(rating, current) AS csat, avgIf(rating, NOT current) AS pcsat
        FROM (
            SELECT rating, timestamp >= {start:DateTime64(3, 'UTC')} AS current
            FROM csat_ratings(project = {project:String},
                              start = {prev_start:DateTime64(3, 'UTC')},
                              end = {end:DateTime64(3, 'UTC')})
        )
    )
SELECT
    metric,
    value,
    previous,
    value - previous AS change,
    if(previous = 0, NULL, (value - previous) / previous) AS change_ratio
FROM (
    SELECT
        ['conversations', 'resolution_rate', 'median_first_response_s', 'csat'] AS metrics,
        [toNullable(toFloat64(n)), if(n = 0, NULL, res / n), if(isFinite(frt), frt, NULL),
         if(isFinite(csat), csat, NULL)] AS values,
        [toNullable(toFloat64(pn)), if(pn = 0, NULL, pres / pn), if(isFinite(pfrt), pfrt, NULL),
         if(isFinite(pcsat), pcsat, NULL)] AS previouses
    FROM conv, ratings
)
ARRAY JOIN metrics AS metric, values AS value, previouses AS previous
