-- 0018: worker processes announce themselves, so that new work wakes one of them.
-- Every start used to NOTIFY one channel that every worker process listens to: each
-- woke, and each ran a claim, though one of them took the work. Now the API process
-- that starts runs names the workers to wake (round robin over those seen in the last
-- few seconds, enough of them for the runs it started), on each worker's own channel
-- `openpal_work_<channel>`; a worker that has no free slot, or that filled every slot
-- and may have left work behind, hands on to all of them on `openpal_work`.
CREATE TABLE workers (
    id          TEXT PRIMARY KEY,   -- the worker pool's id (host:pid:suffix)
    channel     TEXT NOT NULL,      -- its process's listener id
    slots       INTEGER NOT NULL,
    free        INTEGER NOT NULL,   -- free slots when it last reported
    started_at  BIGINT NOT NULL,
    seen_at     BIGINT NOT NULL     -- µs; a worker reports every second
);

-- inserts no longer NOTIFY from the trigger: the inserting statement names its workers
DROP TRIGGER runs_created ON runs;
