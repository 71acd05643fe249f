-- 0026: fan-out items. A step with `forEach` runs once per element of a list; each item
-- that ended (completed, or failed after its retries) is kept here as it ends, so a run
-- taken over after a crash runs only the items without a row. The step's own row in
-- step_executions (its output: the items' outputs in input order) is written when the
-- last item ended, as for any step.
CREATE TABLE step_items (
    run_id        TEXT NOT NULL,
    step_index    INTEGER NOT NULL,
    item_index    INTEGER NOT NULL,
    status        TEXT NOT NULL,          -- completed | failed
    output        TEXT,                   -- JSON
    error         TEXT,
    attempts      INTEGER NOT NULL,
    started_at    BIGINT NOT NULL,
    completed_at  BIGINT NOT NULL,
    PRIMARY KEY (run_id, step_index, item_index)
);
