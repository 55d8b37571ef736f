// Room rows (PostgreSQL): creation with initial members, dm lookup, listing for a user and channel discovery.

import type { SQL } from 'bun'
import { toRoom, toRoomListPage, type ListRow, type NewRoom, type RoomListPage, type RoomRow } from '../rows'
import { LARGE_MEMBERSHIPS_SQL, memberBucket, ROOM_LIST_SQL, roomListParams } from '../room-list'
import { activityKey } from './activity'
import { decodeCursor, encodeCursor } from '../cursor'
import { all, first } from './rows'


export function createRoomStore(sql: SQL, mentions: { unreadCounts(tenantId: string, userId: string, roomIds: string[]): Promise<Record<string, number>> }) {
  const byId = async (q: SQL, tenantId: string, roomId: string) =>
    first<RoomRow>(await q`SELECT * FROM rooms WHERE tenant_id = ${tenantId} AND room_id = ${roomId}`)

  return {
    get: (tenantId: string, roomId: string) => byId(sql, tenantId, roomId),

    /**
     * Creates a room with its members in one transaction. For a dm (unique_key set) an existing room
     * with that key is returned instead, so concurrent creations converge on one: the unique index
     * makes a second INSERT wait for the first creator's transaction, then do nothing, and the
     * SELECT that follows (a new snapshot under READ COMMITTED) returns the winner's room.
     */
    async create(tenantId: string, r: NewRoom): Promise<{ room: RoomRow; created: boolean }> {
      return sql.begin(async (tx) => {
        const [room] = await tx`
          INSERT INTO rooms (room_id, tenant_id, type, name, metadata, unique_key, last_seq, member_count, created_at, last_activity_at)
          VALUES (${r.room_id}, ${tenantId}, ${r.type}, ${r.name}, ${r.metadata}, ${r.unique_key}, 0, ${r.members.length},
                  ${r.created_at}, ${activityKey(tx, r.created_at)})
          ON CONFLICT (tenant_id, unique_key) WHERE unique_key IS NOT NULL DO NOTHING
          RETURNING *`
        if (!room) {
          const existing = first<RoomRow>(await tx`SELECT * FROM rooms WHERE tenant_id = ${tenantId} AND unique_key = ${r.unique_key}`)
          if (!existing) throw new Error(`room with unique_key ${r.unique_key} vanished during create`)
          return { room: existing, created: false }
        }
        if (r.members.length) {
          // the room's key is created_at plus a counter (activityKey): its second is created_at's
          const activity_bucket = memberBucket(r.created_at, r.members.length)
          const rows = r.members.map((m) => ({ room_id: r.room_id, user_id: m.user_id, tenant_id: tenantId, role: m.role, joined_at: r.created_at, activity_bucket }))
          await tx`INSERT INTO members ${tx(rows, 'room_id', 'user_id', 'tenant_id', 'role', 'joined_at', 'activity_bucket')}`
        }
        return { room: room as RoomRow, created: true }
      })
    },

    async update(tenantId: string, roomId: string, patch: { name?: string; metadata?: string; read_only?: boolean }): Promise<RoomRow | null> {
      const readOnly = patch.read_only === undefined ? null : Number(patch.read_only)
      return first<RoomRow>(
        await sql`UPDATE rooms SET name = coalesce(${patch.name ?? null}::text, name), metadata = coalesce(${patch.metadata ?? null}::text, metadata),
            read_only = coalesce(${readOnly}::int, read_only)
          WHERE tenant_id = ${tenantId} AND room_id = ${roomId} RETURNING *`,
      )
    },

    /** The user's rooms, most recently active first, with unread counts (messages and mentions) and the last message (see ROOM_LIST_SQL). */
    async listForUser(tenantId: string, userId: string, limit: number, cursor?: string): Promise<RoomListPage> {
      const params = roomListParams(tenantId, userId, limit, cursor)
      const [rows, [large]] = await Promise.all([sql.unsafe(ROOM_LIST_SQL, params), sql.unsafe(LARGE_MEMBERSHIPS_SQL, [tenantId, userId])])
      const ids = all<ListRow>(rows).slice(0, limit).map((r) => r.room_id)
      return toRoomListPage(all<ListRow>(rows), limit, Number(large.n), await mentions.unreadCounts(tenantId, userId, ids))
    },

    async listChannels(tenantId: string, limit: number, cursor?: string) {
      const after = cursor ? decodeCursor(cursor, ['string', 'string']) : null
      const rows = all<RoomRow>(await sql`
        SELECT * FROM rooms WHERE tenant_id = ${tenantId} AND type = 'channel'
        ${after ? sql`AND (created_at > ${after[0]} OR (created_at = ${after[0]} AND room_id > ${after[1]}))` : sql``}
        ORDER BY created_at, room_id LIMIT ${limit + 1}`)
      const page = rows.slice(0, limit)
      const last = page[page.length - 1]
      return { channels: page.map(toRoom), next_cursor: rows.length > limit ? encodeCursor([last.created_at, last.room_id]) : null }
    },
  }
}
