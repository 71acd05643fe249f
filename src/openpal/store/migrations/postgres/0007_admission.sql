-- 0007: admission control. A run of a workflow with `concurrency:` carries its group
-- ("<workflow id>/<key>") and the limit it was admitted under.
ALTER TABLE runs ADD COLUMN concurrency_key TEXT;
ALTER TABLE runs ADD COLUMN concurrency_limit INTEGER;
CREATE INDEX runs_by_concurrency ON runs (concurrency_key, status) WHERE concurrency_key IS NOT NULL;

-- A limited run that finishes frees a slot in its group: wake the workers, as for new work.
CREATE OR REPLACE FUNCTION openpal_run_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = 'pending' THEN
        PERFORM pg_notify('openpal', 'work:');
    ELSIF NEW.status IN ('completed', 'failed', 'cancelled', 'rejected') THEN
        PERFORM pg_notify('openpal', 'finished:' || NEW.id);
        IF NEW.concurrency_key IS NOT NULL THEN
            PERFORM pg_notify('openpal', 'work:');
        END IF;
    ELSIF TG_OP = 'UPDATE' THEN
        IF NEW.cancel_requested_at IS NOT NULL AND OLD.cancel_requested_at IS NULL THEN
            PERFORM pg_notify('openpal', 'cancel:' || NEW.id);
        END IF;
    END IF;
    RETURN NULL;
END
$$;
