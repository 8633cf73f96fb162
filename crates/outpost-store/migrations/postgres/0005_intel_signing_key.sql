-- Issue 5: the public half of the intel bundle signing key, recorded by the first server that
-- starts on this database. Agents pin that key, so every replica sharing the database must
-- sign with the same key; a server whose key differs refuses to start. One row (id = 1).
-- Rotating the key: stop every replica, give them the new key, delete this row, start them.
CREATE TABLE intel_signing_key (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    public_key TEXT NOT NULL,
    key_id TEXT NOT NULL,
    recorded_at BIGINT NOT NULL
);
