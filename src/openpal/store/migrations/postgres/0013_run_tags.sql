-- 0013: the caller's tags and metadata on runs (the /v1 generation). `tags` and
-- `metadata` keep what the caller sent (JSON); run_tags indexes each tag so
-- `GET /v1/runs?tag=` is an index range, newest first, like the other list filters.
ALTER TABLE runs ADD COLUMN tags TEXT;
ALTER TABLE runs ADD COLUMN metadata TEXT;
CREATE TABLE run_tags (
    run_id      TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    tenant_id   TEXT NOT NULL,
    tag         TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (run_id, tag)
);
CREATE INDEX run_tags_by_tag ON run_tags (tenant_id, tag, created_at DESC, run_id DESC);
