-- 0009: which stored files each run refers to, so files no run refers to any more
-- (their runs were pruned) can be deleted. Backfilled from the inputs of existing runs.
CREATE TABLE run_files (
    run_id   TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    blob_id  TEXT NOT NULL,
    PRIMARY KEY (run_id, blob_id)
);
CREATE INDEX run_files_by_blob ON run_files (blob_id);
INSERT OR IGNORE INTO run_files (run_id, blob_id)
    SELECT r.id, j.value FROM runs r, json_tree(r.input) j
    WHERE r.input IS NOT NULL AND j.key = 'fileId' AND j.type = 'text';
