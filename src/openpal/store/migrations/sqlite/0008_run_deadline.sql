-- 0008: a run may carry its own deadline (seconds from its start), overriding the
-- workflow's `timeout_seconds`.
ALTER TABLE runs ADD COLUMN deadline_seconds REAL;
