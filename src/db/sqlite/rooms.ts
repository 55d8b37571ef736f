// Room rows: creation with initial members, dm lookup, listing for a user and channel discovery.

import type { Database } from 'bun:sqlite'
import { decodeCursor, encodeCursor } from '../cursor'
import { toRoom, toRoomListPage, type ListRow, type NewRoom, type RoomRow } from '../rows'
import type { ActivityKeys } from './activity'

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
              msg.created_at AS m_created_at, msg.edited_at AS m_edited_at, msg.deleted_at AS m_deleted_at
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
