-- 0006: file contents in the database, so every process on every machine can read
-- every upload. Content-addressed (`sha256:<hex>`), stored in 1 MiB chunks; each
-- process keeps a local cache of the files it has read or written.
CREATE TABLE blobs (
    id          TEXT PRIMARY KEY,
    size        BIGINT NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE blob_chunks (
    blob_id  TEXT NOT NULL REFERENCES blobs(id) ON DELETE CASCADE,
    seq      INTEGER NOT NULL,
    data     BYTEA NOT NULL,
    PRIMARY KEY (blob_id, seq)
);
