-- outpost-jobs: the tenant of the principal behind an audit record (NULL for staff, the
-- Sensoroni key and anonymous peers), so a customer reading their tenant's audit trail does
-- not see the identities of other tenants' principals that tried to reach their jobs.
ALTER TABLE job_audit ADD COLUMN actor_tenant_id TEXT;
CREATE INDEX IF NOT EXISTS job_audit_tenant_idx ON job_audit (tenant_id, id);
