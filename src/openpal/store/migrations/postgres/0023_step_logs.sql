-- 0023: what a step's last attempt logged (`ctx.logger`) or printed (stdout/stderr), the
-- last 64 KiB of it, as a JSON list of {at, stream, level?, text}; retried attempts keep
-- theirs in their step.retry event. NULL: it said nothing.
ALTER TABLE step_executions ADD COLUMN logs TEXT;
