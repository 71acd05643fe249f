-- 0007: admission control. A run of a workflow with `concurrency:` carries its group
-- ("<workflow id>/<key>") and the limit it was admitted under.
ALTER TABLE runs ADD COLUMN concurrency_key TEXT;
ALTER TABLE runs ADD COLUMN concurrency_limit INTEGER;
CREATE INDEX runs_by_concurrency ON runs (concurrency_key, status) WHERE concurrency_key IS NOT NULL;
