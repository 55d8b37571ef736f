-- Moderation (SPEC §14): read-only rooms, room bans and mutes, tenant-wide bans, user blocks,
-- reports with their review queue, and the audit log of moderation and admin actions.
-- Expiry times are ISO strings like every timestamp here (they sort as text); NULL = until lifted.
-- An expired row stays until it is replaced or lifted: every read compares expires_at with now.

ALTER TABLE rooms ADD COLUMN read_only INTEGER NOT NULL DEFAULT 0;   -- 1: only the owner and admins send

CREATE TABLE room_bans (
  room_id    TEXT NOT NULL,
  user_id    TEXT NOT NULL,
  tenant_id  TEXT NOT NULL,
  reason     TEXT,
  created_by TEXT NOT NULL,                   -- a user id, or api_key
  created_at TEXT NOT NULL,
  expires_at TEXT,
  PRIMARY KEY (room_id, user_id)
) WITHOUT ROWID;
CREATE INDEX room_bans_by_user ON room_bans (tenant_id, user_id);

CREATE TABLE room_mutes (
  room_id    TEXT NOT NULL,
  user_id    TEXT NOT NULL,
  tenant_id  TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_at TEXT NOT NULL,
  expires_at TEXT,
  PRIMARY KEY (room_id, user_id)
) WITHOUT ROWID;
CREATE INDEX room_mutes_by_user ON room_mutes (tenant_id, user_id);

CREATE TABLE tenant_bans (
  tenant_id  TEXT NOT NULL,
  user_id    TEXT NOT NULL,
  reason     TEXT,
  created_by TEXT NOT NULL,
  created_at TEXT NOT NULL,
  expires_at TEXT,
  PRIMARY KEY (tenant_id, user_id)
) WITHOUT ROWID;

-- user_id blocks blocked_id; a dm is refused when either direction exists.
CREATE TABLE blocks (
  tenant_id  TEXT NOT NULL,
  user_id    TEXT NOT NULL,
  blocked_id TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (tenant_id, user_id, blocked_id)
) WITHOUT ROWID;
CREATE INDEX blocks_by_blocked ON blocks (tenant_id, blocked_id, user_id);
CREATE INDEX blocks_by_time ON blocks (tenant_id, user_id, created_at, blocked_id);

CREATE TABLE reports (
  report_id       TEXT PRIMARY KEY,
  tenant_id       TEXT NOT NULL,
  room_id         TEXT NOT NULL,
  message_id      TEXT,
  user_id         TEXT,                       -- the reported user (the message's sender when a message is named)
  reporter_id     TEXT NOT NULL,
  target_key      TEXT NOT NULL,              -- message_id, or 'user:' + user_id: one open report per reporter and target
  reason          TEXT NOT NULL CHECK (reason IN ('spam', 'abuse', 'other')),
  note            TEXT,
  status          TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
  action          TEXT,
  resolution_note TEXT,
  resolved_at     TEXT,
  created_at      TEXT NOT NULL
);
CREATE UNIQUE INDEX reports_open_once ON reports (tenant_id, reporter_id, room_id, target_key) WHERE status = 'open';
CREATE INDEX reports_queue ON reports (tenant_id, status, created_at, report_id);
CREATE INDEX reports_by_time ON reports (tenant_id, created_at, report_id);

-- Who did what: moderation actions (tenant_id set) and admin actions (tenant_id NULL for backups).
-- data is a JSON object that never holds a secret (services/audit.ts).
CREATE TABLE audit_log (
  audit_id   TEXT PRIMARY KEY,
  tenant_id  TEXT,
  actor      TEXT NOT NULL,                   -- a user id, api_key or admin
  action     TEXT NOT NULL,
  target     TEXT,
  data       TEXT NOT NULL DEFAULT '{}',
  created_at TEXT NOT NULL
);
CREATE INDEX audit_by_tenant ON audit_log (tenant_id, created_at, audit_id);
CREATE INDEX audit_by_time ON audit_log (created_at, audit_id);
