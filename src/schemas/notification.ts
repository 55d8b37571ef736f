// Notification, subscription and dead-letter wire shapes (SPEC §4 Notifications, Admin).

import { Type as t, type Static } from '@sinclair/typebox'
import { JsonObjectInput, Nullable, Timestamp, TOPIC_PATTERN, UserId } from './common'

export const Topic = t.String({ pattern: TOPIC_PATTERN, description: '1-128 chars of [A-Za-z0-9._:-]' })

export const NotifyBody = t.Object({
  topic: Topic,
  payload: JsonObjectInput,
  targets: t.Object({
    user_ids: t.Optional(t.Array(UserId, { maxItems: 1000 })),
    room_id: t.Optional(t.String({ minLength: 1, maxLength: 64 })),
    topic_subscribers: t.Optional(t.Boolean()),
  }),
})
export type NotifyBody = Static<typeof NotifyBody>
export const NotifyResult = t.Object({ notification_id: t.String(), recipients: t.Integer(), created_at: Timestamp })

export const SubscribeBody = t.Object({
  topic: Topic,
  endpoint: t.Optional(t.String({ maxLength: 2048, description: 'https URL (API key callers only)' })),
})
export type SubscribeBody = Static<typeof SubscribeBody>
export const Subscription = t.Object({
  subscription_id: t.String(),
  topic: t.String(),
  endpoint: Nullable(t.String()),
  created_at: Timestamp,
})
export const SubscriptionList = t.Object({ subscriptions: t.Array(Subscription) })

export const DeadLetter = t.Object({
  id: t.String(),
  kind: t.Union([t.Literal('message'), t.Literal('notification'), t.Literal('webhook')]),
  tenant_id: t.String(),
  target: t.String(),
  ref_id: t.String(),
  from_seq: t.Optional(t.Integer()),
  to_seq: t.Optional(t.Integer()),
  attempts: t.Integer(),
  last_error: Nullable(t.String()),
  created_at: Timestamp,
  last_attempt_at: Nullable(Timestamp),
})
export type DeadLetter = Static<typeof DeadLetter>
export const DeadLetterList = t.Object({ dead_letters: t.Array(DeadLetter) })
export const DeadLetterQuery = t.Object({
  tenant_id: t.Optional(t.String()),
  kind: t.Optional(t.String()),
  limit: t.Optional(t.String()),
})
