// Notifications (PostgreSQL) with their pending per-user WebSocket targets, and topic subscriptions.

import type { SQL } from 'bun'
import type { NotificationRow, SubscriptionRow } from '../rows'
import { all, first, numbers } from './rows'

const toNotification = (r: NotificationRow) => numbers(r, 'expires_at')

export function createNotificationStore(sql: SQL) {
  return {
    /** Stores a notification and one pending target per recipient, in one transaction. */
    async create(n: NotificationRow, recipients: string[]): Promise<void> {
      await sql.begin(async (tx) => {
        await tx`INSERT INTO notifications (notification_id, tenant_id, topic, payload, created_at, expires_at)
          VALUES (${n.notification_id}, ${n.tenant_id}, ${n.topic}, ${n.payload}, ${n.created_at}, ${n.expires_at})`
        if (recipients.length)
          await tx`INSERT INTO notification_targets (tenant_id, user_id, notification_id)
            SELECT ${n.tenant_id}, u, ${n.notification_id} FROM unnest(${recipients}::text[]) AS u
            ON CONFLICT DO NOTHING`
      })
    },
    /** The user's unacknowledged, unexpired notifications, oldest first (one millisecond's in insertion order: ord, migration 0009). */
    pendingFor: async (tenantId: string, userId: string, now: number) =>
      all<NotificationRow>(await sql`
        SELECT n.notification_id, n.tenant_id, n.topic, n.payload, n.created_at, n.expires_at
        FROM notification_targets t JOIN notifications n ON n.notification_id = t.notification_id
        WHERE t.tenant_id = ${tenantId} AND t.user_id = ${userId} AND n.expires_at > ${now}
        ORDER BY n.created_at, n.ord LIMIT 1000`).map(toNotification),
    /** Marks one notification delivered to the user; false when it was not pending for them. */
    ack: async (tenantId: string, userId: string, notificationId: string) =>
      (await sql`DELETE FROM notification_targets WHERE tenant_id = ${tenantId} AND user_id = ${userId} AND notification_id = ${notificationId}`).count > 0,
    /** Deletes expired notifications (their targets cascade). Returns how many. */
    deleteExpired: async (now: number) => (await sql`DELETE FROM notifications WHERE expires_at <= ${now}`).count,

    /** Idempotent, also across instances (unique index subscriptions_unique): the existing row wins. */
    async subscribe(row: SubscriptionRow): Promise<{ row: SubscriptionRow; created: boolean }> {
      const inserted = first<SubscriptionRow>(await sql`
        INSERT INTO subscriptions (subscription_id, tenant_id, user_id, topic, endpoint, created_at)
        VALUES (${row.subscription_id}, ${row.tenant_id}, ${row.user_id}, ${row.topic}, ${row.endpoint}::text, ${row.created_at})
        ON CONFLICT (tenant_id, user_id, topic, coalesce(endpoint, '')) DO NOTHING
        RETURNING *`)
      if (inserted) return { row, created: true }
      const existing = first<SubscriptionRow>(await sql`
        SELECT * FROM subscriptions WHERE tenant_id = ${row.tenant_id} AND user_id = ${row.user_id} AND topic = ${row.topic}
        AND endpoint IS NOT DISTINCT FROM ${row.endpoint}::text`)
      if (!existing) throw new Error('subscription vanished during subscribe')
      return { row: existing, created: false }
    },
    subscriptionsOf: async (tenantId: string, userId: string) =>
      all<SubscriptionRow>(await sql`
        SELECT * FROM subscriptions WHERE tenant_id = ${tenantId} AND user_id = ${userId} ORDER BY created_at, subscription_id LIMIT 1000`),
    unsubscribe: async (tenantId: string, userId: string, id: string) =>
      (await sql`DELETE FROM subscriptions WHERE tenant_id = ${tenantId} AND user_id = ${userId} AND subscription_id = ${id}`).count > 0,
    subscribersOf: async (tenantId: string, topic: string) =>
      (await sql`SELECT DISTINCT user_id FROM subscriptions WHERE tenant_id = ${tenantId} AND topic = ${topic} ORDER BY user_id`).map(
        (r: { user_id: string }) => r.user_id,
      ) as string[],
    endpointsFor: async (tenantId: string, topic: string) =>
      all<SubscriptionRow>(await sql`
        SELECT * FROM subscriptions WHERE tenant_id = ${tenantId} AND topic = ${topic} AND endpoint IS NOT NULL
        ORDER BY created_at, subscription_id`),
  }
}
