-- Issues 9/10: the server scores every hit at ingest (detection engines on its sample events).
-- risk_score is the sum of the indicators' scores; alert = 1 when the score passed the tenant's
-- threshold or a rule asked for an alert. indicators is a JSON array of outpost_core::Indicator.
ALTER TABLE hits ADD COLUMN risk_score INTEGER NOT NULL DEFAULT 0;
ALTER TABLE hits ADD COLUMN indicators TEXT;
ALTER TABLE hits ADD COLUMN alert INTEGER NOT NULL DEFAULT 0;
-- The UI's "highest risk first" order (id breaks ties) and the dashboard's open hits per
-- severity band (index-only range counts).
CREATE INDEX hits_score ON hits (risk_score, id);
CREATE INDEX hits_open_score ON hits (tenant_id, state, risk_score);
CREATE INDEX hits_batch ON hits (device_id, batch_id);
