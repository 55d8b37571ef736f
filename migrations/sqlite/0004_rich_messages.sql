-- Rich messages and the room change feed (SPEC §11): rev/last_rev, replies, reactions, mentions, pins.
--
-- Every change to an existing message sets its rev to ++rooms.last_rev in the same transaction, so
-- "what changed since rev N" is one range of messages_changes. New messages keep rev 0 and stay out
-- of that index (a partial index: a send writes nothing more than before).
--
-- The message object is read from the message row alone, as history always was: `mentions` and
-- `reactions` keep the wire JSON on the row (reactions: [{key, count, user_ids}] with at most 25
-- user ids per key), written in the same transaction as the rows of the tables below, which hold
-- the complete data for the queries that need it (unread mentions, GET /v1/mentions, the reactor list).

ALTER TABLE rooms ADD COLUMN last_rev INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rooms ADD COLUMN first_seq INTEGER NOT NULL DEFAULT 1;   -- the oldest seq still stored

ALTER TABLE messages ADD COLUMN rev INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN parent_id TEXT;                      -- a reply's top-level message
ALTER TABLE messages ADD COLUMN reply_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN last_reply_at TEXT;
ALTER TABLE messages ADD COLUMN mentions TEXT;                       -- JSON array of user ids; NULL = none
ALTER TABLE messages ADD COLUMN reactions TEXT;                      -- JSON reaction summary; NULL = none
ALTER TABLE messages ADD COLUMN pinned_at TEXT;
ALTER TABLE messages ADD COLUMN pinned_by TEXT;
ALTER TABLE messages ADD COLUMN pin_rev INTEGER;                     -- the room's rev when pinned: newest pin first
ALTER TABLE messages ADD COLUMN last_change TEXT;                    -- JSON {kind, user_id, key?} of the change that set rev

CREATE INDEX messages_changes ON messages (room_id, rev) WHERE rev > 0;
CREATE INDEX messages_replies ON messages (room_id, parent_id, seq) WHERE parent_id IS NOT NULL;
CREATE INDEX messages_pins ON messages (room_id, pin_rev) WHERE pin_rev IS NOT NULL;

-- One row per reactor and key. rev is the room rev the reaction was added at: unique in the room,
-- so it orders reactors (earliest first) and is the list cursor.
CREATE TABLE reactions (
  room_id    TEXT NOT NULL,
  seq        INTEGER NOT NULL,
  key        TEXT NOT NULL,
  user_id    TEXT NOT NULL,
  tenant_id  TEXT NOT NULL,
  rev        INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (room_id, seq, key, user_id)
) WITHOUT ROWID;
CREATE INDEX reactions_by_rev ON reactions (room_id, seq, rev);
CREATE INDEX reactions_by_key ON reactions (room_id, seq, key, rev);

-- One row per mentioned user and message, while the message mentions them. The primary key serves
-- unread_mentions (a range per user and room above the read marker); mentions_by_time serves
-- GET /v1/mentions (newest first across the user's rooms).
CREATE TABLE mentions (
  tenant_id  TEXT NOT NULL,
  user_id    TEXT NOT NULL,
  room_id    TEXT NOT NULL,
  seq        INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (tenant_id, user_id, room_id, seq)
) WITHOUT ROWID;
CREATE INDEX mentions_by_time ON mentions (tenant_id, user_id, created_at, room_id, seq);
