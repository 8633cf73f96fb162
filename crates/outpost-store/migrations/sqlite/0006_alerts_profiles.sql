-- Issue 9: alerts from scored telemetry with the lifecycle of hits, STIX sightings, learned
-- behaviour profiles shared by every replica, and per-tenant learn mode. Times are Unix ms.

-- An event of full telemetry whose score reached its tenant's threshold (or that a rule
-- flagged). (device_id, batch_id, seq) is the event's place in its upload: a retried batch
-- stores nothing twice.
CREATE TABLE alerts (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id        TEXT NOT NULL REFERENCES tenants(id),
    device_id        TEXT NOT NULL REFERENCES devices(id),
    hostname         TEXT NOT NULL,
    batch_id         TEXT NOT NULL,
    seq              INTEGER NOT NULL,
    created_at       INTEGER NOT NULL,
    event_ts         INTEGER NOT NULL,
    risk_score       INTEGER NOT NULL,
    threshold        INTEGER NOT NULL,
    summary          TEXT NOT NULL,
    rule_names       TEXT NOT NULL,
    indicators       TEXT NOT NULL,
    event            TEXT NOT NULL,
    process_name     TEXT,
    remote_ip        TEXT,
    sha256           TEXT,
    learned          INTEGER NOT NULL DEFAULT 0,
    state            TEXT NOT NULL DEFAULT 'new',
    state_changed_at INTEGER,
    state_changed_by TEXT,
    suppression_id   TEXT,
    version          INTEGER NOT NULL DEFAULT 0,
    UNIQUE (device_id, batch_id, seq)
);
CREATE INDEX alerts_tenant_state ON alerts (tenant_id, state, id);
CREATE INDEX alerts_created ON alerts (created_at);

CREATE TABLE alert_history (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    alert_id   INTEGER NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
    tenant_id  TEXT NOT NULL,
    at         INTEGER NOT NULL,
    actor      TEXT NOT NULL,
    from_state TEXT NOT NULL,
    to_state   TEXT NOT NULL,
    note       TEXT
);
CREATE INDEX alert_history_alert ON alert_history (alert_id, id);

-- A STIX indicator pattern matched an event: the STIX 2.1 sighting (JSON) with its
-- observed-data, linked to the indicator and its attack model, and to the alert it raised.
CREATE TABLE sightings (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id      TEXT NOT NULL REFERENCES tenants(id),
    device_id      TEXT NOT NULL REFERENCES devices(id),
    batch_id       TEXT NOT NULL,
    seq            INTEGER NOT NULL,
    indicator_id   TEXT NOT NULL,
    indicator_name TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    event_ts       INTEGER NOT NULL,
    attack         TEXT NOT NULL,
    sighting       TEXT NOT NULL,
    observed       TEXT NOT NULL,
    alert_id       INTEGER REFERENCES alerts(id) ON DELETE SET NULL,
    UNIQUE (device_id, batch_id, seq, indicator_id)
);
CREATE INDEX sightings_tenant ON sightings (tenant_id, id);
CREATE INDEX sightings_indicator ON sightings (indicator_id, id);

-- Learned behaviour per (tenant, subject). Replicas learn in memory and merge what they
-- learned here (set union); `rev` orders changes so each replica reads only what is new;
-- `epoch` increases on reset so that learning from before the reset is discarded.
CREATE TABLE profiles (
    tenant_id      TEXT NOT NULL REFERENCES tenants(id),
    subject        TEXT NOT NULL,
    epoch          INTEGER NOT NULL DEFAULT 0,
    first_seen     INTEGER,
    learning_until INTEGER,
    data           TEXT NOT NULL,
    events_learned INTEGER NOT NULL DEFAULT 0,
    deviations     INTEGER NOT NULL DEFAULT 0,
    rev            INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, subject)
);
CREATE INDEX profiles_rev ON profiles (rev);
CREATE TABLE profile_rev (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    rev INTEGER NOT NULL
);
INSERT INTO profile_rev (id, rev) VALUES (1, 0);

-- Learn mode per tenant (as puppy-hids' learn): until `learn_until`, would-be alerts are
-- stored as learned (state suppressed) and become whitelist proposals.
CREATE TABLE tenant_learn (
    tenant_id   TEXT PRIMARY KEY REFERENCES tenants(id),
    learn_until INTEGER,
    changed_by  TEXT NOT NULL,
    changed_at  INTEGER NOT NULL
);

-- A suppression may be narrowed to one detection rule (the hit's or alert's indicators must
-- name it): that is what learn mode proposes.
ALTER TABLE suppressions ADD COLUMN rule_name TEXT;
