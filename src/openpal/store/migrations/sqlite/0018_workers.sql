-- 0018: worker processes announce themselves (see the PostgreSQL migration: new work
-- wakes one of them). One SQLite process wakes its own workers in memory, so this store
-- does not write it; the table keeps both schemas alike.
CREATE TABLE workers (
    id          TEXT PRIMARY KEY,
    channel     TEXT NOT NULL,
    slots       INTEGER NOT NULL,
    free        INTEGER NOT NULL,
    started_at  INTEGER NOT NULL,
    seen_at     INTEGER NOT NULL
);
