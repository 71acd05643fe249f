-- 0015: uploaded files (the /v1 files API) and resumable http-chunked upload sessions.
-- A file is a tenant's name for a content-addressed blob (`sha256:…`): many files may
-- share one blob, and the blob is kept while a file, a run or a pending chunk refers to it.
CREATE TABLE files (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL,
    blob_id       TEXT NOT NULL,
    filename      TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    size          INTEGER NOT NULL,
    purpose       TEXT,
    created_at    INTEGER NOT NULL
);
CREATE INDEX files_by_blob ON files (blob_id);
CREATE INDEX files_by_age ON files (created_at);
-- One upload of a file too big for a single request: the client PUTs numbered chunks
-- (each stored as a blob), then `complete` joins them into the file `file_id`.
CREATE TABLE file_uploads (
    id               TEXT PRIMARY KEY,
    tenant_id        TEXT NOT NULL,
    file_id          TEXT NOT NULL,
    filename         TEXT NOT NULL,
    content_type     TEXT NOT NULL,
    size             INTEGER NOT NULL,
    purpose          TEXT,
    idempotency_key  TEXT,
    chunk_size       INTEGER NOT NULL,
    chunk_count      INTEGER NOT NULL,
    status           TEXT NOT NULL,
    created_at       INTEGER NOT NULL,
    expires_at       INTEGER NOT NULL
);
CREATE INDEX file_uploads_by_key ON file_uploads (tenant_id, idempotency_key);
CREATE INDEX file_uploads_by_expiry ON file_uploads (expires_at);
CREATE TABLE file_upload_chunks (
    upload_id    TEXT NOT NULL REFERENCES file_uploads(id) ON DELETE CASCADE,
    chunk_index  INTEGER NOT NULL,
    blob_id      TEXT NOT NULL,
    size         INTEGER NOT NULL,
    PRIMARY KEY (upload_id, chunk_index)
);
CREATE INDEX file_upload_chunks_by_blob ON file_upload_chunks (blob_id);
