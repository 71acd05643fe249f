-- 0006: file contents in the database (PostgreSQL, for many machines). The embedded
-- deployment keeps files in <data dir>/blobs, next to its database file: nothing to do.
SELECT 1;
