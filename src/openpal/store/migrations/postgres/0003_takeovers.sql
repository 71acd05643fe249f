-- 0003: how many times a run was taken over from a worker whose lease expired.
ALTER TABLE runs ADD COLUMN takeovers INTEGER NOT NULL DEFAULT 0;
