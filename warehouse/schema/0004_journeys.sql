-- The stored journey model (warehouse/journey/README.md): each event's session or conversation
-- (journey_events) and one row per session (journey_sessions), kept by the model worker from
-- `events` and equal to what the reference views compute. A chain recomputed writes new rows
-- with a higher version, and `deleted` rows for what no longer exists; reads use FINAL, so
-- they never depend on background merges.
CREATE TABLE IF NOT EXISTS journey_events
(
    project_id      LowCardinality(String),
    journey_key     String,
    timestamp       DateTime64(3, 'UTC'),
    event_id        UUID,
    version         UInt64,
    deleted         UInt8,
    session_id      String,
    session_channel LowCardinality(String),
    event_key       String,
    event_name      LowCardinality(String),
    channel         LowCardinality(String),
    anonymous_id    String,
    user_id         String,
    phone           String,
    own_phone       String,
    email           String,
    sdk_session_id  String,
    page_path       String,
    page_title      String,
    device_type     LowCardinality(String),
    browser         LowCardinality(String),
    os              LowCardinality(String),
    country         LowCardinality(String),
    city            LowCardinality(String),
    is_bot          Bool,
    message_id      String,
    chat_id         String,
    direction       LowCardinality(String),
    agent_id        LowCardinality(String),
    properties      JSON,
    INDEX idx_session_id session_id TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_message_id message_id TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_chat_id chat_id TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_event_id event_id TYPE bloom_filter(0.001) GRANULARITY 1,
    INDEX idx_version version TYPE minmax GRANULARITY 1
)
ENGINE = ReplacingMergeTree(version, deleted)
PARTITION BY toYYYYMM(timestamp)
ORDER BY (project_id, journey_key, timestamp, event_id);

CREATE TABLE IF NOT EXISTS journey_sessions
(
    project_id   LowCardinality(String),
    start        DateTime64(3, 'UTC'),
    session_id   String,
    version      UInt64,
    deleted      UInt8,
    channel      LowCardinality(String),
    journey_key  String,
    person_key   String,
    end          DateTime64(3, 'UTC'),
    event_count  UInt64,
    entry_page   String,
    exit_page    String,
    event_names  Array(LowCardinality(String)),
    inbound      UInt64,
    outbound     UInt64,
    resolved     UInt8,
    handed_off   UInt8,
    dropped      UInt8,
    device_type  LowCardinality(String),
    browser      LowCardinality(String),
    os           LowCardinality(String),
    country      LowCardinality(String),
    is_bot       UInt8,
    phone        String,
    anonymous_id String,
    user_id      String,
    INDEX idx_session_id session_id TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_journey_key journey_key TYPE bloom_filter(0.01) GRANULARITY 1
)
ENGINE = ReplacingMergeTree(version, deleted)
PARTITION BY toYYYYMM(start)
ORDER BY (project_id, start, session_id);

-- The chains one recompute touches (journey keys), by the recompute's version; kept a day
-- for inspection.
CREATE TABLE IF NOT EXISTS journey_touched
(
    version     UInt64,
    project_id  LowCardinality(String),
    journey_key String,
    created_at  DateTime DEFAULT now()
)
ENGINE = MergeTree
ORDER BY (version, journey_key)
TTL created_at + INTERVAL 1 DAY;

-- The events of the chains one recompute touches, gathered once (the membership SQL reads its
-- source several times); by version, kept a day.
CREATE TABLE IF NOT EXISTS journey_scratch
(
    version         UInt64,
    event_id        UUID,
    event_name      LowCardinality(String),
    channel         LowCardinality(String),
    timestamp       DateTime64(3, 'UTC'),
    anonymous_id    String,
    user_id         String,
    phone           String,
    email           String,
    session_id      String,
    page_path       String,
    page_title      String,
    device_type     LowCardinality(String),
    browser         LowCardinality(String),
    os              LowCardinality(String),
    country         LowCardinality(String),
    city            LowCardinality(String),
    is_bot          Bool,
    message_id      String,
    chat_id         String,
    direction       LowCardinality(String),
    agent_id        LowCardinality(String),
    properties      JSON,
    created_at      DateTime DEFAULT now()
)
ENGINE = MergeTree
ORDER BY version
TTL created_at + INTERVAL 1 DAY;

-- How far the model worker has read `events` (by inserted_at) per project, and with which
-- timeouts the stored rows were computed (a changed timeout means the project is rebuilt), and
-- whether a rebuild is under way.
CREATE TABLE IF NOT EXISTS journey_progress
(
    project_id        LowCardinality(String),
    watermark         DateTime64(3, 'UTC'),
    session_timeout_s UInt32,
    timeout_s         UInt32,
    rebuilding        UInt8,
    updated_at        DateTime64(6, 'UTC') DEFAULT now64(6)
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY project_id;

-- The worker finds new events by arrival: parts written since its watermark.
ALTER TABLE events ADD INDEX IF NOT EXISTS idx_inserted_at inserted_at TYPE minmax GRANULARITY 1;
ALTER TABLE events MATERIALIZE INDEX idx_inserted_at
