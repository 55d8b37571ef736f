-- Tenants, rooms, members and messages: the core of SPEC §1-§4.

CREATE TABLE tenants (
  tenant_id         TEXT PRIMARY KEY,
  name              TEXT NOT NULL,
  api_key_hash      TEXT NOT NULL UNIQUE,      -- sha256 hex of the key; the key itself is never stored
  webhook_secret    TEXT NOT NULL,             -- needed in clear to sign webhooks
  user_token_secret TEXT NOT NULL,             -- needed in clear to verify user tokens
  config            TEXT NOT NULL DEFAULT '{}',
  created_at        TEXT NOT NULL
);

CREATE TABLE rooms (
  room_id          TEXT PRIMARY KEY,
  tenant_id        TEXT NOT NULL REFERENCES tenants(tenant_id),
  type             TEXT NOT NULL CHECK (type IN ('dm', 'group', 'channel')),
  name             TEXT,
  metadata         TEXT,
  unique_key       TEXT,
  last_seq         INTEGER NOT NULL DEFAULT 0,
  member_count     INTEGER NOT NULL DEFAULT 0,
  created_at       TEXT NOT NULL,
  last_activity_at TEXT NOT NULL                -- created_at, then each message's created_at
);
CREATE UNIQUE INDEX rooms_unique_key ON rooms (tenant_id, unique_key) WHERE unique_key IS NOT NULL;
CREATE INDEX rooms_channels ON rooms (tenant_id, created_at, room_id) WHERE type = 'channel';

CREATE TABLE members (
  room_id    TEXT NOT NULL REFERENCES rooms(room_id),
  user_id    TEXT NOT NULL,
  tenant_id  TEXT NOT NULL,
  role       TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
  joined_at  TEXT NOT NULL,
  last_ack   INTEGER NOT NULL DEFAULT 0,
  last_read  INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (room_id, user_id)
) WITHOUT ROWID;
CREATE INDEX members_by_user ON members (tenant_id, user_id);
CREATE INDEX members_by_join ON members (room_id, joined_at, user_id);

-- Clustered by (room_id, seq): a history page is a contiguous range (PERF-NOTES §1).
CREATE TABLE messages (
  room_id       TEXT NOT NULL,
  seq           INTEGER NOT NULL,
  message_id    TEXT NOT NULL UNIQUE,
  tenant_id     TEXT NOT NULL,
  sender_id     TEXT NOT NULL,
  content       TEXT NOT NULL,
  meta          TEXT,
  client_msg_id TEXT,
  created_at    TEXT NOT NULL,
  edited_at     TEXT,
  deleted_at    TEXT,
  PRIMARY KEY (room_id, seq)
) WITHOUT ROWID;
CREATE UNIQUE INDEX messages_client_id ON messages (room_id, sender_id, client_msg_id) WHERE client_msg_id IS NOT NULL;

-- A single row holding values that belong to the database file itself (the epoch, SPEC §6).
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
