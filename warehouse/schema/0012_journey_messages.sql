-- The outbound WhatsApp messages with their receipts: one row per chain and message id of a
-- `message.sent` (warehouse/journey/messages.sql), kept by the model worker with the chain's
-- other rows, so the delivery, read and failure rates and the message funnel read a row per
-- message sent in the range instead of grouping every send and receipt by message id (at 10 M
-- events: 3 M rows hashed by a 60-character id). Read with FINAL, like the other journey
-- tables; sorted by when the message was sent, as a range asks for the messages sent in it.
CREATE TABLE IF NOT EXISTS journey_messages
(
    project_id  LowCardinality(String),
    sent_at     DateTime64(3, 'UTC'),
    message_id  String,
    journey_key String,
    version     UInt64,
    deleted     UInt8,
    session_id  String,
    sends       UInt64,
    delivered   UInt8,
    read        UInt8,
    failed      UInt8,
    replied     UInt8,
    is_bot      UInt8
)
ENGINE = ReplacingMergeTree(version, deleted)
PARTITION BY toYYYYMM(sent_at)
ORDER BY (project_id, sent_at, message_id, journey_key);
