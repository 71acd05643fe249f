-- 0021: revocable API keys and server-side dashboard sessions. A revoked key stays
-- listed (`revoked_at` set) and authenticates nothing; a session row holds only the
-- hash of the random id its cookie carries. A change to `api_keys` is announced on
-- `openpal_catalog` (0019's function), so API processes drop the keys they remember.
ALTER TABLE api_keys ADD COLUMN revoked_at BIGINT;

CREATE TABLE sessions (
    id_hash     TEXT PRIMARY KEY,
    key_id      TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX sessions_key ON sessions (key_id);

CREATE TRIGGER api_keys_changed AFTER UPDATE OR DELETE ON api_keys
    FOR EACH STATEMENT EXECUTE FUNCTION openpal_catalog_event();
