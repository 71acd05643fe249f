-- 0011: files a run's steps wrote (artifacts), by path within the run. The content is a
-- stored blob; the run also refers to it in run_files, so retention keeps it as long
-- as the run.
CREATE TABLE run_artifacts (
    run_id      TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    path        TEXT NOT NULL,
    blob_id     TEXT NOT NULL,
    name        TEXT NOT NULL,
    mime_type   TEXT NOT NULL,
    size        BIGINT NOT NULL,
    step_name   TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (run_id, path)
);
