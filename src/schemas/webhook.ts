// Tenant webhook event names (SPEC §6, §11.7): one list, from which the TS type and the TypeBox enum follow.

import { Type as t, type TLiteral } from '@sinclair/typebox'

export const WEBHOOK_EVENTS = [
  'message.created',
  'message.updated',
  'message.deleted',
  'reaction.added',
  'reaction.removed',
  'message.pinned',
  'message.unpinned',
  'room.created',
  'member.added',
  'member.removed',
  'notification.created',
  // SPEC §14 moderation
  'member.banned',
  'member.unbanned',
  'member.muted',
  'member.unmuted',
  'user.banned',
  'user.unbanned',
  'report.created',
  'report.resolved',
] as const

export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number]

/** One literal schema per name, as a tuple type (Elysia's route types read unions of tuples only). */
type Literals<T extends readonly string[]> = { -readonly [K in keyof T]: TLiteral<T[K]> }

export const WebhookEventName = t.Union(
  WEBHOOK_EVENTS.map((e) => t.Literal(e)) as Literals<typeof WEBHOOK_EVENTS>,
  { description: 'a tenant webhook event' },
)
