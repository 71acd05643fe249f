-- 0001: runs, steps, workflows and their versions, API keys.
-- Same tables and columns as migrations/sqlite/0001_init.sql: times are BIGINT
-- microseconds since the epoch, JSON documents are TEXT (decoded by openpal).
CREATE TABLE api_keys (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL,
    name        TEXT NOT NULL,
    key_hash    TEXT NOT NULL UNIQUE,
    prefix      TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE workflows (
    id                  TEXT PRIMARY KEY,
    slug                TEXT NOT NULL UNIQUE,
    name                TEXT,
    description         TEXT,
    kind                TEXT NOT NULL DEFAULT 'workflow',
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL,
    current_version_id  TEXT
);

CREATE TABLE workflow_versions (
    id             TEXT PRIMARY KEY,
    workflow_id    TEXT NOT NULL REFERENCES workflows(id),
    seq            INTEGER NOT NULL,
    version_label  TEXT,
    content_hash   TEXT NOT NULL,
    yaml_content   TEXT NOT NULL,
    source_path    TEXT,
    created_at     BIGINT NOT NULL,
    UNIQUE (workflow_id, content_hash),
    UNIQUE (workflow_id, seq)
);

CREATE TABLE runs (
    id                     TEXT PRIMARY KEY,
    tenant_id              TEXT NOT NULL,
    type                   TEXT NOT NULL DEFAULT 'workflow',
    workflow_id            TEXT NOT NULL,
    workflow_slug          TEXT NOT NULL,
    workflow_name          TEXT,
    version_id             TEXT NOT NULL,
    version_label          TEXT,
    status                 TEXT NOT NULL,
    trigger_type           TEXT,
    input                  TEXT,
    output                 TEXT,
    overrides              TEXT,
    error                  TEXT,
    schema_valid           BOOLEAN,
    previous_execution_id  TEXT,
    retry_number           INTEGER NOT NULL DEFAULT 0,
    batch_id               TEXT,
    created_at             BIGINT NOT NULL,
    started_at             BIGINT,
    completed_at           BIGINT,
    updated_at             BIGINT NOT NULL,
    cancel_requested_at    BIGINT,
    next_step              INTEGER NOT NULL DEFAULT 0,
    step_started_at        BIGINT,
    attempt                INTEGER NOT NULL DEFAULT 0,
    fencing_token          BIGINT NOT NULL DEFAULT 0,
    lease_owner            TEXT,
    lease_expires_at       BIGINT
);

-- GET /runs: newest first, per tenant; by source; by status; by both.
CREATE INDEX runs_by_created ON runs (tenant_id, created_at DESC, id DESC);
CREATE INDEX runs_by_source ON runs (tenant_id, workflow_id, created_at DESC, id DESC);
CREATE INDEX runs_by_status ON runs (tenant_id, status, created_at DESC, id DESC);
CREATE INDEX runs_by_source_status ON runs (tenant_id, workflow_id, status, created_at DESC, id DESC);
-- The work queue and the expired-lease sweep only ever touch a few rows.
CREATE INDEX runs_queue ON runs (created_at) WHERE status = 'pending';
CREATE INDEX runs_leased ON runs (lease_expires_at) WHERE status IN ('running', 'finalizing');

CREATE TABLE step_executions (
    run_id        TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    step_index    INTEGER NOT NULL,
    step_name     TEXT NOT NULL,
    status        TEXT NOT NULL,
    output        TEXT,
    error         TEXT,
    attempts      INTEGER NOT NULL DEFAULT 1,
    started_at    BIGINT,
    completed_at  BIGINT,
    PRIMARY KEY (run_id, step_index)
);
