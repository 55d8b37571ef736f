// Message, ack and read-marker wire shapes (SPEC §4 Messages, Delivery state; §11 the extended message).

import { Type as t, type Static } from '@sinclair/typebox'
import { CLIENT_ID_PATTERN, JsonObject, JsonObjectInput, Nullable, QueryInteger, ServiceChecked, Timestamp, UserId } from './common'
import { EX, exampleMessage } from './examples'

/** At most this many files per message (SPEC §12). */
export const MAX_ATTACHMENTS = 10

/** At most this many distinct reaction keys per message (SPEC §11.4). */
export const MAX_REACTION_KEYS = 25
/** A message's `reactions` lists at most this many reactors per key, earliest first. */
export const MAX_LISTED_REACTORS = 25
/** At most this many mentioned users per message (SPEC §11.5). */
export const MAX_MENTIONS = 50
/** The raw `mentions` list may repeat ids (they count once); this bounds its length all the same. */
export const MAX_MENTION_ITEMS = 4 * MAX_MENTIONS
/** At most this many pinned messages per room (SPEC §11.6). */
export const MAX_PINS = 50

export const ReactionSummary = t.Object(
  {
    key: t.String({ description: 'the reaction: an emoji or a shortcode, 1-64 bytes of UTF-8' }),
    count: t.Integer({ minimum: 1, description: 'how many users reacted with this key' }),
    user_ids: t.Array(t.String(), { maxItems: MAX_LISTED_REACTORS, description: 'up to 25 reactors, earliest first (complete when count <= 25; GET …/reactions lists all)' }),
  },
  { examples: [{ key: '👍', count: 2, user_ids: ['bob', 'carol'] }] },
)
export type ReactionSummary = Static<typeof ReactionSummary>

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

export const Message = t.Object(
  {
    message_id: t.String(),
    room_id: t.String(),
    seq: t.Integer({ description: "the message's place in its room: 1, 2, 3, … with no gaps" }),
    rev: t.Integer({ minimum: 0, description: "the room's change counter at this message's latest change (0: never changed); apply a copy only when its rev is above the one you hold" }),
    sender_id: t.String(),
    content: t.String({ description: '"" once deleted' }),
    meta: Nullable(JsonObject),
    client_msg_id: Nullable(t.String()),
    parent_id: Nullable(t.String({ description: 'the message this one replies to (threads are one level deep)' })),
    reply_count: t.Integer({ minimum: 0, description: 'how many replies this message has' }),
    last_reply_at: Nullable(Timestamp),
    mentions: t.Array(t.String(), { maxItems: MAX_MENTIONS, description: 'user ids this message mentions ([] once deleted)' }),
    attachments: t.Array(Attachment, { maxItems: MAX_ATTACHMENTS, description: 'files attached at send ([] once deleted)' }),
    reactions: t.Array(ReactionSummary, { maxItems: MAX_REACTION_KEYS, description: "in order of each key's first use ([] once deleted)" }),
    pinned_at: Nullable(Timestamp),
    pinned_by: Nullable(t.String()),
    created_at: Timestamp,
    edited_at: Nullable(Timestamp),
    deleted_at: Nullable(Timestamp),
  },
  { description: 'A message; a deleted one keeps its seq with empty content, and loses its mentions, attachments, reactions and pin.', examples: [exampleMessage] },
)
export type Message = Static<typeof Message>

/** `mentions` in a send or an edit: distinct members of the room (checked by the service: 400 on mentions). */
export const MentionsInput = t.Array(UserId, {
  maxItems: MAX_MENTION_ITEMS,
  description: `up to ${MAX_MENTIONS} distinct user ids, each a member of the room now (repeats count once; at most ${MAX_MENTION_ITEMS} entries in all)`,
})

export const SendMessageBody = t.Object(
  {
    content: t.String({ minLength: 1, description: '1 character up to max_message_bytes (UTF-8 bytes)' }),
    meta: t.Optional(JsonObjectInput),
    client_msg_id: t.Optional(
      t.String({ pattern: CLIENT_ID_PATTERN, description: 'idempotency key per sender and room: a retry with the same key answers 200 with the original' }),
    ),
    parent_id: t.Optional(
      t.String({ minLength: 1, maxLength: 64, description: 'reply to this top-level message of the same room (400 when it is unknown or a reply itself; 409 when deleted)' }),
    ),
    mentions: t.Optional(MentionsInput),
    attachments: t.Optional(AttachmentsInput),
  },
  { examples: [{ content: 'The new mockups are up.', client_msg_id: 'c-1f2e3d' }, { content: '@bob looks good', parent_id: EX.messageId, mentions: ['bob'] }] },
)
export type SendMessageBody = Static<typeof SendMessageBody>

export const PatchMessageBody = t.Object(
  {
    content: t.Optional(t.String({ minLength: 1 })),
    meta: t.Optional(JsonObjectInput),
    mentions: t.Optional(MentionsInput),
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
  top_level: t.Optional(
    ServiceChecked(t.String({ description: 'true: leave replies out' }), t.Boolean({ default: false, description: 'true: leave replies out (threads)' })),
  ),
})
export type HistoryQuery = Static<typeof HistoryQuery>
export const RepliesQuery = t.Object({
  after_seq: t.Optional(QueryInteger({ description: 'Page forward: replies with a seq above this one.', minimum: 0 })),
  before_seq: t.Optional(QueryInteger({ description: 'Page back: replies with a seq below this one (not together with after_seq).', minimum: 0 })),
  limit: t.Optional(QueryInteger({ description: 'Page size.', minimum: 1, maximum: 200, default: 50, examples: [50] })),
})
export type RepliesQuery = Static<typeof RepliesQuery>
export const MessagePage = t.Object(
  { messages: t.Array(Message), has_more: t.Boolean({ description: 'more messages exist beyond this page, in its direction' }) },
  { examples: [{ messages: [exampleMessage], has_more: false }] },
)
export const PinnedList = t.Object(
  { messages: t.Array(Message, { maxItems: MAX_PINS, description: 'the pinned messages, newest pin first' }) },
  { examples: [{ messages: [{ ...exampleMessage, rev: 3, pinned_at: EX.later, pinned_by: 'alice' }] }] },
)

export const AckBody = t.Object(
  { room_id: t.String({ minLength: 1, maxLength: 64 }), seq: t.Integer({ minimum: 0, description: "at most the room's last_seq" }) },
  { examples: [{ room_id: EX.roomId, seq: 42 }] },
)
export const AckResult = t.Object({ room_id: t.String(), last_ack: t.Integer() }, { examples: [{ room_id: EX.roomId, last_ack: 42 }] })
export const ReadBody = t.Object({ seq: t.Integer({ minimum: 0, description: "at most the room's last_seq" }) }, { examples: [{ seq: 42 }] })
export const ReadResult = t.Object({ room_id: t.String(), last_read: t.Integer() }, { examples: [{ room_id: EX.roomId, last_read: 42 }] })
