-- Identifier → person, maintained incrementally by the processor (processor/identity.py).
-- A merge writes new rows with a higher version; reads take argMax(person_id, version), so they
-- never depend on background merges. An identifier with no row is its own person.
CREATE TABLE IF NOT EXISTS person_map
(
    project_id LowCardinality(String),
    identifier String,
    person_id  String,
    version    UInt64,
    updated_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (project_id, identifier)
