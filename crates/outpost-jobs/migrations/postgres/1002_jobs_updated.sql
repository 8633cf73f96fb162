-- The UI's live job updates poll the newest change (MAX(updated_at)) of a tenant's jobs, or of
-- all jobs for staff: one index seek each.
CREATE INDEX IF NOT EXISTS jobs_tenant_updated_idx ON jobs (tenant_id, updated_at);
CREATE INDEX IF NOT EXISTS jobs_updated_idx ON jobs (updated_at);
