// Message, ack and read-marker wire shapes (SPEC §4 Messages, Delivery state; §11 the extended message).

import { Type as t, type Static } from '@sinclair/typebox'
import { CLIENT_ID_PATTERN, JsonObject, JsonObjectInput, Nullable, Timestamp, UserId } from './common'

/** At most this many distinct reaction keys per message (SPEC §11.4). */
export const MAX_REACTION_KEYS = 25
/** A message's `reactions` lists at most this many reactors per key, earliest first. */
export const MAX_LISTED_REACTORS = 25
/** At most this many mentioned users per message (SPEC §11.5). */
export const MAX_MENTIONS = 50
/** At most this many pinned messages per room (SPEC §11.6). */
export const MAX_PINS = 50

export const ReactionSummary = t.Object({
  key: t.String({ description: 'the reaction: an emoji or a shortcode, 1-64 bytes of UTF-8' }),
  count: t.Integer({ minimum: 1, description: 'how many users reacted with this key' }),
  user_ids: t.Array(t.String(), { maxItems: MAX_LISTED_REACTORS, description: 'up to 25 reactors, earliest first (complete when count <= 25)' }),
})
export type ReactionSummary = Static<typeof ReactionSummary>

/** A file attached to a message (SPEC §12); this version stores none, so `attachments` is always []. */
export const Attachment = t.Object({
  upload_id: t.String(),
  filename: t.String(),
  content_type: t.String(),
  bytes: t.Integer({ minimum: 0 }),
  width: Nullable(t.Integer()),
  height: Nullable(t.Integer()),
})

export const Message = t.Object({
  message_id: t.String(),
  room_id: t.String(),
  seq: t.Integer(),
  rev: t.Integer({ minimum: 0, description: "the room's change counter at this message's latest change (0: never changed)" }),
  sender_id: t.String(),
  content: t.String(),
  meta: Nullable(JsonObject),
  client_msg_id: Nullable(t.String()),
  parent_id: Nullable(t.String({ description: 'the message this one replies to (threads are one level deep)' })),
  reply_count: t.Integer({ minimum: 0 }),
  last_reply_at: Nullable(Timestamp),
  mentions: t.Array(t.String(), { maxItems: MAX_MENTIONS, description: 'user ids this message mentions' }),
  attachments: t.Array(Attachment),
  reactions: t.Array(ReactionSummary, { maxItems: MAX_REACTION_KEYS, description: "in order of each key's first use" }),
  pinned_at: Nullable(Timestamp),
  pinned_by: Nullable(t.String()),
  created_at: Timestamp,
  edited_at: Nullable(Timestamp),
  deleted_at: Nullable(Timestamp),
})
export type Message = Static<typeof Message>

/** `mentions` in a send or an edit: distinct members of the room (checked by the service). */
export const MentionsInput = t.Array(UserId, { maxItems: MAX_MENTIONS, description: 'up to 50 user ids, each a member of the room' })

export const SendMessageBody = t.Object({
  content: t.String({ minLength: 1, description: '1 char to max_message_bytes (UTF-8 bytes)' }),
  meta: t.Optional(JsonObjectInput),
  client_msg_id: t.Optional(t.String({ pattern: CLIENT_ID_PATTERN, description: 'idempotency key per sender and room' })),
  parent_id: t.Optional(t.String({ minLength: 1, maxLength: 64, description: 'reply to this top-level message of the same room' })),
  mentions: t.Optional(MentionsInput),
})
export type SendMessageBody = Static<typeof SendMessageBody>

export const PatchMessageBody = t.Object({
  content: t.Optional(t.String({ minLength: 1 })),
  meta: t.Optional(JsonObjectInput),
  mentions: t.Optional(MentionsInput),
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
  top_level: t.Optional(t.String({ description: 'true: leave replies out' })),
})
export const RepliesQuery = t.Object({
  after_seq: t.Optional(t.String()),
  before_seq: t.Optional(t.String()),
  limit: t.Optional(t.String()),
})
export type RepliesQuery = Static<typeof RepliesQuery>
export type HistoryQuery = Static<typeof HistoryQuery>
export const MessagePage = t.Object({ messages: t.Array(Message), has_more: t.Boolean() })
export const PinnedList = t.Object({ messages: t.Array(Message, { maxItems: MAX_PINS, description: 'the pinned messages, newest pin first' }) })

export const AckBody = t.Object({ room_id: t.String({ minLength: 1, maxLength: 64 }), seq: t.Integer({ minimum: 0 }) })
export const AckResult = t.Object({ room_id: t.String(), last_ack: t.Integer() })
export const ReadBody = t.Object({ seq: t.Integer({ minimum: 0 }) })
export const ReadResult = t.Object({ room_id: t.String(), last_read: t.Integer() })
