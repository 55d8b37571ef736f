// The dialect-neutral side of the store: row shapes both stores return, the values services pass
// in, and the row → wire mappers. db/sqlite/ and db/postgres/ import these; services, workers and
// the instrumentation import them from here (never from one dialect), see .dependency-cruiser.cjs.

import { conflict, invalid } from '../errors'
import type { MessageChange } from '../schemas/change'
import type { Message } from '../schemas/message'
import type { Room, RoomListItem, RoomType, Role } from '../schemas/room'
import { encodeCursor } from './cursor'

// ── Tenants

export interface TenantRow {
  tenant_id: string
  name: string
  api_key_hash: string
  webhook_secret: string
  user_token_secret: string
  config: string
  created_at: string
}

export type SecretColumn = 'api_key_hash' | 'webhook_secret' | 'user_token_secret'

/** A tenant row's columns; a deleted tenant (deleted_at set, SPEC §15) is never returned: its keys are dead. */
export const TENANT_COLUMNS = 'tenant_id, name, api_key_hash, webhook_secret, user_token_secret, config, created_at'

// ── Messages

export interface MessageRow {
  message_id: string
  room_id: string
  seq: number
  tenant_id: string
  sender_id: string
  content: string
  meta: string | null
  client_msg_id: string | null
  created_at: string
  edited_at: string | null
  deleted_at: string | null
  rev: number
  parent_id: string | null
  reply_count: number
  last_reply_at: string | null
  /** JSON array of user ids, null when none. */
  mentions: string | null
  /** JSON reaction summary (db/reaction-summary.ts), null when none. */
  reactions: string | null
  pinned_at: string | null
  pinned_by: string | null
  /** The room rev the pin was made at (orders pins, newest first); internal. */
  pin_rev: number | null
  /** JSON MessageChange of the change that set rev, null for rev 0; internal (sync frames). */
  last_change: string | null
  /** Wire JSON of the message's attachments (SPEC §12); null: none. */
  attachments: string | null
}

/** A row of a page query: what a client sees (no tenant_id and no internal column). */
export type PageRow = Omit<MessageRow, 'tenant_id' | 'pin_rev' | 'last_change'>

/**
 * What a room's stored messages are at: every change to them moves one of these in its own
 * transaction (a send last_seq, a change to a message last_rev, retention first_seq), so equal
 * stamps mean equal messages (the history cache, services/history-cache.ts).
 */
export interface PageStamp {
  last_seq: number
  last_rev: number
  first_seq: number
}
/** A row of the change feed: the page columns and the change that set its rev. */
export type ChangeRow = PageRow & { last_change: string | null }

/** The columns of PageRow, for SELECT lists (each text column is a new JS string per row: read only these). */
export const PAGE_COLUMNS = [
  'message_id', 'room_id', 'seq', 'rev', 'sender_id', 'content', 'meta', 'client_msg_id', 'parent_id', 'reply_count', 'last_reply_at',
  'mentions', 'attachments', 'reactions', 'pinned_at', 'pinned_by', 'created_at', 'edited_at', 'deleted_at',
] as const satisfies readonly (keyof PageRow)[]
export const pageColumns = (alias = '') => PAGE_COLUMNS.map((c) => alias + c).join(', ')

export const toMessage = (r: PageRow): Message => ({
  message_id: r.message_id,
  room_id: r.room_id,
  seq: r.seq,
  rev: r.rev,
  sender_id: r.sender_id,
  content: r.content,
  meta: r.meta === null ? null : JSON.parse(r.meta),
  client_msg_id: r.client_msg_id,
  parent_id: r.parent_id,
  reply_count: r.reply_count,
  last_reply_at: r.last_reply_at,
  mentions: r.mentions === null ? [] : JSON.parse(r.mentions),
  attachments: r.attachments === null ? [] : JSON.parse(r.attachments),
  reactions: r.reactions === null ? [] : JSON.parse(r.reactions),
  pinned_at: r.pinned_at,
  pinned_by: r.pinned_by,
  created_at: r.created_at,
  edited_at: r.edited_at,
  deleted_at: r.deleted_at,
})

/** The change recorded on a row (null when it never changed). */
export const changeOf = (r: { last_change: string | null }): MessageChange | null => (r.last_change === null ? null : JSON.parse(r.last_change))

export interface NewMessage {
  tenant_id: string
  room_id: string
  sender_id: string
  message_id: string
  content: string
  meta: string | null
  client_msg_id: string | null
  created_at: string
  /** A reply's parent (a top-level message of the same room), else null. */
  parent_id: string | null
  /** Distinct user ids it mentions ([] for none). */
  mentions: string[]
  /** Wire JSON of the attachments, built by the service from the uploads it checked; null (or absent): none. */
  attachments?: string | null
  /** The upload ids of `attachments`: checked live again and linked in the append's transaction. */
  upload_ids?: readonly string[]
}

/**
 * The outcome of one append: the stored row, and whether it is new or a client_msg_id replay. A new
 * reply also gives its parent's row after the reply counted (a `reply` change, SPEC §11.3).
 */
export type AppendResult = { ok: true; row: MessageRow; created: boolean; parent?: MessageRow } | { ok: false; error: unknown }

/** The row a new message gets from its NewMessage (the INSERT's defaults). */
export const newRow = (m: NewMessage, seq: number): MessageRow => ({
  message_id: m.message_id,
  room_id: m.room_id,
  seq,
  tenant_id: m.tenant_id,
  sender_id: m.sender_id,
  content: m.content,
  meta: m.meta,
  client_msg_id: m.client_msg_id,
  created_at: m.created_at,
  edited_at: null,
  deleted_at: null,
  rev: 0,
  parent_id: m.parent_id,
  reply_count: 0,
  last_reply_at: null,
  mentions: m.mentions.length ? JSON.stringify(m.mentions) : null,
  reactions: null,
  pinned_at: null,
  pinned_by: null,
  pin_rev: null,
  last_change: null,
  attachments: m.attachments ?? null,
})

/** Why a parent cannot take a reply (SPEC §11.3), or null when it can. */
export function parentProblem(parent: Pick<MessageRow, 'parent_id' | 'deleted_at'> | null): Error | null {
  if (!parent) return invalid('parent_id', 'parent_id must be a message of this room')
  if (parent.parent_id !== null) return invalid('parent_id', 'parent_id must be a top-level message (replies are one level deep)')
  if (parent.deleted_at !== null) return conflict('the parent message is deleted')
  return null
}

/** A store change to one message: the row after it, and whether anything changed (false: no rev, no event). */
export interface Changed {
  row: MessageRow
  changed: boolean
}

/** One reaction change of a batch (SPEC §11.4): `user_id` adds or removes `key` on the message at (room_id, seq). */
export interface ReactionOp {
  op: 'add' | 'remove'
  room_id: string
  seq: number
  key: string
  user_id: string
  at: string
}

/** The outcome of one item of a batch: the change, or this item's error (a CONFLICT, say) while the others stand. */
export type ChangeResult = ({ ok: true } & Changed) | { ok: false; error: unknown }

// ── Uploads (SPEC §12)

export interface UploadRow {
  upload_id: string
  tenant_id: string
  uploader_id: string
  filename: string
  content_type: string
  bytes: number
  sha256: string
  width: number | null
  height: number | null
  storage_key: string
  created_at: string
  attached_at: string | null
  deleted_at: string | null
}

export type NewUpload = Omit<UploadRow, 'attached_at' | 'deleted_at'>

/** A doomed upload: its row is invisible and its file is still to be removed. */
export interface DoomedUpload {
  upload_id: string
  storage_key: string
}

// ── Rooms

export interface RoomRow {
  room_id: string
  tenant_id: string
  type: RoomType
  name: string | null
  metadata: string | null
  unique_key: string | null
  last_seq: number
  member_count: number
  created_at: string
  last_activity_at: string
  last_rev: number
  /** The oldest seq still stored (retention moves it up; SPEC §15). */
  first_seq: number
  /** 1: only the owner and admins send (SPEC §14). */
  read_only: number
}

/** A room row's columns; a deleted room's (deleted_at set, SPEC §15) are never returned. */
export const ROOM_COLUMNS = 'room_id, tenant_id, type, name, metadata, unique_key, last_seq, member_count, created_at, last_activity_at, last_rev, first_seq, read_only'

export const toRoom = (r: RoomRow): Room => ({
  room_id: r.room_id,
  type: r.type,
  name: r.name,
  metadata: r.metadata === null ? null : JSON.parse(r.metadata),
  unique_key: r.unique_key,
  last_seq: r.last_seq,
  last_rev: r.last_rev,
  first_seq: r.first_seq,
  member_count: r.member_count,
  read_only: r.read_only === 1,
  created_at: r.created_at,
})

export interface NewRoom {
  room_id: string
  type: RoomType
  name: string | null
  metadata: string | null
  unique_key: string | null
  created_at: string
  members: { user_id: string; role: Role }[]
}

export type ListRow = RoomRow & { last_read: number } & { [K in keyof PageRow as `m_${K}`]: PageRow[K] | null }

/** The last message's columns in a room-list query, each as m_<column> (the message joined as `msg`). */
export const LAST_MESSAGE_COLUMNS = PAGE_COLUMNS.map((c) => `msg.${c} AS m_${c}`).join(', ')

export interface RoomListPage {
  rooms: RoomListItem[]
  next_cursor: string | null
  /** The user's memberships of rooms of more than 100 members: every page reads them (the cost of a page). */
  large_memberships: number
}

/**
 * One page of a user's rooms from `limit + 1` joined rows (shared by the SQLite and PostgreSQL
 * stores); `unreadMentions` has the counts of the page's rooms (absent: 0).
 */
export function toRoomListPage(rows: ListRow[], limit: number, largeMemberships: number, unreadMentions: Record<string, number> = {}): RoomListPage {
  const page = rows.slice(0, limit)
  const rooms: RoomListItem[] = page.map((r) => {
    // Messages below first_seq are gone (retention): a marker below it counts only what is stored.
    const unread = Math.max(0, r.last_seq - Math.max(r.last_read, r.first_seq - 1))
    const item: RoomListItem = { ...toRoom(r), unread_count: unread, unread_mentions: unreadMentions[r.room_id] ?? 0 }
    if (r.m_message_id) {
      const m = Object.fromEntries(PAGE_COLUMNS.map((c) => [c, r[`m_${c}`]])) as unknown as PageRow
      item.last_message = toMessage(m)
    }
    return item
  })
  const last = page[page.length - 1]
  return { rooms, next_cursor: rows.length > limit ? encodeCursor([last.last_activity_at, last.room_id]) : null, large_memberships: largeMemberships }
}

// ── Members

export interface MemberRow {
  room_id: string
  user_id: string
  tenant_id: string
  role: Role
  joined_at: string
  last_ack: number
  last_read: number
}

export interface Membership {
  room_id: string
  last_ack: number
  last_seq: number
  member_count: number
}

// ── Notifications and subscriptions

export interface NotificationRow {
  notification_id: string
  tenant_id: string
  topic: string
  payload: string
  created_at: string
  expires_at: number
}

export interface SubscriptionRow {
  subscription_id: string
  tenant_id: string
  user_id: string
  topic: string
  endpoint: string | null
  created_at: string
}

// ── The HTTP outbox

export interface DeliveryRow {
  delivery_id: string
  tenant_id: string
  kind: 'webhook' | 'notification'
  url: string
  event_id: string
  ref_id: string
  body: string
  attempts: number
  next_attempt_at: number
  state: 'pending' | 'delivered' | 'dead'
  last_error: string | null
  created_at: string
  last_attempt_at: string | null
}

export type NewDelivery = Pick<DeliveryRow, 'delivery_id' | 'tenant_id' | 'kind' | 'url' | 'event_id' | 'ref_id' | 'body' | 'next_attempt_at' | 'created_at'>

// ── Dead letters

export interface DeadLetterRow {
  id: string
  kind: 'message' | 'notification' | 'webhook'
  tenant_id: string
  target: string
  ref_id: string
  from_seq: number | null
  to_seq: number | null
  delivery_id: string | null
  attempts: number
  last_error: string | null
  created_at: string
  last_attempt_at: string | null
}

// ── Attempt results of the delivery worker

export type AttemptResult =
  | { delivery_id: string; outcome: 'ok' }
  /** tenant_id: the row's tenant, for the admin console's per-tenant failure series (metrics only). */
  | { delivery_id: string; outcome: 'failed'; error: string; tenant_id?: string }
  /** Skipped while the endpoint's circuit is open: does not count as an attempt (SPEC §6). */
  | { delivery_id: string; outcome: 'skipped'; retry_at: number }

export interface ResultPolicy {
  now: number
  /** Retries after the first attempt before a dead letter. */
  retryMax: number
  /** Delay before attempt number `attempt` + 1. */
  retryDelay(attempt: number): number
  newDeadLetterId(): string
}

/** The dead letter of an outbox row that exhausted its attempts (SPEC §10: target = URL, ref_id). */
export function deadLetterFor(row: DeliveryRow, id: string, at: string): DeadLetterRow {
  return {
    id,
    kind: row.kind,
    tenant_id: row.tenant_id,
    target: row.url,
    ref_id: row.ref_id,
    from_seq: null,
    to_seq: null,
    delivery_id: row.delivery_id,
    attempts: row.attempts,
    last_error: row.last_error,
    created_at: at,
    last_attempt_at: at,
  }
}
