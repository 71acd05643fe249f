-- 0020: the NOTIFY announcing a held run's end carries the finished row as JSON (when it
-- fits in a notification: PostgreSQL's limit is 8000 bytes; else just the run id), so the
-- API process holding the request answers without reading the run again.
CREATE OR REPLACE FUNCTION openpal_run_event() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    payload TEXT;
BEGIN
    IF NEW.status = 'pending' THEN
        PERFORM pg_notify('openpal_work', '');
    ELSIF NEW.status IN ('completed', 'failed', 'cancelled', 'rejected') THEN
        IF NEW.held_by IS NOT NULL THEN
            payload := row_to_json(NEW)::text;
            IF octet_length(payload) > 7900 THEN
                payload := NEW.id;
            END IF;
            PERFORM pg_notify('openpal_finished_' || NEW.held_by, payload);
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
