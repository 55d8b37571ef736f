// Message, ack and read-marker wire shapes (SPEC §4 Messages, Delivery state).

import { Type as t, type Static } from '@sinclair/typebox'
import { CLIENT_ID_PATTERN, JsonObject, JsonObjectInput, Nullable, QueryInteger, Timestamp } from './common'
import { EX, exampleMessage } from './examples'

export const Message = t.Object(
  {
    message_id: t.String(),
    room_id: t.String(),
    seq: t.Integer({ description: "the message's place in its room: 1, 2, 3, … with no gaps" }),
    sender_id: t.String(),
    content: t.String({ description: '"" once deleted' }),
    meta: Nullable(JsonObject),
    client_msg_id: Nullable(t.String()),
    created_at: Timestamp,
    edited_at: Nullable(Timestamp),
    deleted_at: Nullable(Timestamp),
  },
  { description: 'A message; a deleted one keeps its seq with empty content.', examples: [exampleMessage] },
)
export type Message = Static<typeof Message>

export const SendMessageBody = t.Object(
  {
    content: t.String({ minLength: 1, description: '1 character up to max_message_bytes (UTF-8 bytes)' }),
    meta: t.Optional(JsonObjectInput),
    client_msg_id: t.Optional(
      t.String({ pattern: CLIENT_ID_PATTERN, description: 'idempotency key per sender and room: a retry with the same key answers 200 with the original' }),
    ),
  },
  { examples: [{ content: 'The new mockups are up.', client_msg_id: 'c-1f2e3d' }] },
)
export type SendMessageBody = Static<typeof SendMessageBody>

export const PatchMessageBody = t.Object(
  {
    content: t.Optional(t.String({ minLength: 1 })),
    meta: t.Optional(JsonObjectInput),
  },
  { examples: [{ content: 'The new mockups are up (v2).' }] },
)
export type PatchMessageBody = Static<typeof PatchMessageBody>

export const MessageAck = t.Object(
  {
    message_id: t.String(),
    room_id: t.String(),
    seq: t.Integer(),
    created_at: Timestamp,
  },
  { description: 'Where a sent message landed.', examples: [{ message_id: EX.messageId, room_id: EX.roomId, seq: 42, created_at: EX.later }] },
)
export type MessageAck = Static<typeof MessageAck>

export const HistoryQuery = t.Object({
  after_seq: t.Optional(QueryInteger({ description: 'Page forward: messages with a seq above this one.', minimum: 0, examples: [40] })),
  before_seq: t.Optional(QueryInteger({ description: 'Page back: messages with a seq below this one (not together with after_seq).', minimum: 0 })),
  limit: t.Optional(QueryInteger({ description: 'Page size.', minimum: 1, maximum: 200, default: 50, examples: [50] })),
})
export type HistoryQuery = Static<typeof HistoryQuery>
export const MessagePage = t.Object(
  { messages: t.Array(Message), has_more: t.Boolean({ description: 'more messages exist beyond this page, in its direction' }) },
  { examples: [{ messages: [exampleMessage], has_more: false }] },
)

export const AckBody = t.Object(
  { room_id: t.String({ minLength: 1, maxLength: 64 }), seq: t.Integer({ minimum: 0, description: "at most the room's last_seq" }) },
  { examples: [{ room_id: EX.roomId, seq: 42 }] },
)
export const AckResult = t.Object({ room_id: t.String(), last_ack: t.Integer() }, { examples: [{ room_id: EX.roomId, last_ack: 42 }] })
export const ReadBody = t.Object({ seq: t.Integer({ minimum: 0, description: "at most the room's last_seq" }) }, { examples: [{ seq: 42 }] })
export const ReadResult = t.Object({ room_id: t.String(), last_read: t.Integer() }, { examples: [{ room_id: EX.roomId, last_read: 42 }] })
