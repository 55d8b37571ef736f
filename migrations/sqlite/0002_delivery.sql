-- Durable delivery (SPEC §4 notifications/subscriptions/dead letters, §6): notifications with their
-- per-user WebSocket targets, topic subscriptions, the HTTP outbox (webhooks and endpoint calls) and dead letters.

CREATE TABLE notifications (
  notification_id TEXT PRIMARY KEY,
  tenant_id       TEXT NOT NULL,
  topic           TEXT NOT NULL,
  payload         TEXT NOT NULL,
  created_at      TEXT NOT NULL,
  expires_at      INTEGER NOT NULL            -- epoch ms; pending WS deliveries end here (NOTIFICATION_TTL_MS)
);
CREATE INDEX notifications_expiry ON notifications (expires_at);

-- One row per recipient until they send notification.ack (then the row is deleted).
CREATE TABLE notification_targets (
  tenant_id       TEXT NOT NULL,
  user_id         TEXT NOT NULL,
  notification_id TEXT NOT NULL REFERENCES notifications(notification_id) ON DELETE CASCADE,
  PRIMARY KEY (tenant_id, user_id, notification_id)
) WITHOUT ROWID;
CREATE INDEX notification_targets_by_ntf ON notification_targets (notification_id);

CREATE TABLE subscriptions (
  subscription_id TEXT PRIMARY KEY,
  tenant_id       TEXT NOT NULL,
  user_id         TEXT NOT NULL,
  topic           TEXT NOT NULL,
  endpoint        TEXT,
  created_at      TEXT NOT NULL
);
CREATE INDEX subscriptions_by_topic ON subscriptions (tenant_id, topic);
CREATE INDEX subscriptions_by_user ON subscriptions (tenant_id, user_id);

-- The HTTP outbox. The delivery worker reads due rows with its own connection; every write to this
-- table happens on the main thread (SPEC §6 single writer).
CREATE TABLE deliveries (
  delivery_id     TEXT PRIMARY KEY,
  tenant_id       TEXT NOT NULL,
  kind            TEXT NOT NULL CHECK (kind IN ('webhook', 'notification')),
  url             TEXT NOT NULL,
  event_id        TEXT NOT NULL,              -- webhook-id: stable across retries
  ref_id          TEXT NOT NULL,              -- notification id, or the event id for webhooks
  body            TEXT NOT NULL,
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,           -- epoch ms
  state           TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'dead')),
  last_error      TEXT,
  created_at      TEXT NOT NULL,
  last_attempt_at TEXT
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX deliveries_done ON deliveries (state, created_at) WHERE state <> 'pending';

CREATE TABLE dead_letters (
  id              TEXT PRIMARY KEY,
  kind            TEXT NOT NULL CHECK (kind IN ('message', 'notification', 'webhook')),
  tenant_id       TEXT NOT NULL,
  target          TEXT NOT NULL,              -- user id (message) or URL
  ref_id          TEXT NOT NULL,              -- room id, notification id or webhook-id
  from_seq        INTEGER,
  to_seq          INTEGER,
  delivery_id     TEXT,                       -- the outbox row to requeue on retry
  attempts        INTEGER NOT NULL,
  last_error      TEXT,
  created_at      TEXT NOT NULL,
  last_attempt_at TEXT
);
CREATE INDEX dead_letters_by_tenant ON dead_letters (tenant_id, kind, created_at);
CREATE INDEX dead_letters_by_delivery ON dead_letters (delivery_id) WHERE delivery_id IS NOT NULL;
CREATE UNIQUE INDEX dead_letters_message ON dead_letters (tenant_id, target, ref_id) WHERE kind = 'message';
