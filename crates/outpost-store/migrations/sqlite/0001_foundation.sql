-- Tenants, keys, devices and hits. Times are Unix milliseconds (INTEGER) in both backends.
CREATE TABLE tenants (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL
);

-- Enrollment keys (bound to a tenant) and admin API keys. Only a SHA-256 of the secret is kept.
CREATE TABLE api_keys (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('enrollment', 'admin', 'technician', 'customer')),
    tenant_id   TEXT REFERENCES tenants(id),
    name        TEXT NOT NULL,
    secret_hash TEXT NOT NULL UNIQUE,
    prefix      TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);

CREATE TABLE devices (
    id              TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL REFERENCES tenants(id),
    hostname        TEXT NOT NULL,
    os              TEXT,
    agent_version   TEXT,
    token_hash      TEXT NOT NULL UNIQUE,
    enrolled_at     INTEGER NOT NULL,
    last_seen_at    INTEGER,
    hotlist_version TEXT,
    revoked_at      INTEGER
);
CREATE INDEX devices_tenant ON devices (tenant_id);

-- One row per accepted upload: a retried batch id is recognised and stored once.
CREATE TABLE hit_batches (
    device_id   TEXT NOT NULL REFERENCES devices(id),
    batch_id    TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    hit_count   INTEGER NOT NULL,
    PRIMARY KEY (device_id, batch_id)
);

CREATE TABLE hits (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id       TEXT NOT NULL REFERENCES tenants(id),
    device_id       TEXT NOT NULL REFERENCES devices(id),
    batch_id        TEXT NOT NULL,
    hostname        TEXT NOT NULL,
    received_at     INTEGER NOT NULL,
    agent_version   TEXT NOT NULL,
    hotlist_version TEXT NOT NULL,
    remote_ip       TEXT NOT NULL,
    remote_port     INTEGER,
    protocol        TEXT NOT NULL,
    process_name    TEXT NOT NULL,
    pid             INTEGER,
    exe_path        TEXT,
    sha256          TEXT,
    first_seen      INTEGER NOT NULL,
    last_seen       INTEGER NOT NULL,
    hit_count       INTEGER NOT NULL,
    direction       TEXT,
    intel           TEXT,
    sample_events   TEXT NOT NULL
);
CREATE INDEX hits_tenant_time ON hits (tenant_id, first_seen);
CREATE INDEX hits_device ON hits (device_id, id);
CREATE INDEX hits_remote_ip ON hits (remote_ip);
CREATE INDEX hits_process ON hits (process_name);
