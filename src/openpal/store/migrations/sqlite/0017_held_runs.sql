-- 0017: the process holding a request for a run (see the PostgreSQL migration: its
-- end is announced only there). One process shares a SQLite file's events in memory,
-- so this store never sets it; the column keeps both schemas alike.
ALTER TABLE runs ADD COLUMN held_by TEXT;
