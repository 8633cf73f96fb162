-- Issue 5: per-tenant intel and allowlists (added to the global feeds in the tenant's signed
-- bundle), a per-tenant revision that invalidates cached bundles on every replica, and the
-- agent's reported bundle state. Times are Unix milliseconds.

CREATE TABLE tenant_indicators (
    id         TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL REFERENCES tenants(id),
    kind       TEXT NOT NULL,
    value      TEXT NOT NULL,
    score      INTEGER,
    source     TEXT,
    expires_at INTEGER,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (tenant_id, kind, value)
);

CREATE TABLE tenant_allowlist (
    id         TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL REFERENCES tenants(id),
    network    TEXT NOT NULL,
    reason     TEXT,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (tenant_id, network)
);

-- Bumped in the same transaction as every change of a tenant's indicators or allowlist.
CREATE TABLE intel_revisions (
    tenant_id  TEXT PRIMARY KEY REFERENCES tenants(id),
    revision   INTEGER NOT NULL,
    changed_at INTEGER NOT NULL
);

-- JSON of the agent's IntelStatus from its last check-in.
ALTER TABLE devices ADD COLUMN intel_status TEXT;
