-- Attachments (SPEC §12): uploaded files, the messages that list them, and each tenant's usage.
--
-- The file itself lives outside the database (UPLOAD_DIR or an S3 bucket, under storage_key); a row
-- is the only way to reach it. A row with deleted_at set is invisible to every read: its file is
-- being removed by the sweep (services/upload-sweep.ts), which deletes the row once the file is gone.

CREATE TABLE uploads (
  upload_id    TEXT PRIMARY KEY,
  tenant_id    TEXT NOT NULL,
  uploader_id  TEXT NOT NULL,
  filename     TEXT NOT NULL,
  content_type TEXT NOT NULL,
  bytes        INTEGER NOT NULL,
  sha256       TEXT NOT NULL,               -- hex; the download ETag
  width        INTEGER,
  height       INTEGER,
  storage_key  TEXT NOT NULL,
  created_at   TEXT NOT NULL,
  attached_at  TEXT,                        -- first time a message listed it; NULL: an orphan so far
  deleted_at   TEXT
);
-- Orphans past UPLOAD_ORPHAN_TTL_MS, oldest first; doomed rows whose files are still to be removed.
CREATE INDEX uploads_orphans ON uploads (created_at) WHERE attached_at IS NULL AND deleted_at IS NULL;
CREATE INDEX uploads_doomed ON uploads (deleted_at) WHERE deleted_at IS NOT NULL;

-- One row per (upload, message) while the message lists it: download access for the room's members,
-- and "no message lists it any more" when a message is deleted.
CREATE TABLE message_uploads (
  upload_id TEXT NOT NULL,
  room_id   TEXT NOT NULL,
  seq       INTEGER NOT NULL,
  PRIMARY KEY (upload_id, room_id, seq)
) WITHOUT ROWID;
CREATE INDEX message_uploads_by_message ON message_uploads (room_id, seq);

-- Live uploads and their bytes per tenant, kept with every insert and deletion: the quota check is
-- one conditional UPDATE, and concurrent uploads cannot both pass it.
CREATE TABLE upload_usage (
  tenant_id TEXT PRIMARY KEY,
  uploads   INTEGER NOT NULL DEFAULT 0,
  bytes     INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

-- The message object's `attachments` as wire JSON ([{upload_id, filename, content_type, bytes,
-- width, height}]), read with the row like every other field; NULL: none.
ALTER TABLE messages ADD COLUMN attachments TEXT;
