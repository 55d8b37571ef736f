// Room rows: creation with initial members, dm lookup, listing for a user and channel discovery.

import type { Database } from 'bun:sqlite'
import { decodeCursor, encodeCursor } from '../cursor'
import { toRoom, toRoomListPage, type ListRow, type NewRoom, type RoomListPage, type RoomRow } from '../rows'
import { LARGE_MEMBERSHIPS_SQL, memberBucket, ROOM_LIST_SQL, roomListParams } from '../room-list'
import type { ActivityKeys } from './activity'
import type { MentionStore } from './mentions'

/** A statement written with PostgreSQL's `$n` parameters, for bun:sqlite (`?n`, the same numbering). */
export const sqliteParams = (text: string) => text.replace(/\$(\d+)/g, '?$1')

export function createRoomStore(db: Database, activity: ActivityKeys, mentions: Pick<MentionStore, 'unreadCounts'>) {
  const byId = db.query<RoomRow, [string, string]>('SELECT * FROM rooms WHERE tenant_id = ? AND room_id = ?')
  const byKey = db.query<RoomRow, [string, string]>('SELECT * FROM rooms WHERE tenant_id = ? AND unique_key = ?')
  const insertRoom = db.query(
    `INSERT INTO rooms (room_id, tenant_id, type, name, metadata, unique_key, last_seq, member_count, created_at, last_activity_at)
     VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, ?)`,
  )
  const insertMember = db.query(
    'INSERT INTO members (room_id, user_id, tenant_id, role, joined_at, activity_bucket) VALUES (?, ?, ?, ?, ?, ?)',
  )
  const userRooms = db.query<ListRow, (string | number)[]>(sqliteParams(ROOM_LIST_SQL))
  const largeCount = db.query<{ n: number }, [string, string]>(sqliteParams(LARGE_MEMBERSHIPS_SQL))
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
        const key = activity(r.created_at)
        const bucket = memberBucket(key, r.members.length)
        insertRoom.run(r.room_id, tenantId, r.type, r.name, r.metadata, r.unique_key, r.members.length, r.created_at, key)
        for (const m of r.members) insertMember.run(r.room_id, m.user_id, tenantId, m.role, r.created_at, bucket)
        return { room: byId.get(tenantId, r.room_id)!, created: true }
      }).immediate()
    },

    update(tenantId: string, roomId: string, patch: { name?: string; metadata?: string; read_only?: boolean }): RoomRow | null {
      db.query(
        'UPDATE rooms SET name = coalesce(?, name), metadata = coalesce(?, metadata), read_only = coalesce(?, read_only) WHERE tenant_id = ? AND room_id = ?',
      ).run(patch.name ?? null, patch.metadata ?? null, patch.read_only === undefined ? null : Number(patch.read_only), tenantId, roomId)
      return byId.get(tenantId, roomId)
    },

    /** The user's rooms, most recently active first, with unread counts (messages and mentions) and the last message. */
    listForUser(tenantId: string, userId: string, limit: number, cursor?: string): RoomListPage {
      const rows = userRooms.all(...roomListParams(tenantId, userId, limit, cursor))
      const ids = rows.slice(0, limit).map((r) => r.room_id)
      return toRoomListPage(rows, limit, largeCount.get(tenantId, userId)!.n, mentions.unreadCounts(tenantId, userId, ids))
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
