// Notifications with their pending per-user WebSocket targets, and topic subscriptions.

import type { Database } from 'bun:sqlite'
import type { NotificationRow, SubscriptionRow } from '../rows'

export function createNotificationStore(db: Database) {
  const insertN = db.query(
    'INSERT INTO notifications (notification_id, tenant_id, topic, payload, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)',
  )
  const insertT = db.query('INSERT OR IGNORE INTO notification_targets (tenant_id, user_id, notification_id) VALUES (?, ?, ?)')
  const pending = db.query<NotificationRow, [string, string, number]>(
    `SELECT n.* FROM notification_targets t JOIN notifications n ON n.notification_id = t.notification_id
     WHERE t.tenant_id = ? AND t.user_id = ? AND n.expires_at > ? ORDER BY n.created_at, n.rowid LIMIT 1000`,
  )
  const ackT = db.query('DELETE FROM notification_targets WHERE tenant_id = ? AND user_id = ? AND notification_id = ?')
  const expired = db.query('DELETE FROM notifications WHERE expires_at <= ?')
  const subInsert = db.query(
    'INSERT INTO subscriptions (subscription_id, tenant_id, user_id, topic, endpoint, created_at) VALUES (?, ?, ?, ?, ?, ?)',
  )
  const subExisting = db.query<SubscriptionRow, [string, string, string, string | null]>(
    'SELECT * FROM subscriptions WHERE tenant_id = ? AND user_id = ? AND topic = ? AND endpoint IS ?',
  )
  const subList = db.query<SubscriptionRow, [string, string]>(
    'SELECT * FROM subscriptions WHERE tenant_id = ? AND user_id = ? ORDER BY created_at, subscription_id LIMIT 1000',
  )
  const subDelete = db.query('DELETE FROM subscriptions WHERE tenant_id = ? AND user_id = ? AND subscription_id = ?')
  const subscribers = db.query<{ user_id: string }, [string, string]>(
    'SELECT DISTINCT user_id FROM subscriptions WHERE tenant_id = ? AND topic = ?',
  )
  const endpoints = db.query<SubscriptionRow, [string, string]>(
    'SELECT * FROM subscriptions WHERE tenant_id = ? AND topic = ? AND endpoint IS NOT NULL',
  )

  return {
    /** Stores a notification and one pending target per recipient, in one immediate transaction. */
    create(n: NotificationRow, recipients: string[]): void {
      db.transaction(() => {
        insertN.run(n.notification_id, n.tenant_id, n.topic, n.payload, n.created_at, n.expires_at)
        for (const u of recipients) insertT.run(n.tenant_id, u, n.notification_id)
      }).immediate()
    },
    /** The user's unacknowledged, unexpired notifications, oldest first. */
    pendingFor: (tenantId: string, userId: string, now: number) => pending.all(tenantId, userId, now),
    /** Marks one notification delivered to the user; false when it was not pending for them. */
    ack: (tenantId: string, userId: string, notificationId: string) => ackT.run(tenantId, userId, notificationId).changes > 0,
    /** Deletes expired notifications (their targets cascade). Returns how many. */
    deleteExpired: (now: number) => expired.run(now).changes,

    subscribe(row: SubscriptionRow): { row: SubscriptionRow; created: boolean } {
      const existing = subExisting.get(row.tenant_id, row.user_id, row.topic, row.endpoint)
      if (existing) return { row: existing, created: false }
      subInsert.run(row.subscription_id, row.tenant_id, row.user_id, row.topic, row.endpoint, row.created_at)
      return { row, created: true }
    },
    subscriptionsOf: (tenantId: string, userId: string) => subList.all(tenantId, userId),
    unsubscribe: (tenantId: string, userId: string, id: string) => subDelete.run(tenantId, userId, id).changes > 0,
    subscribersOf: (tenantId: string, topic: string) => subscribers.all(tenantId, topic).map((r) => r.user_id),
    endpointsFor: (tenantId: string, topic: string) => endpoints.all(tenantId, topic),
  }
}
