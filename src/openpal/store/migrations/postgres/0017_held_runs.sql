-- 0017: a run's end is announced only to the processes holding a request for it.
-- `held_by` names the process (its listener id) that holds a request for the run,
-- or 'all' once requests in two processes hold it; NULL: nobody holds it, so its end
-- is announced to nobody. Every API process used to hear (and decode) the end of
-- every run; each NOTIFY also wakes every listening backend of the database.
ALTER TABLE runs ADD COLUMN held_by TEXT;

CREATE OR REPLACE FUNCTION openpal_run_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = 'pending' THEN
        PERFORM pg_notify('openpal_work', '');
    ELSIF NEW.status IN ('completed', 'failed', 'cancelled', 'rejected') THEN
        IF NEW.held_by IS NOT NULL THEN
            PERFORM pg_notify('openpal_finished_' || NEW.held_by, NEW.id);
        END IF;
        IF NEW.concurrency_key IS NOT NULL THEN
            PERFORM pg_notify('openpal_work', '');
        END IF;
    ELSIF TG_OP = 'UPDATE' THEN
        IF NEW.cancel_requested_at IS NOT NULL AND OLD.cancel_requested_at IS NULL THEN
            PERFORM pg_notify('openpal_cancel', NEW.id);
        END IF;
    END IF;
    RETURN NULL;
END
$$;
