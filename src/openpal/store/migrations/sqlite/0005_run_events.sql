-- 0005: run events for other processes. PostgreSQL sends them with a trigger and
-- NOTIFY; SQLite has no such channel (one process is its topology; other processes
-- on the same file find work and finished runs by their slow safety polls), so
-- this step only keeps both backends on one numbered sequence.
SELECT 1;
