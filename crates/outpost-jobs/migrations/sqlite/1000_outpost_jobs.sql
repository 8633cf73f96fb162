-- outpost-jobs: job queue, audit trail and Sensoroni-style node registry (SQLite).
CREATE TABLE IF NOT EXISTS jobs (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id        TEXT    NOT NULL,
    device_id        TEXT    NOT NULL,
    kind             TEXT    NOT NULL,
    filter           TEXT    NOT NULL,
    owner            TEXT    NOT NULL,
    status           TEXT    NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    max_attempts     INTEGER NOT NULL,
    fail_count       INTEGER NOT NULL DEFAULT 0,
    failure          TEXT,
    lease_id         TEXT,
    lease_expires_at INTEGER,
    not_before       INTEGER,
    expires_at       INTEGER,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    completed_at     INTEGER,
    failed_at        INTEGER,
    file_extension   TEXT    NOT NULL DEFAULT 'bin',
    result_size      INTEGER,
    result_sha256    TEXT
);
-- Sensoroni numbers jobs from 1001; keep that so ids look familiar to its UI.
INSERT INTO sqlite_sequence (name, seq) SELECT 'jobs', 1000
    WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'jobs');
CREATE INDEX IF NOT EXISTS jobs_claim_idx ON jobs (tenant_id, device_id, status, created_at);
CREATE INDEX IF NOT EXISTS jobs_lease_idx ON jobs (status, lease_expires_at);

CREATE TABLE IF NOT EXISTS job_audit (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at         INTEGER NOT NULL,
    tenant_id  TEXT,
    actor_role TEXT    NOT NULL,
    actor      TEXT    NOT NULL,
    action     TEXT    NOT NULL,
    job_id     INTEGER,
    outcome    TEXT    NOT NULL,
    detail     TEXT
);
CREATE INDEX IF NOT EXISTS job_audit_job_idx ON job_audit (job_id);

CREATE TABLE IF NOT EXISTS job_nodes (
    tenant_id   TEXT    NOT NULL,
    id          TEXT    NOT NULL,
    online_time INTEGER NOT NULL,
    update_time INTEGER NOT NULL,
    epoch_time  INTEGER,
    description TEXT    NOT NULL DEFAULT '',
    address     TEXT    NOT NULL DEFAULT '',
    role        TEXT    NOT NULL DEFAULT '',
    model       TEXT    NOT NULL DEFAULT '',
    version     TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (tenant_id, id)
);
