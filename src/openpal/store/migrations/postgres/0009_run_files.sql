-- 0009: which stored files each run refers to, so files no run refers to any more
-- (their runs were pruned) can be deleted. Backfilled from the inputs of existing runs.
CREATE TABLE run_files (
    run_id   TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    blob_id  TEXT NOT NULL,
    PRIMARY KEY (run_id, blob_id)
);
CREATE INDEX run_files_by_blob ON run_files (blob_id);
INSERT INTO run_files (run_id, blob_id)
    SELECT r.id, v #>> '{}' FROM runs r, jsonb_path_query(r.input::jsonb, 'strict $.**.fileId') v
    WHERE r.input IS NOT NULL AND jsonb_typeof(v) = 'string'
    ON CONFLICT DO NOTHING;
