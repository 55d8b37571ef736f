-- The data lifecycle (SPEC §15): deleted rooms and tenants, and the jobs that remove their data in
-- the background and resume after a restart. (rooms.first_seq, which retention moves up, is 0004's.)

-- Set when the room is deleted: from then on it is invisible (404) while a job removes its rows.
ALTER TABLE rooms ADD COLUMN deleted_at TEXT;
-- Set when the tenant is deleted: its keys and tokens stop working at once; a job removes the rest.
ALTER TABLE tenants ADD COLUMN deleted_at TEXT;

-- A tenant's rooms in id order (retention passes, tenant deletion, user erasure and export walk them).
CREATE INDEX rooms_by_tenant ON rooms (tenant_id, room_id);
-- Tenant deletion removes these by tenant in bounded batches.
CREATE INDEX notifications_by_tenant ON notifications (tenant_id);
CREATE INDEX deliveries_by_tenant ON deliveries (tenant_id);
-- A room's mention rows (its messages go in seq ranges: retention, room and tenant deletes), and a
-- user's reactions (an erasure removes them, an export lists them).
CREATE INDEX mentions_by_room ON mentions (room_id, seq);
CREATE INDEX reactions_by_user ON reactions (tenant_id, user_id, room_id, seq, key);
-- A user's uploads (an erasure dooms them, an export lists them) and a tenant's (its delete dooms them).
CREATE INDEX uploads_by_uploader ON uploads (tenant_id, uploader_id, upload_id);
-- Moderation rows (0006): a room's reports go with the room; the reports a user filed or that
-- name them go with an erasure (the room's bans and mutes have their primary key, a user's theirs).
CREATE INDEX reports_by_room ON reports (room_id);
CREATE INDEX reports_by_reporter ON reports (tenant_id, reporter_id);
CREATE INDEX reports_by_user ON reports (tenant_id, user_id);

-- Background jobs: room deletes, user erasures, tenant deletes. Each step of a job is one
-- transaction that removes a bounded batch of rows AND records how far the job got (done, cursor),
-- so a job killed mid-way resumes exactly where its last committed step ended.
CREATE TABLE jobs (
  job_id      TEXT PRIMARY KEY,
  tenant_id   TEXT NOT NULL,
  kind        TEXT NOT NULL CHECK (kind IN ('room.delete', 'user.erase', 'tenant.delete')),
  target      TEXT NOT NULL,                 -- the room, user or tenant id
  status      TEXT NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'done', 'failed')),
  done        INTEGER NOT NULL DEFAULT 0,    -- progress: units finished of `total`
  total       INTEGER NOT NULL DEFAULT 0,
  cursor      TEXT,                          -- JSON: where the next step starts
  error       TEXT,
  created_at  TEXT NOT NULL,
  finished_at TEXT,
  lease_until INTEGER                        -- epoch ms; the instance running the job holds it until then
);
CREATE INDEX jobs_running ON jobs (created_at) WHERE status = 'running';
CREATE INDEX jobs_by_tenant ON jobs (tenant_id);
