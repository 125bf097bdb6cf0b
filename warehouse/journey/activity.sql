-- Activity rows of the source's membership rows (with their persons): per chain, 15-minute
-- bucket (UTC), person, channel, bot flag and whether in a session or conversation, how many
-- events. Per-day people counts read these (docs/metrics.md "Daily active people"); the
-- buckets are exact for any time zone's days, whose boundaries fall on 15-minute instants.
SELECT
    journey_key,
    toStartOfFifteenMinutes(timestamp) AS bucket,
    person_id,
    channel,
    toUInt8(is_bot) AS is_bot,
    toUInt8(session_id != '') AS sessioned,
    count() AS events
FROM __SOURCE__
GROUP BY journey_key, bucket, person_id, channel, is_bot, sessioned
