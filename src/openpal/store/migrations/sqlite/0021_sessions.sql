-- 0021: revocable API keys and server-side dashboard sessions. A revoked key stays
-- listed (`revoked_at` set) and authenticates nothing; a session row holds only the
-- hash of the random id its cookie carries.
ALTER TABLE api_keys ADD COLUMN revoked_at INTEGER;

CREATE TABLE sessions (
    id_hash     TEXT PRIMARY KEY,
    key_id      TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX sessions_key ON sessions (key_id);
