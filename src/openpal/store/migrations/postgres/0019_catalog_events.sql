-- 0019: a change to any workflow (its current version, name, deletion) is announced on
-- `openpal_catalog`, so API processes may keep workflow records in memory: a run start
-- resolved its target with a read of `workflows` every time, now only after a change.
CREATE FUNCTION openpal_catalog_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('openpal_catalog', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER workflows_changed AFTER INSERT OR UPDATE OR DELETE ON workflows
    FOR EACH STATEMENT EXECUTE FUNCTION openpal_catalog_event();
