-- 0005: run events for other processes, sent by the database itself (LISTEN openpal).
-- Payloads: 'work:' (a run became pending), 'finished:<run id>' (a run reached a
-- terminal status), 'cancel:<run id>' (a cancel was stamped on a run a worker holds).
-- Sent at COMMIT, so a listener never hears of a change it cannot yet read.
CREATE FUNCTION openpal_run_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = 'pending' THEN
        PERFORM pg_notify('openpal', 'work:');
    ELSIF NEW.status IN ('completed', 'failed', 'cancelled', 'rejected') THEN
        PERFORM pg_notify('openpal', 'finished:' || NEW.id);
    ELSIF TG_OP = 'UPDATE' THEN
        IF NEW.cancel_requested_at IS NOT NULL AND OLD.cancel_requested_at IS NULL THEN
            PERFORM pg_notify('openpal', 'cancel:' || NEW.id);
        END IF;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER runs_created AFTER INSERT ON runs
    FOR EACH ROW WHEN (NEW.status = 'pending')
    EXECUTE FUNCTION openpal_run_event();

CREATE TRIGGER runs_changed AFTER UPDATE ON runs
    FOR EACH ROW WHEN (
        NEW.status IS DISTINCT FROM OLD.status
        OR (NEW.cancel_requested_at IS NOT NULL AND OLD.cancel_requested_at IS NULL)
    )
    EXECUTE FUNCTION openpal_run_event();
