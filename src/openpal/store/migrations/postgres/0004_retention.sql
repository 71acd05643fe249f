-- 0004: the retention sweep finds finished runs by completion time.
CREATE INDEX runs_completed ON runs (completed_at) WHERE completed_at IS NOT NULL;
