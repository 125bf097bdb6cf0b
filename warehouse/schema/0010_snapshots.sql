-- Snapshots of the headline metrics (snapshots/, docs "Snapshots"): one row per project, WhatsApp
-- account ('' = the whole project: the CRM's webhook events carry no account id), snapshot type
-- (daily, weekly Monday–Sunday, monthly) and period, in the project's time zone — the seeds'
-- unique key (team, account, date, type). `metrics` maps '<source>.<metric>' (the KPI queries'
-- metric rows, e.g. 'overview.sessions', 'ai.error_rate') to the value over the whole period,
-- computed from the period's own events. Re-computing a period inserts a new row; the newest
-- `computed_at` replaces the older ones, and reads use FINAL, so they never depend on merges.
CREATE TABLE IF NOT EXISTS snapshots
(
    project_id       LowCardinality(String),
    whatsapp_account String,
    snapshot_type    LowCardinality(String),
    -- The period's first and last calendar day (inclusive) in `timezone`.
    period_start     Date,
    period_end       Date,
    -- The same period as instants: [start, end).
    start            DateTime64(3, 'UTC'),
    end              DateTime64(3, 'UTC'),
    timezone         LowCardinality(String),
    metrics          Map(LowCardinality(String), Nullable(Float64)),
    -- The KPI queries the metrics came from.
    sources          Array(LowCardinality(String)),
    -- When the computation began (the replacing version: a later computation read a newer model).
    computed_at      DateTime64(6, 'UTC'),
    -- What asked for it: 'schedule', 'pending' (late data or an identity merge), 'cli'.
    trigger          LowCardinality(String)
)
ENGINE = ReplacingMergeTree(computed_at)
ORDER BY (project_id, whatsapp_account, snapshot_type, period_start);

-- The pending-period pass's bookkeeping per project (snapshots/pending.py): every journey model
-- row with a version up to `after_version` has had its periods recomputed; `seen_version`,
-- `seen_rows` and `seen_at` are what the last pass saw (the newest version, its row count, the
-- warehouse's clock), to tell whether that newest recompute had finished; person_map changes
-- and event arrivals stamped up to `arrived_since` are handled.
CREATE TABLE IF NOT EXISTS snapshot_progress
(
    project_id     LowCardinality(String),
    after_version  UInt64,
    seen_version   UInt64,
    seen_rows      UInt64,
    seen_at        DateTime64(6, 'UTC'),
    arrived_since  DateTime64(3, 'UTC'),
    updated_at     DateTime64(6, 'UTC') DEFAULT now64(6)
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY project_id
