-- Insertion order as the tie-breaker of the lists ordered by created_at (tenants, pending
-- notifications, reports, the audit log): rows of one millisecond follow their rowid, not their random
-- id, and a page's cursor carries (created_at, rowid). These tables have a rowid already, and an index
-- ends with it implicitly, so the indexes drop their id column (PostgreSQL adds a column `ord` instead,
-- its migration 0009). A VACUUM may renumber rowids but keeps their order.
DROP INDEX reports_queue;
DROP INDEX reports_by_time;
DROP INDEX audit_by_tenant;
DROP INDEX audit_by_time;
CREATE INDEX reports_queue ON reports (tenant_id, status, created_at);
CREATE INDEX reports_by_time ON reports (tenant_id, created_at);
CREATE INDEX audit_by_tenant ON audit_log (tenant_id, created_at);
CREATE INDEX audit_by_time ON audit_log (created_at);
