-- Durable delivery (SPEC §4 notifications/subscriptions/dead letters, §6): notifications with their
-- per-user WebSocket targets, topic subscriptions, the HTTP outbox (webhooks and endpoint calls) and
-- dead letters. Same meaning as migrations/sqlite/0002_delivery.sql, plus what N instances need:
-- the outbox lease (deliveries.lease_until) and a unique subscription key.

CREATE TABLE notifications (
  notification_id TEXT COLLATE "C" PRIMARY KEY,
  tenant_id       TEXT COLLATE "C" NOT NULL,
  topic           TEXT COLLATE "C" NOT NULL,
  payload         TEXT NOT NULL,
  created_at      TEXT COLLATE "C" NOT NULL,
  expires_at      BIGINT NOT NULL             -- epoch ms; pending WS deliveries end here (NOTIFICATION_TTL_MS)
);
CREATE INDEX notifications_expiry ON notifications (expires_at);

-- One row per recipient until they send notification.ack (then the row is deleted).
CREATE TABLE notification_targets (
  tenant_id       TEXT COLLATE "C" NOT NULL,
  user_id         TEXT COLLATE "C" NOT NULL,
  notification_id TEXT COLLATE "C" NOT NULL REFERENCES notifications(notification_id) ON DELETE CASCADE,
  PRIMARY KEY (tenant_id, user_id, notification_id)
);
CREATE INDEX notification_targets_by_ntf ON notification_targets (notification_id);

CREATE TABLE subscriptions (
  subscription_id TEXT COLLATE "C" PRIMARY KEY,
  tenant_id       TEXT COLLATE "C" NOT NULL,
  user_id         TEXT COLLATE "C" NOT NULL,
  topic           TEXT COLLATE "C" NOT NULL,
  endpoint        TEXT COLLATE "C",
  created_at      TEXT COLLATE "C" NOT NULL
);
CREATE INDEX subscriptions_by_topic ON subscriptions (tenant_id, topic);
-- One subscription per (user, topic, endpoint or none), also when two instances subscribe at once
-- (SQLite's single writer gets the same from its check-then-insert).
CREATE UNIQUE INDEX subscriptions_unique ON subscriptions (tenant_id, user_id, topic, coalesce(endpoint, ''));

-- The HTTP outbox. With N instances each delivery worker leases the rows it is about to attempt
-- (lease_until, epoch ms) with FOR UPDATE SKIP LOCKED, so one instance at a time attempts a row,
-- and a row whose instance died is due again once its lease has expired.
CREATE TABLE deliveries (
  delivery_id     TEXT COLLATE "C" PRIMARY KEY,
  tenant_id       TEXT COLLATE "C" NOT NULL,
  kind            TEXT NOT NULL CHECK (kind IN ('webhook', 'notification')),
  url             TEXT COLLATE "C" NOT NULL,
  event_id        TEXT NOT NULL,              -- webhook-id: stable across retries
  ref_id          TEXT NOT NULL,              -- notification id, or the event id for webhooks
  body            TEXT NOT NULL,
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at BIGINT NOT NULL,            -- epoch ms
  state           TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'dead')),
  last_error      TEXT,
  created_at      TEXT COLLATE "C" NOT NULL,
  last_attempt_at TEXT,
  lease_until     BIGINT                      -- epoch ms; an instance is attempting the row until then
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX deliveries_done ON deliveries (state, created_at) WHERE state <> 'pending';

CREATE TABLE dead_letters (
  id              TEXT COLLATE "C" PRIMARY KEY,
  kind            TEXT NOT NULL CHECK (kind IN ('message', 'notification', 'webhook')),
  tenant_id       TEXT COLLATE "C" NOT NULL,
  target          TEXT COLLATE "C" NOT NULL,  -- user id (message) or URL
  ref_id          TEXT COLLATE "C" NOT NULL,  -- room id, notification id or webhook-id
  from_seq        INTEGER,
  to_seq          INTEGER,
  delivery_id     TEXT COLLATE "C",           -- the outbox row to requeue on retry
  attempts        INTEGER NOT NULL,
  last_error      TEXT,
  created_at      TEXT COLLATE "C" NOT NULL,
  last_attempt_at TEXT
);
CREATE INDEX dead_letters_by_tenant ON dead_letters (tenant_id, kind, created_at);
CREATE INDEX dead_letters_by_delivery ON dead_letters (delivery_id) WHERE delivery_id IS NOT NULL;
CREATE UNIQUE INDEX dead_letters_message ON dead_letters (tenant_id, target, ref_id) WHERE kind = 'message';
