-- 0012: one NOTIFY channel per event kind, and room for in-page (HOT) run updates.
-- Channels: openpal_work (payload empty: a run became pending, or a limited run
-- finished and freed a slot), openpal_finished (run id: a terminal status),
-- openpal_cancel (run id: a cancel stamped on a run a worker holds). A process
-- LISTENs only to the kinds it acts on: API processes to finished, workers to work
-- and cancel, so no process wakes for events it would drop.
CREATE OR REPLACE FUNCTION openpal_run_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = 'pending' THEN
        PERFORM pg_notify('openpal_work', '');
    ELSIF NEW.status IN ('completed', 'failed', 'cancelled', 'rejected') THEN
        PERFORM pg_notify('openpal_finished', NEW.id);
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

-- A checkpoint changes no indexed column, so PostgreSQL can write the new row version
-- into the same page without touching the ten indexes of runs, if the page has room.
ALTER TABLE runs SET (fillfactor = 70);
