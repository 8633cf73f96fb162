-- Issues 9/10: the server scores every hit at ingest (detection engines on its sample events).
-- risk_score is the sum of the indicators' scores; alert = 1 when the score passed the tenant's
-- threshold or a rule asked for an alert. indicators is a JSON array of outpost_core::Indicator.
ALTER TABLE hits ADD COLUMN risk_score INTEGER NOT NULL DEFAULT 0;
ALTER TABLE hits ADD COLUMN indicators TEXT;
ALTER TABLE hits ADD COLUMN alert INTEGER NOT NULL DEFAULT 0;
CREATE INDEX hits_tenant_score ON hits (tenant_id, risk_score);
CREATE INDEX hits_batch ON hits (device_id, batch_id);
