-- Attachments (SPEC §12): the same tables and meaning as migrations/sqlite/0005_uploads.sql.

CREATE TABLE uploads (
  upload_id    TEXT COLLATE "C" PRIMARY KEY,
  tenant_id    TEXT COLLATE "C" NOT NULL,
  uploader_id  TEXT COLLATE "C" NOT NULL,
  filename     TEXT NOT NULL,
  content_type TEXT NOT NULL,
  bytes        BIGINT NOT NULL,
  sha256       TEXT NOT NULL,
  width        INTEGER,
  height       INTEGER,
  storage_key  TEXT NOT NULL,
  created_at   TEXT COLLATE "C" NOT NULL,
  attached_at  TEXT,
  deleted_at   TEXT COLLATE "C"
);
CREATE INDEX uploads_orphans ON uploads (created_at) WHERE attached_at IS NULL AND deleted_at IS NULL;
CREATE INDEX uploads_doomed ON uploads (deleted_at) WHERE deleted_at IS NOT NULL;

CREATE TABLE message_uploads (
  upload_id TEXT COLLATE "C" NOT NULL,
  room_id   TEXT COLLATE "C" NOT NULL,
  seq       INTEGER NOT NULL,
  PRIMARY KEY (upload_id, room_id, seq)
);
CREATE INDEX message_uploads_by_message ON message_uploads (room_id, seq);

CREATE TABLE upload_usage (
  tenant_id TEXT COLLATE "C" PRIMARY KEY,
  uploads   BIGINT NOT NULL DEFAULT 0,
  bytes     BIGINT NOT NULL DEFAULT 0
);

ALTER TABLE messages ADD COLUMN attachments TEXT;
