-- Who was active when: per chain, 15-minute bucket (UTC), person, channel, bot flag and whether
-- the events were in a session or conversation, how many events — kept by the model worker with
-- the chain's other rows (warehouse/journey/activity.sql), so per-day people counts read about a
-- row per session instead of every event. Buckets of 15 minutes are exact for every time zone
-- (all UTC offsets are multiples of 15 minutes, so no bucket straddles a local midnight).
-- Read with FINAL, like the other journey tables.
CREATE TABLE IF NOT EXISTS journey_activity
(
    project_id  LowCardinality(String),
    journey_key String,
    bucket      DateTime('UTC'),
    person_id   String,
    channel     LowCardinality(String),
    is_bot      UInt8,
    sessioned   UInt8,
    version     UInt64,
    deleted     UInt8,
    events      UInt64
)
ENGINE = ReplacingMergeTree(version, deleted)
PARTITION BY toYYYYMM(bucket)
ORDER BY (project_id, journey_key, bucket, person_id, channel, is_bot, sessioned);
