// Message, ack and read-marker wire shapes (SPEC §4 Messages, Delivery state).

import { Type as t, type Static } from '@sinclair/typebox'
import { CLIENT_ID_PATTERN, JsonObject, JsonObjectInput, Nullable, Timestamp } from './common'

export const Message = t.Object({
  message_id: t.String(),
  room_id: t.String(),
  seq: t.Integer(),
  sender_id: t.String(),
  content: t.String(),
  meta: Nullable(JsonObject),
  client_msg_id: Nullable(t.String()),
  created_at: Timestamp,
  edited_at: Nullable(Timestamp),
  deleted_at: Nullable(Timestamp),
})
export type Message = Static<typeof Message>

export const SendMessageBody = t.Object({
  content: t.String({ minLength: 1, description: '1 char to max_message_bytes (UTF-8 bytes)' }),
  meta: t.Optional(JsonObjectInput),
  client_msg_id: t.Optional(t.String({ pattern: CLIENT_ID_PATTERN, description: 'idempotency key per sender and room' })),
})
export type SendMessageBody = Static<typeof SendMessageBody>

export const PatchMessageBody = t.Object({
  content: t.Optional(t.String({ minLength: 1 })),
  meta: t.Optional(JsonObjectInput),
})
export type PatchMessageBody = Static<typeof PatchMessageBody>

export const MessageAck = t.Object({
  message_id: t.String(),
  room_id: t.String(),
  seq: t.Integer(),
  created_at: Timestamp,
})
export type MessageAck = Static<typeof MessageAck>

export const HistoryQuery = t.Object({
  after_seq: t.Optional(t.String()),
  before_seq: t.Optional(t.String()),
  limit: t.Optional(t.String()),
})
export type HistoryQuery = Static<typeof HistoryQuery>
export const MessagePage = t.Object({ messages: t.Array(Message), has_more: t.Boolean() })

export const AckBody = t.Object({ room_id: t.String({ minLength: 1, maxLength: 64 }), seq: t.Integer({ minimum: 0 }) })
export const AckResult = t.Object({ room_id: t.String(), last_ack: t.Integer() })
export const ReadBody = t.Object({ seq: t.Integer({ minimum: 0 }) })
export const ReadResult = t.Object({ room_id: t.String(), last_read: t.Integer() })
