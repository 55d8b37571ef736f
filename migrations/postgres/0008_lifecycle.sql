-- The data lifecycle (SPEC §15): deleted rooms and tenants, and the jobs that remove their data in
-- the background and resume after a restart (rooms.first_seq, which retention moves up, is 0004's).
-- Same meaning as migrations/sqlite/0006_lifecycle.sql; with N instances a job is leased
-- (lease_until) by the one instance that runs its steps.

ALTER TABLE rooms ADD COLUMN deleted_at TEXT;
ALTER TABLE tenants ADD COLUMN deleted_at TEXT;

-- rooms_by_tenant exists since 0001 (tenant_id); the id order makes it a keyset walk.
DROP INDEX rooms_by_tenant;
CREATE INDEX rooms_by_tenant ON rooms (tenant_id, room_id);
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

CREATE TABLE jobs (
  job_id      TEXT COLLATE "C" PRIMARY KEY,
  tenant_id   TEXT COLLATE "C" NOT NULL,
  kind        TEXT NOT NULL CHECK (kind IN ('room.delete', 'user.erase', 'tenant.delete')),
  target      TEXT COLLATE "C" NOT NULL,
  status      TEXT NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'done', 'failed')),
  done        BIGINT NOT NULL DEFAULT 0,
  total       BIGINT NOT NULL DEFAULT 0,
  cursor      TEXT,
  error       TEXT,
  created_at  TEXT COLLATE "C" NOT NULL,
  finished_at TEXT,
  lease_until BIGINT
);
CREATE INDEX jobs_running ON jobs (created_at) WHERE status = 'running';
CREATE INDEX jobs_by_tenant ON jobs (tenant_id);
