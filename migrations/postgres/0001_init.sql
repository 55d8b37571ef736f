-- Tenants, rooms, members and messages: the core of SPEC §1-§4. The same tables, columns and
-- meaning as migrations/sqlite/0001_init.sql, so `chatapi copy-db` copies row for row and both
-- stores return equal rows:
-- - timestamps are TEXT (ISO strings with milliseconds, exactly what the application wrote);
-- - every text column that is compared or sorted is COLLATE "C" (byte order, like SQLite's BINARY),
--   so cursors and orderings do not depend on the database's locale;
-- - INTEGER (int4) columns come back as JS numbers; epoch-millisecond columns are BIGINT and the
--   store converts them to numbers.

CREATE TABLE tenants (
  tenant_id         TEXT COLLATE "C" PRIMARY KEY,
  name              TEXT NOT NULL,
  api_key_hash      TEXT COLLATE "C" NOT NULL UNIQUE,   -- sha256 hex of the key; the key itself is never stored
  webhook_secret    TEXT NOT NULL,                      -- needed in clear to sign webhooks
  user_token_secret TEXT NOT NULL,                      -- needed in clear to verify user tokens
  config            TEXT NOT NULL DEFAULT '{}',
  created_at        TEXT COLLATE "C" NOT NULL
);

CREATE TABLE rooms (
  room_id          TEXT COLLATE "C" PRIMARY KEY,
  tenant_id        TEXT COLLATE "C" NOT NULL REFERENCES tenants(tenant_id),
  type             TEXT NOT NULL CHECK (type IN ('dm', 'group', 'channel')),
  name             TEXT,
  metadata         TEXT,
  unique_key       TEXT COLLATE "C",
  last_seq         INTEGER NOT NULL DEFAULT 0,
  member_count     INTEGER NOT NULL DEFAULT 0,
  created_at       TEXT COLLATE "C" NOT NULL,
  last_activity_at TEXT COLLATE "C" NOT NULL     -- created_at, then each message's created_at (plus an ordering suffix)
);
CREATE UNIQUE INDEX rooms_unique_key ON rooms (tenant_id, unique_key) WHERE unique_key IS NOT NULL;
CREATE INDEX rooms_channels ON rooms (tenant_id, created_at, room_id) WHERE type = 'channel';
CREATE INDEX rooms_by_tenant ON rooms (tenant_id);

-- The counter of room activity keys (db/postgres/activity.ts): one for every instance, so events in
-- the same millisecond order the same way whichever instance wrote them. Cycles like the SQLite
-- store's in-process counter (12 digits).
CREATE SEQUENCE activity_keys MAXVALUE 999999999999 CYCLE;

CREATE TABLE members (
  room_id    TEXT COLLATE "C" NOT NULL REFERENCES rooms(room_id),
  user_id    TEXT COLLATE "C" NOT NULL,
  tenant_id  TEXT COLLATE "C" NOT NULL,
  role       TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
  joined_at  TEXT COLLATE "C" NOT NULL,
  last_ack   INTEGER NOT NULL DEFAULT 0,
  last_read  INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (room_id, user_id)
);
CREATE INDEX members_by_user ON members (tenant_id, user_id);
CREATE INDEX members_by_join ON members (room_id, joined_at, user_id);

-- A history page is a contiguous range of the primary key (room_id, seq) (PERF-NOTES §1).
CREATE TABLE messages (
  room_id       TEXT COLLATE "C" NOT NULL,
  seq           INTEGER NOT NULL,
  message_id    TEXT COLLATE "C" NOT NULL UNIQUE,
  tenant_id     TEXT COLLATE "C" NOT NULL,
  sender_id     TEXT COLLATE "C" NOT NULL,
  content       TEXT NOT NULL,
  meta          TEXT,
  client_msg_id TEXT COLLATE "C",
  created_at    TEXT COLLATE "C" NOT NULL,
  edited_at     TEXT,
  deleted_at    TEXT,
  PRIMARY KEY (room_id, seq)
);
-- Idempotent sends across instances: a second INSERT with the same key fails (or waits for the
-- first writer's transaction, then fails), and the store returns the original row.
CREATE UNIQUE INDEX messages_client_id ON messages (room_id, sender_id, client_msg_id) WHERE client_msg_id IS NOT NULL;

-- Values that belong to the database itself (the epoch, SPEC §6).
CREATE TABLE meta (
  key   TEXT COLLATE "C" PRIMARY KEY,
  value TEXT NOT NULL
);
