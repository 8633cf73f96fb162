-- Tenants, keys, devices and hits. Times are Unix milliseconds (INTEGER) in both backends.
CREATE TABLE tenants (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL
);

-- Enrollment keys (bound to a tenant) and admin API keys. Only a SHA-256 of the secret is kept.
CREATE TABLE api_keys (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('enrollment', 'admin', 'technician', 'customer')),
    tenant_id   TEXT REFERENCES tenants(id),
    name        TEXT NOT NULL,
    secret_hash TEXT NOT NULL UNIQUE,
    prefix      TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    revoked_at  BIGINT
);

CREATE TABLE devices (
    id              TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL REFERENCES tenants(id),
    hostname        TEXT NOT NULL,
    os              TEXT,
    agent_version   TEXT,
    token_hash      TEXT NOT NULL UNIQUE,
    enrolled_at     BIGINT NOT NULL,
    last_seen_at    BIGINT,
    hotlist_version TEXT,
    revoked_at      BIGINT
);
CREATE INDEX devices_tenant ON devices (tenant_id);

-- One row per accepted upload: a retried batch id is recognised and stored once.
CREATE TABLE hit_batches (
    device_id   TEXT NOT NULL REFERENCES devices(id),
    batch_id    TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    hit_count   BIGINT NOT NULL,
    PRIMARY KEY (device_id, batch_id)
);

CREATE TABLE hits (
    id              BIGSERIAL PRIMARY KEY,
    tenant_id       TEXT NOT NULL REFERENCES tenants(id),
    device_id       TEXT NOT NULL REFERENCES devices(id),
    batch_id        TEXT NOT NULL,
    hostname        TEXT NOT NULL,
    received_at     BIGINT NOT NULL,
    agent_version   TEXT NOT NULL,
    hotlist_version TEXT NOT NULL,
    remote_ip       TEXT NOT NULL,
    remote_port     BIGINT,
    protocol        TEXT NOT NULL,
    process_name    TEXT NOT NULL,
    pid             BIGINT,
    exe_path        TEXT,
    sha256          TEXT,
    first_seen      BIGINT NOT NULL,
    last_seen       BIGINT NOT NULL,
    hit_count       BIGINT NOT NULL,
    direction       TEXT,
    intel           TEXT,
    sample_events   TEXT NOT NULL
);
CREATE INDEX hits_tenant_time ON hits (tenant_id, first_seen);
CREATE INDEX hits_device ON hits (device_id, id);
CREATE INDEX hits_remote_ip ON hits (remote_ip);
CREATE INDEX hits_process ON hits (process_name);
