-- Attack models (STIX intrusion sets, attack patterns as ordered steps, indicators)
-- stored per tenant or globally (scope ''), from the upload API or `[detect] stix_dir` files.
-- A model is keyed by (scope, bundle_id): uploading the same bundle again replaces it.
-- Times are Unix ms.
CREATE TABLE attack_models (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    scope       TEXT NOT NULL,
    tenant_id   TEXT REFERENCES tenants(id),
    bundle_id   TEXT NOT NULL,
    name        TEXT NOT NULL,
    source      TEXT NOT NULL,
    origin      TEXT NOT NULL,
    bundle      TEXT NOT NULL,
    graph       TEXT NOT NULL,
    warnings    TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    UNIQUE (scope, bundle_id)
);

-- Which step each indicator of a model indicates: a sighting (of an indicator) links to its
-- step through this table.
CREATE TABLE attack_model_indicators (
    model_id     INTEGER NOT NULL REFERENCES attack_models(id) ON DELETE CASCADE,
    indicator_id TEXT NOT NULL,
    step_id      TEXT NOT NULL,
    PRIMARY KEY (model_id, indicator_id, step_id)
);
CREATE INDEX attack_model_indicators_indicator ON attack_model_indicators (indicator_id);
