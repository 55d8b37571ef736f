// Message, ack and read-marker wire shapes (SPEC §4 Messages, Delivery state).

import { Type as t, type Static } from '@sinclair/typebox'
import { CLIENT_ID_PATTERN, JsonObject, JsonObjectInput, Nullable, Timestamp } from './common'

/** At most this many files per message (SPEC §12). */
export const MAX_ATTACHMENTS = 10

/** A file attached to a message (SPEC §12): the upload's metadata as it was when the message was sent. */
export const Attachment = t.Object({
  upload_id: t.String(),
  filename: t.String(),
  content_type: t.String(),
  bytes: t.Integer({ minimum: 0 }),
  width: Nullable(t.Integer()),
  height: Nullable(t.Integer()),
})
export type Attachment = Static<typeof Attachment>

/** `attachments` in a send: the sender's own upload ids (checked by the service). */
export const AttachmentsInput = t.Array(t.String({ minLength: 1, maxLength: 64 }), {
  maxItems: MAX_ATTACHMENTS,
  description: 'up to 10 distinct upload_ids, each uploaded by the sender (POST /v1/uploads)',
})

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
  attachments: t.Array(Attachment),
})
export type Message = Static<typeof Message>

export const SendMessageBody = t.Object({
  content: t.String({ minLength: 1, description: '1 char to max_message_bytes (UTF-8 bytes)' }),
  meta: t.Optional(JsonObjectInput),
  client_msg_id: t.Optional(t.String({ pattern: CLIENT_ID_PATTERN, description: 'idempotency key per sender and room' })),
  attachments: t.Optional(AttachmentsInput),
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
