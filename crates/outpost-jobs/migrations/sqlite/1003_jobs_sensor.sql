-- Whether a job is addressed to a Sensoroni node (created through the compatible API, or by
-- /joblookup for a name that is no enrolled device) rather than to an Outpost device. The
-- Sensoroni-compatible API sees, claims, updates and downloads only sensor jobs; devices
-- only the others. Jobs created before this column by the compatible API's principals (the
-- static key's "agent" and anonymous peers) are sensor jobs.
ALTER TABLE jobs ADD COLUMN sensor INTEGER NOT NULL DEFAULT 0;
UPDATE jobs SET sensor = 1 WHERE owner = 'agent' OR owner LIKE 'anonymous@%';
