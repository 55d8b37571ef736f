-- Search (SPEC §13). The index itself lives outside this database (its own file, written by the
-- search worker; docs/search.md). What the index cannot find out on its own is which existing
-- messages changed: these triggers note every edit, delete and removal in the same transaction,
-- and the worker applies them in id order. Sends (INSERT) add nothing here, so the send path's
-- transactions stay as they were; new messages are found by each room's seq.

CREATE TABLE search_changes (
  id      INTEGER PRIMARY KEY AUTOINCREMENT,
  room_id TEXT NOT NULL,
  seq     INTEGER NOT NULL
);

CREATE TRIGGER search_changes_on_update AFTER UPDATE OF content, deleted_at ON messages
BEGIN
  INSERT INTO search_changes (room_id, seq) VALUES (new.room_id, new.seq);
END;

CREATE TRIGGER search_changes_on_delete AFTER DELETE ON messages
BEGIN
  INSERT INTO search_changes (room_id, seq) VALUES (old.room_id, old.seq);
END;
