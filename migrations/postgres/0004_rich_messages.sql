-- Rich messages and the room change feed (SPEC §11). Same tables, columns and meaning as
-- migrations/sqlite/0004_rich_messages.sql (see there), with the conventions of 0001_init.sql:
-- compared or sorted text is COLLATE "C", timestamps are TEXT.

ALTER TABLE rooms ADD COLUMN last_rev INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rooms ADD COLUMN first_seq INTEGER NOT NULL DEFAULT 1;

ALTER TABLE messages ADD COLUMN rev INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN parent_id TEXT COLLATE "C";
ALTER TABLE messages ADD COLUMN reply_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN last_reply_at TEXT;
ALTER TABLE messages ADD COLUMN mentions TEXT;
ALTER TABLE messages ADD COLUMN reactions TEXT;
ALTER TABLE messages ADD COLUMN pinned_at TEXT;
ALTER TABLE messages ADD COLUMN pinned_by TEXT;
ALTER TABLE messages ADD COLUMN pin_rev INTEGER;
ALTER TABLE messages ADD COLUMN last_change TEXT;

CREATE INDEX messages_changes ON messages (room_id, rev) WHERE rev > 0;
CREATE INDEX messages_replies ON messages (room_id, parent_id, seq) WHERE parent_id IS NOT NULL;
CREATE INDEX messages_pins ON messages (room_id, pin_rev) WHERE pin_rev IS NOT NULL;

CREATE TABLE reactions (
  room_id    TEXT COLLATE "C" NOT NULL,
  seq        INTEGER NOT NULL,
  key        TEXT COLLATE "C" NOT NULL,
  user_id    TEXT COLLATE "C" NOT NULL,
  tenant_id  TEXT COLLATE "C" NOT NULL,
  rev        INTEGER NOT NULL,
  created_at TEXT COLLATE "C" NOT NULL,
  PRIMARY KEY (room_id, seq, key, user_id)
);
CREATE INDEX reactions_by_rev ON reactions (room_id, seq, rev);
CREATE INDEX reactions_by_key ON reactions (room_id, seq, key, rev);

CREATE TABLE mentions (
  tenant_id  TEXT COLLATE "C" NOT NULL,
  user_id    TEXT COLLATE "C" NOT NULL,
  room_id    TEXT COLLATE "C" NOT NULL,
  seq        INTEGER NOT NULL,
  created_at TEXT COLLATE "C" NOT NULL,
  PRIMARY KEY (tenant_id, user_id, room_id, seq)
);
CREATE INDEX mentions_by_time ON mentions (tenant_id, user_id, created_at, room_id, seq);
