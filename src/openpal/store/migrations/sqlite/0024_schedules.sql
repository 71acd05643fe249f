-- 0024: cron schedules of workflows (`triggers:` in the YAML), one row per trigger of the
-- workflow's current version. A tick fires once across all processes: each process that
-- finds `next_fire_at` due starts the run under the idempotency key of (schedule, due
-- value), then moves `next_fire_at` on only if it still holds the due value it read.
CREATE TABLE schedules (
    id             TEXT PRIMARY KEY,      -- sch_… stable per (workflow, idx)
    workflow_id    TEXT NOT NULL,
    idx            INTEGER NOT NULL,      -- position in the workflow's `triggers:` list
    version_id     TEXT NOT NULL,         -- the version the trigger was read from
    cron           TEXT NOT NULL,
    timezone       TEXT NOT NULL,
    input          TEXT NOT NULL,         -- JSON: the runs' input
    paused         INTEGER NOT NULL DEFAULT 0,
    next_fire_at   BIGINT NOT NULL,       -- µs, due when <= now
    last_fired_at  BIGINT,                -- µs, when the last tick was fired
    last_run_id    TEXT,
    updated_at     BIGINT NOT NULL,
    UNIQUE (workflow_id, idx)
);
CREATE INDEX schedules_due ON schedules (next_fire_at);
