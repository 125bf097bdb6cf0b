-- The person of each event and session is stored with it (journeys/model.py writes it from
-- person_map, and repairs the rows of every chain an identity merge changes), so pages count
-- people without joining person_map per query (at 10 M events that join was the floor of
-- every per-person number). The model is rebuilt after this migration: its definition hash
-- (journey_progress.definition) changed.
ALTER TABLE journey_events ADD COLUMN IF NOT EXISTS person_id String AFTER event_key;
ALTER TABLE journey_sessions ADD COLUMN IF NOT EXISTS person_id String AFTER person_key;

-- A merge names identifiers: find the rows that carry them.
ALTER TABLE journey_events ADD INDEX IF NOT EXISTS idx_event_key event_key
    TYPE bloom_filter(0.01) GRANULARITY 1;
ALTER TABLE journey_sessions ADD INDEX IF NOT EXISTS idx_person_key person_key
    TYPE bloom_filter(0.01) GRANULARITY 1;
-- Merges by arrival, like events by inserted_at.
ALTER TABLE person_map ADD INDEX IF NOT EXISTS idx_updated_at updated_at TYPE minmax GRANULARITY 1;
ALTER TABLE person_map MATERIALIZE INDEX idx_updated_at;

-- The hash of the journey SQL the rows were computed with: a change rebuilds the model.
ALTER TABLE journey_progress ADD COLUMN IF NOT EXISTS definition String DEFAULT '';
