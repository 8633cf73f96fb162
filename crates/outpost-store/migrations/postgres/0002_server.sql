-- Issue 6: users and sessions, device check-in and config, hit states and history,
-- suppression rules. Times are Unix milliseconds.

ALTER TABLE devices ADD COLUMN counters TEXT;
ALTER TABLE devices ADD COLUMN reported_config_version TEXT;
-- Desired agent configuration (JSON) and its version; check-in hands it to the agent when the
-- agent reports another version.
ALTER TABLE devices ADD COLUMN config TEXT;
ALTER TABLE devices ADD COLUMN config_version TEXT;
ALTER TABLE devices ADD COLUMN checkin_interval_s BIGINT;
ALTER TABLE devices ADD COLUMN last_checkin_at BIGINT;

-- People who log in to the UI. Passwords are argon2 PHC strings.
CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'technician', 'customer')),
    tenant_id     TEXT REFERENCES tenants(id),
    created_at    BIGINT NOT NULL,
    disabled_at   BIGINT
);

-- UI sessions; only the SHA-256 of the 256-bit session token is kept.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

-- Hit lifecycle: new → acknowledged | suppressed | false_positive (and back to new).
-- `version` increases with every change, for optimistic concurrency across replicas.
ALTER TABLE hits ADD COLUMN state TEXT NOT NULL DEFAULT 'new';
ALTER TABLE hits ADD COLUMN state_changed_at BIGINT;
ALTER TABLE hits ADD COLUMN state_changed_by TEXT;
ALTER TABLE hits ADD COLUMN suppression_id TEXT;
ALTER TABLE hits ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
CREATE INDEX hits_tenant_state ON hits (tenant_id, state, id);
CREATE INDEX hits_sha256 ON hits (sha256);
CREATE INDEX hits_received ON hits (received_at);

CREATE TABLE hit_history (
    id         BIGSERIAL PRIMARY KEY,
    hit_id     BIGINT NOT NULL REFERENCES hits(id) ON DELETE CASCADE,
    tenant_id  TEXT NOT NULL,
    at         BIGINT NOT NULL,
    actor      TEXT NOT NULL,
    from_state TEXT NOT NULL,
    to_state   TEXT NOT NULL,
    note       TEXT
);
CREATE INDEX hit_history_hit ON hit_history (hit_id, id);

-- Suppression rules: every set field must match; unset fields match anything.
CREATE TABLE suppressions (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    device_id    TEXT,
    remote_ip    TEXT,
    process_name TEXT,
    sha256       TEXT,
    reason       TEXT,
    created_by   TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT,
    deleted_at   BIGINT
);
CREATE INDEX suppressions_tenant ON suppressions (tenant_id);
CREATE INDEX devices_config_version ON devices (config_version);
