// The dialect-neutral side of the store: row shapes both stores return, the values services pass
// in, and the row → wire mappers. db/sqlite/ and db/postgres/ import these; services, workers and
// the instrumentation import them from here (never from one dialect), see .dependency-cruiser.cjs.

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
}

/** A row of a page query: what a client sees (no tenant_id). */
export type PageRow = Omit<MessageRow, 'tenant_id'>

export const toMessage = (r: PageRow): Message => ({
  message_id: r.message_id,
  room_id: r.room_id,
  seq: r.seq,
  sender_id: r.sender_id,
  content: r.content,
  meta: r.meta === null ? null : JSON.parse(r.meta),
  client_msg_id: r.client_msg_id,
  created_at: r.created_at,
  edited_at: r.edited_at,
  deleted_at: r.deleted_at,
})

export interface NewMessage {
  tenant_id: string
  room_id: string
  sender_id: string
  message_id: string
  content: string
  meta: string | null
  client_msg_id: string | null
  created_at: string
}

/** The outcome of one append: the stored row, and whether it is new or a client_msg_id replay. */
export type AppendResult = { ok: true; row: MessageRow; created: boolean } | { ok: false; error: unknown }

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
}

export const toRoom = (r: RoomRow): Room => ({
  room_id: r.room_id,
  type: r.type,
  name: r.name,
  metadata: r.metadata === null ? null : JSON.parse(r.metadata),
  unique_key: r.unique_key,
  last_seq: r.last_seq,
  member_count: r.member_count,
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

export type ListRow = RoomRow & { last_read: number } & { [K in keyof MessageRow as `m_${K}`]: MessageRow[K] | null }

export interface RoomListPage {
  rooms: RoomListItem[]
  next_cursor: string | null
  /** The user's memberships of rooms of more than 100 members: every page reads them (the cost of a page). */
  large_memberships: number
}

/** One page of a user's rooms from `limit + 1` joined rows (shared by the SQLite and PostgreSQL stores). */
export function toRoomListPage(rows: ListRow[], limit: number, largeMemberships: number): RoomListPage {
  const page = rows.slice(0, limit)
  const rooms: RoomListItem[] = page.map((r) => {
    const item: RoomListItem = { ...toRoom(r), unread_count: Math.max(0, r.last_seq - r.last_read) }
    if (r.m_message_id) {
      item.last_message = toMessage({
        message_id: r.m_message_id,
        room_id: r.m_room_id!,
        seq: r.m_seq!,
        sender_id: r.m_sender_id!,
        content: r.m_content!,
        meta: r.m_meta,
        client_msg_id: r.m_client_msg_id,
        created_at: r.m_created_at!,
        edited_at: r.m_edited_at,
        deleted_at: r.m_deleted_at,
      })
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
