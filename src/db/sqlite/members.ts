// Membership rows and the per-member delivery cursors (ack, read marker), which never move back.

import type { Database } from 'bun:sqlite'
import { conflict } from '../../errors'
import type { Role } from '../../schemas/room'
import { decodeCursor, encodeCursor } from '../cursor'
import type { MemberRow, Membership } from '../rows'
import { BUCKETED_ROOM_MAX_MEMBERS, MEMBER_COLUMNS, memberBucket } from '../room-list'

export function createMemberStore(db: Database) {
  const one = db.query<MemberRow, [string, string]>(`SELECT ${MEMBER_COLUMNS} FROM members WHERE room_id = ? AND user_id = ?`)
  const insert = db.query('INSERT INTO members (room_id, user_id, tenant_id, role, joined_at, activity_bucket) VALUES (?, ?, ?, ?, ?, ?)')
  const bumpCount = db.query('UPDATE rooms SET member_count = member_count + ? WHERE room_id = ?')
  const roomCount = db.query<{ member_count: number; last_activity_at: string }, [string]>(
    'SELECT member_count, last_activity_at FROM rooms WHERE room_id = ?',
  )
  const setBuckets = db.query('UPDATE members SET activity_bucket = ? WHERE room_id = ?')
  const del = db.query('DELETE FROM members WHERE room_id = ? AND user_id = ?')
  const bannedIn = db.query<{ user_id: string }, [string, string, string]>(
    'SELECT user_id FROM room_bans WHERE room_id = ? AND user_id IN (SELECT value FROM json_each(?)) AND (expires_at IS NULL OR expires_at > ?)',
  )
  const pageFirst = db.query<MemberRow, [string, number]>(
    `SELECT ${MEMBER_COLUMNS} FROM members WHERE room_id = ? ORDER BY joined_at, user_id LIMIT ?`,
  )
  const pageNext = db.query<MemberRow, [string, string, string, string, number]>(
    `SELECT ${MEMBER_COLUMNS} FROM members WHERE room_id = ? AND (joined_at > ? OR (joined_at = ? AND user_id > ?))
     ORDER BY joined_at, user_id LIMIT ?`,
  )
  const userIds = db.query<{ user_id: string }, [string]>('SELECT user_id FROM members WHERE room_id = ?')
  // One statement for any number of rooms: the ids travel as one JSON array parameter.
  const userIdsIn = db.query<{ user_id: string }, [string]>(
    'SELECT DISTINCT user_id FROM members WHERE room_id IN (SELECT value FROM json_each(?))',
  )
  const ack = db.query<{ last_ack: number }, [number, string, string]>(
    'UPDATE members SET last_ack = max(last_ack, ?) WHERE room_id = ? AND user_id = ? RETURNING last_ack',
  )
  const read = db.query<{ last_read: number; last_ack: number }, [number, number, string, string]>(
    `UPDATE members SET last_read = max(last_read, ?), last_ack = max(last_ack, ?)
     WHERE room_id = ? AND user_id = ? RETURNING last_read, last_ack`,
  )

  const memberships = db.query<Membership, [string, string]>(
    `SELECT m.room_id, m.last_ack, r.last_seq, r.member_count FROM members m JOIN rooms r ON r.room_id = m.room_id
     WHERE m.tenant_id = ? AND m.user_id = ?`,
  )

  const laggards = db.query<{ user_id: string; last_ack: number; last_seq: number }, [string]>(
    `SELECT m.user_id, m.last_ack, r.last_seq FROM members m JOIN rooms r ON r.room_id = m.room_id
     WHERE m.room_id = ? AND m.last_ack < r.last_seq LIMIT 20000`,
  )

  return {
    get: (roomId: string, userId: string) => one.get(roomId, userId),

    /** Members whose ack is behind the room's last_seq (redelivery candidates). */
    laggards: (roomId: string) => laggards.all(roomId),

    /** Every room of the user with their ack and the room's size (WS subscribe, sync and presence). */
    membershipsOf: (tenantId: string, userId: string) => memberships.all(tenantId, userId),

    page(roomId: string, limit: number, cursor?: string) {
      const rows = cursor
        ? (() => {
            const [at, id] = decodeCursor(cursor, ['string', 'string']) as string[]
            return pageNext.all(roomId, at, at, id, limit + 1)
          })()
        : pageFirst.all(roomId, limit + 1)
      const page = rows.slice(0, limit)
      const last = page[page.length - 1]
      return { rows: page, next_cursor: rows.length > limit ? encodeCursor([last.joined_at, last.user_id]) : null }
    },

    userIds: (roomId: string) => userIds.all(roomId).map((r) => r.user_id),

    /** The distinct members of any of these rooms (presence audiences; callers keep the list short). */
    userIdsIn: (roomIds: string[]) => userIdsIn.all(JSON.stringify(roomIds)).map((r) => r.user_id),

    /**
     * Adds users in one immediate transaction; existing members keep their role. Throws CONFLICT when
     * the room would pass maxMembers. Returns every named member (new and existing) and which are new;
     * adds nobody when one of the new users is banned from the room (`banned` names them). A room
     * that grows past 100 members stops carrying its activity second on member rows.
     */
    add(tenantId: string, roomId: string, userIds: string[], role: Role, at: string, maxMembers: number) {
      return db.transaction(() => {
        const fresh = [...new Set(userIds)].filter((u) => !one.get(roomId, u))
        const banned = fresh.length ? bannedIn.all(roomId, JSON.stringify(fresh), at).map((r) => r.user_id) : []
        if (banned.length) return { rows: [] as MemberRow[], added: new Set<string>(), banned }
        const room = roomCount.get(roomId)
        const count = room?.member_count ?? 0
        if (count + fresh.length > maxMembers) throw conflict(`room is full (max ${maxMembers} members)`)
        const bucket = room ? memberBucket(room.last_activity_at, count + fresh.length) : null
        if (bucket === null && count <= BUCKETED_ROOM_MAX_MEMBERS && fresh.length) setBuckets.run(null, roomId)
        for (const u of fresh) insert.run(roomId, u, tenantId, role, at, bucket)
        if (fresh.length) bumpCount.run(fresh.length, roomId)
        const rows = [...new Set(userIds)].map((u) => one.get(roomId, u)!)
        return { rows, added: new Set(fresh), banned }
      }).immediate()
    },

    /** Removes one member; returns false when they were not a member. A room back at 100 members carries its activity second again. */
    remove(roomId: string, userId: string): boolean {
      return db.transaction(() => {
        if (del.run(roomId, userId).changes !== 1) return false
        bumpCount.run(-1, roomId)
        const room = roomCount.get(roomId)
        if (room?.member_count === BUCKETED_ROOM_MAX_MEMBERS) setBuckets.run(memberBucket(room.last_activity_at, room.member_count), roomId)
        return true
      }).immediate()
    },

    /** Moves the ack forward only (max); returns the resulting ack or null for a non-member. */
    advanceAck: (roomId: string, userId: string, seq: number) => ack.get(seq, roomId, userId)?.last_ack ?? null,

    /** Moves the read marker (and the ack with it) forward only; null for a non-member. */
    advanceRead: (roomId: string, userId: string, seq: number) => read.get(seq, seq, roomId, userId) ?? null,

  }
}
