// Room rows: creation with initial members, dm lookup, listing for a user and channel discovery.

import type { Database } from 'bun:sqlite'
import type { Room, RoomListItem, RoomType, Role } from '../../schemas/room'
import { decodeCursor, encodeCursor } from './cursor'
import { toMessage, type MessageRow } from './messages'
import { activityBucket, memberBucket, type ActivityKeys } from './activity'

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

/**
 * A user's rooms, most recently active first (SPEC §4), as one statement shared by both stores
 * (`$n` parameters; roomListParams gives them). Member rows of rooms of at most 100 members carry
 * their room's activity second (members.activity_bucket, kept by every write of
 * rooms.last_activity_at), so a page reads:
 * - `cut`: the bucket of the (limit + 1)-th membership below the cursor's second, walking the index
 *   (tenant_id, user_id, activity_bucket, room_id) backwards: limit + 1 index entries;
 * - `small`: the memberships from that bucket up to the cursor's second, with their rooms' exact
 *   keys, sorted: at least limit + 1 rows, plus those sharing the two boundary seconds (a second
 *   holds at most what the tenant may create or send in one second);
 * - `large`: the user's memberships of larger rooms (NULL bucket, the same index), all of them;
 * then the first limit + 1 of both by (last_activity_at, room_id), and the page rows for those only.
 * Every row of a bucket below the cursor's second sorts below the cursor (a bucket is a prefix of
 * its key), so rows of the cursor's own second are the only ones compared key by key.
 */
export const ROOM_LIST_SQL = `
WITH cut AS (
  SELECT activity_bucket AS b FROM members
  WHERE tenant_id = $1 AND user_id = $2 AND activity_bucket IS NOT NULL AND activity_bucket < $4
  ORDER BY activity_bucket DESC, room_id DESC LIMIT 1 OFFSET $3
),
small AS (
  SELECT m.room_id, r.last_activity_at AS at FROM members m JOIN rooms r ON r.room_id = m.room_id
  WHERE m.tenant_id = $1 AND m.user_id = $2 AND m.activity_bucket IS NOT NULL
    AND m.activity_bucket <= $4 AND m.activity_bucket >= coalesce((SELECT b FROM cut), '')
    AND (r.last_activity_at < $5 OR (r.last_activity_at = $5 AND r.room_id < $6))
  ORDER BY at DESC, m.room_id DESC LIMIT $3 + 1
),
large AS (
  SELECT m.room_id, r.last_activity_at AS at FROM members m JOIN rooms r ON r.room_id = m.room_id
  WHERE m.tenant_id = $1 AND m.user_id = $2 AND m.activity_bucket IS NULL
    AND (r.last_activity_at < $5 OR (r.last_activity_at = $5 AND r.room_id < $6))
  ORDER BY at DESC, m.room_id DESC LIMIT $3 + 1
),
page AS (
  SELECT room_id, at FROM small UNION ALL SELECT room_id, at FROM large
  ORDER BY at DESC, room_id DESC LIMIT $3 + 1
)
SELECT r.*, m.last_read,
       msg.message_id AS m_message_id, msg.room_id AS m_room_id, msg.seq AS m_seq, msg.sender_id AS m_sender_id,
       msg.content AS m_content, msg.meta AS m_meta, msg.client_msg_id AS m_client_msg_id,
       msg.created_at AS m_created_at, msg.edited_at AS m_edited_at, msg.deleted_at AS m_deleted_at
FROM page p JOIN rooms r ON r.room_id = p.room_id
JOIN members m ON m.room_id = p.room_id AND m.user_id = $2
LEFT JOIN messages msg ON msg.room_id = r.room_id AND msg.seq = r.last_seq
ORDER BY r.last_activity_at DESC, r.room_id DESC`

/** How many of the user's memberships a page reads apart (rooms of more than 100 members). */
export const LARGE_MEMBERSHIPS_SQL = 'SELECT count(*) AS n FROM members WHERE tenant_id = $1 AND user_id = $2 AND activity_bucket IS NULL'

/** Sorts after every activity key and bucket (they start with a digit): "no cursor". */
const TOP = '~'

/** The parameters of ROOM_LIST_SQL: tenant, user, limit, the cursor's second, its key and room id. */
export function roomListParams(tenantId: string, userId: string, limit: number, cursor?: string): [string, string, number, string, string, string] {
  if (!cursor) return [tenantId, userId, limit, TOP, TOP, '']
  const [at, id] = decodeCursor(cursor, ['string', 'string']) as [string, string]
  return [tenantId, userId, limit, activityBucket(at), at, id]
}

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

/** A statement written with PostgreSQL's `$n` parameters, for bun:sqlite (`?n`, the same numbering). */
export const sqliteParams = (text: string) => text.replace(/\$(\d+)/g, '?$1')

export function createRoomStore(db: Database, activity: ActivityKeys) {
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
    listForUser(tenantId: string, userId: string, limit: number, cursor?: string): RoomListPage {
      const rows = userRooms.all(...roomListParams(tenantId, userId, limit, cursor))
      return toRoomListPage(rows, limit, largeCount.get(tenantId, userId)!.n)
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
