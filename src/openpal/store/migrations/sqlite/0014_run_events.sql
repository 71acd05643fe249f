-- 0014: what happened inside a run that its own columns do not say. Most of a run's
-- history is derived from what it already keeps (created/started/completed times,
-- each step's row, cancel_requested_at); run_events holds only the rare rest: a
-- failed attempt that was retried (with its traceback), the run starting to wait,
-- a person's decision, a takeover after a lost lease. `id` orders a run's events.
-- A step row keeps the traceback of its final failed attempt and the token usage
-- its step reported (JSON), both NULL on the normal path.
CREATE TABLE run_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id      TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    at          INTEGER NOT NULL,
    type        TEXT NOT NULL,
    step_index  INTEGER,
    step_name   TEXT,
    attempt     INTEGER,
    message     TEXT,
    data        TEXT
);
CREATE INDEX run_events_by_run ON run_events (run_id, id);
ALTER TABLE step_executions ADD COLUMN traceback TEXT;
ALTER TABLE step_executions ADD COLUMN usage TEXT;
