-- Issue 21: hits of every indicator kind (ip, domain, domain_suffix, sha256, sha1, md5,
-- process_name, process_path). `kind` and `indicator` (the matched value; NULL for address
-- hits, which match on remote_ip) make "the same indicator on other devices" a query;
-- `domain` is the queried name of a DNS hit or the name a connection's address was answered
-- for. `remote_ip` stays NOT NULL (SQLite cannot drop the constraint without rebuilding the
-- table): a hit that is not about an address stores '' there, which the store reads as none.
ALTER TABLE hits ADD COLUMN kind TEXT NOT NULL DEFAULT 'ip';
ALTER TABLE hits ADD COLUMN indicator TEXT;
ALTER TABLE hits ADD COLUMN domain TEXT;
CREATE INDEX hits_indicator ON hits (tenant_id, kind, indicator);
