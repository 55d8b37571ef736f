// Room rows: creation with initial members, dm lookup, listing for a user and channel discovery.

import type { Database } from 'bun:sqlite'
import type { Room, RoomListItem, RoomType, Role } from '../../schemas/room'
import { decodeCursor, encodeCursor } from './cursor'
import { toMessage, type MessageRow } from './messages'
import type { ActivityKeys } from './activity'

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

/** One page of a user's rooms from `limit + 1` joined rows (shared by the SQLite and PostgreSQL stores). */
export function toRoomListPage(rows: ListRow[], limit: number): { rooms: RoomListItem[]; next_cursor: string | null } {
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
        attachments: r.m_attachments ?? null,
      })
    }
    return item
  })
  const last = page[page.length - 1]
  return { rooms, next_cursor: rows.length > limit ? encodeCursor([last.last_activity_at, last.room_id]) : null }
}

export function createRoomStore(db: Database, activity: ActivityKeys) {
  const byId = db.query<RoomRow, [string, string]>('SELECT * FROM rooms WHERE tenant_id = ? AND room_id = ?')
  const byKey = db.query<RoomRow, [string, string]>('SELECT * FROM rooms WHERE tenant_id = ? AND unique_key = ?')
  const insertRoom = db.query(
    `INSERT INTO rooms (room_id, tenant_id, type, name, metadata, unique_key, last_seq, member_count, created_at, last_activity_at)
     VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, ?)`,
  )
  const insertMember = db.query(
    'INSERT INTO members (room_id, user_id, tenant_id, role, joined_at) VALUES (?, ?, ?, ?, ?)',
  )
  const userRooms = (withCursor: boolean) =>
    db.query<ListRow, (string | number)[]>(
      `SELECT r.*, m.last_read,
              msg.message_id AS m_message_id, msg.room_id AS m_room_id, msg.seq AS m_seq, msg.sender_id AS m_sender_id,
              msg.content AS m_content, msg.meta AS m_meta, msg.client_msg_id AS m_client_msg_id,
              msg.created_at AS m_created_at, msg.edited_at AS m_edited_at, msg.deleted_at AS m_deleted_at, msg.attachments AS m_attachments
       FROM members m JOIN rooms r ON r.room_id = m.room_id
       LEFT JOIN messages msg ON msg.room_id = r.room_id AND msg.seq = r.last_seq
       WHERE m.tenant_id = ? AND m.user_id = ?
       ${withCursor ? 'AND (r.last_activity_at < ? OR (r.last_activity_at = ? AND r.room_id < ?))' : ''}
       ORDER BY r.last_activity_at DESC, r.room_id DESC LIMIT ?`,
    )
  const firstPage = userRooms(false)
  const nextPage = userRooms(true)
  const channels = (withCursor: boolean) =>
    db.query<RoomRow, (string | number)[]>(
      `SELECT * FROM rooms WHERE tenant_id = ? AND type = 'channel'
       ${withCursor ? 'AND (created_at > ? OR (created_at = ? AND room_id > ?))' : ''}
       ORDER BY created_at, room_id LIMIT ?`,
    )
  const channelsFirst = channels(false)
  const channelsNext = channels(true)

  return {
    get: (tenantId: string, roomId: string) => byId.get(tenantId, roomId),

    /**
     * Creates a room with its members in one immediate transaction. For a dm (unique_key set) an
     * existing room with that key is returned instead, so concurrent creations converge on one.
     */
    create(tenantId: string, r: NewRoom): { room: RoomRow; created: boolean } {
      return db.transaction(() => {
        if (r.unique_key) {
          const existing = byKey.get(tenantId, r.unique_key)
          if (existing) return { room: existing, created: false }
        }
        insertRoom.run(r.room_id, tenantId, r.type, r.name, r.metadata, r.unique_key, r.members.length, r.created_at, activity(r.created_at))
        for (const m of r.members) insertMember.run(r.room_id, m.user_id, tenantId, m.role, r.created_at)
        return { room: byId.get(tenantId, r.room_id)!, created: true }
      }).immediate()
    },

    update(tenantId: string, roomId: string, patch: { name?: string; metadata?: string }): RoomRow | null {
      db.query('UPDATE rooms SET name = coalesce(?, name), metadata = coalesce(?, metadata) WHERE tenant_id = ? AND room_id = ?').run(
        patch.name ?? null,
        patch.metadata ?? null,
        tenantId,
        roomId,
      )
      return byId.get(tenantId, roomId)
    },

    /** The user's rooms, most recently active first, with unread counts and the last message. */
    listForUser(tenantId: string, userId: string, limit: number, cursor?: string) {
      const rows = cursor
        ? (() => {
            const [at, id] = decodeCursor(cursor, ['string', 'string'])
            return nextPage.all(tenantId, userId, at, at, id, limit + 1)
          })()
        : firstPage.all(tenantId, userId, limit + 1)
      return toRoomListPage(rows, limit)
    },

    listChannels(tenantId: string, limit: number, cursor?: string) {
      const rows = cursor
        ? (() => {
            const [at, id] = decodeCursor(cursor, ['string', 'string'])
            return channelsNext.all(tenantId, at, at, id, limit + 1)
          })()
        : channelsFirst.all(tenantId, limit + 1)
      const page = rows.slice(0, limit)
      const last = page[page.length - 1]
      return { channels: page.map(toRoom), next_cursor: rows.length > limit ? encodeCursor([last.created_at, last.room_id]) : null }
    },

  }
}
