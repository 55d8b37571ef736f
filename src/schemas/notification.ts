// Notification, subscription and dead-letter wire shapes (SPEC §4 Notifications, Admin).

import { Type as t, type Static } from '@sinclair/typebox'
import { JsonObjectInput, Nullable, QueryInteger, ServiceChecked, Timestamp, TOPIC_PATTERN, UserId } from './common'
import { EX } from './examples'

export const Topic = t.String({ pattern: TOPIC_PATTERN, description: '1-128 chars of [A-Za-z0-9._:-]' })

export const NotifyBody = t.Object(
  {
    topic: Topic,
    payload: JsonObjectInput,
    targets: t.Object(
      {
        user_ids: t.Optional(t.Array(UserId, { maxItems: 1000 })),
        room_id: t.Optional(t.String({ minLength: 1, maxLength: 64, description: "the room's members (the room must be visible to X-User-Id)" })),
        topic_subscribers: t.Optional(t.Boolean({ description: 'also the users subscribed to the topic' })),
      },
      { description: 'at least one target; recipients are the distinct users across all of them' },
    ),
  },
  { examples: [{ topic: 'order.shipped', payload: { order_id: 'A-1042' }, targets: { user_ids: ['bob'], topic_subscribers: true } }] },
)
export type NotifyBody = Static<typeof NotifyBody>
export const NotifyResult = t.Object(
  { notification_id: t.String(), recipients: t.Integer(), created_at: Timestamp },
  { examples: [{ notification_id: EX.notificationId, recipients: 3, created_at: EX.at }] },
)

export const SubscribeBody = t.Object(
  {
    topic: Topic,
    endpoint: t.Optional(t.String({ maxLength: 2048, description: 'an https URL to receive the topic as a webhook (API key callers only: a user token gets 403)' })),
  },
  { examples: [{ topic: 'order.shipped' }] },
)
export type SubscribeBody = Static<typeof SubscribeBody>
const exampleSubscription = { subscription_id: EX.subscriptionId, topic: 'order.shipped', endpoint: null, created_at: EX.at }
export const Subscription = t.Object(
  {
    subscription_id: t.String(),
    topic: t.String(),
    endpoint: Nullable(t.String()),
    created_at: Timestamp,
  },
  { description: "A user's subscription to a topic, optionally delivered to a webhook endpoint.", examples: [exampleSubscription] },
)
export const SubscriptionList = t.Object({ subscriptions: t.Array(Subscription) }, { examples: [{ subscriptions: [exampleSubscription] }] })

const DeadLetterKind = t.Union([t.Literal('message'), t.Literal('notification'), t.Literal('webhook')])
const exampleDeadLetter = {
  id: EX.deadLetterId,
  kind: 'message',
  tenant_id: EX.tenantId,
  target: 'bob',
  ref_id: EX.roomId,
  from_seq: 40,
  to_seq: 42,
  attempts: 5,
  last_error: 'ack timeout',
  created_at: EX.at,
  last_attempt_at: EX.later,
}
export const DeadLetter = t.Object(
  {
    id: t.String(),
    kind: DeadLetterKind,
    tenant_id: t.String(),
    target: t.String({ description: 'the user (message, notification) or the URL (webhook)' }),
    ref_id: t.String({ description: 'the room (message) or the notification / event id' }),
    from_seq: t.Optional(t.Integer()),
    to_seq: t.Optional(t.Integer()),
    attempts: t.Integer(),
    last_error: Nullable(t.String()),
    created_at: Timestamp,
    last_attempt_at: Nullable(Timestamp),
  },
  { description: 'A delivery that ran out of retries.', examples: [exampleDeadLetter] },
)
export type DeadLetter = Static<typeof DeadLetter>
export const DeadLetterList = t.Object({ dead_letters: t.Array(DeadLetter) }, { examples: [{ dead_letters: [exampleDeadLetter] }] })
export const DeadLetterQuery = t.Object({
  tenant_id: t.Optional(t.String({ description: 'Only the dead letters of this tenant.' })),
  kind: t.Optional(ServiceChecked(t.String(), { ...DeadLetterKind, description: 'Only this kind.' })),
  limit: t.Optional(QueryInteger({ description: 'Page size.', minimum: 1, maximum: 200, default: 50, examples: [50] })),
})
