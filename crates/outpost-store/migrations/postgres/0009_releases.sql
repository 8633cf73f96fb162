-- Issue 22: agent self-update. Release files are stored once, by content (SHA-256), in the
-- database so that every replica serves them; a release names a blob with its platform,
-- version and the release key's signature (made by staff, verified at upload).
CREATE TABLE release_blobs (
    sha256     TEXT PRIMARY KEY,
    size       BIGINT NOT NULL,
    content    BYTEA NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE releases (
    id          TEXT PRIMARY KEY,
    os          TEXT NOT NULL,
    arch        TEXT NOT NULL,
    version     TEXT NOT NULL,
    size        BIGINT NOT NULL,
    sha256      TEXT NOT NULL REFERENCES release_blobs (sha256),
    signature   TEXT NOT NULL,
    uploaded_by TEXT NOT NULL,
    uploaded_at BIGINT NOT NULL,
    UNIQUE (os, arch, version)
);
-- A rollout: a release for a target (one tenant or all), in stages (canary devices, then
-- percentages of the target's devices), advanced when a stage's devices are healthy for
-- healthy_secs, paused when failures reach failure_threshold. canary and percents are JSON.
CREATE TABLE rollouts (
    id                TEXT PRIMARY KEY,
    release_id        TEXT NOT NULL REFERENCES releases (id),
    tenant_id         TEXT,
    canary            TEXT NOT NULL,
    percents          TEXT NOT NULL,
    stage             BIGINT NOT NULL,
    state             TEXT NOT NULL,
    reason            TEXT,
    healthy_secs      BIGINT NOT NULL,
    failure_threshold BIGINT NOT NULL,
    -- Failures before the last resume (not counted against the threshold again).
    failure_base      BIGINT NOT NULL,
    rollback          BIGINT NOT NULL,
    created_by        TEXT NOT NULL,
    created_at        BIGINT NOT NULL,
    stage_started_at  BIGINT NOT NULL
);
-- Each device of a rollout once it was offered the release: assigned, then what it reported.
CREATE TABLE device_updates (
    device_id   TEXT NOT NULL,
    rollout_id  TEXT NOT NULL REFERENCES rollouts (id),
    status      TEXT NOT NULL,
    reason      TEXT,
    assigned_at BIGINT NOT NULL,
    reported_at BIGINT,
    PRIMARY KEY (device_id, rollout_id)
);
-- Every outcome a device reported, for its update history.
CREATE TABLE update_history (
    id         BIGSERIAL PRIMARY KEY,
    device_id  TEXT NOT NULL,
    rollout_id TEXT,
    release_id TEXT NOT NULL,
    version    TEXT NOT NULL,
    outcome    TEXT NOT NULL,
    reason     TEXT,
    at         BIGINT NOT NULL,
    UNIQUE (device_id, release_id, outcome, at)
);
CREATE INDEX update_history_device ON update_history (device_id, at);
