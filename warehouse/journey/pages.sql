-- Page rows of the source's membership rows (with their persons): per chain, 15-minute bucket
-- (UTC), page path, session, person and bot flag, how many page views. Top pages read these
-- (docs/metrics.md "Top pages"). Distinct sessions per page without a distinct count over
-- every row: on each (session, page, bot flag), `first_bucket` is its first bucket and `first`
-- marks exactly one row of it, in that bucket; so a range counts the sessions whose first view
-- of a page falls in it, plus — by distinct count — only those that viewed the page before the
-- range and again in it.
SELECT
    journey_key, bucket, page_path, session_id, person_id, is_bot, views,
    min(bucket) OVER (PARTITION BY journey_key, session_id, page_path, is_bot) AS first_bucket,
    toUInt8(row_number() OVER (PARTITION BY journey_key, session_id, page_path, is_bot
                               ORDER BY bucket, person_id) = 1) AS first
FROM (
    SELECT
        journey_key,
        toStartOfFifteenMinutes(timestamp) AS bucket,
        page_path,
        session_id,
        person_id,
        toUInt8(is_bot) AS is_bot,
        count() AS views
    FROM __SOURCE__
    WHERE event_name = 'page_view'
    GROUP BY journey_key, bucket, page_path, session_id, person_id, is_bot
)
