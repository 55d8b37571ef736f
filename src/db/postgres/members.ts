// Membership rows (PostgreSQL) and the per-member delivery cursors (ack, read marker), which never move back.

import type { SQL } from 'bun'
import { conflict } from '../../errors'
import type { Role } from '../../schemas/room'
import type { MemberRow, Membership } from '../rows'
import { decodeCursor, encodeCursor } from '../cursor'
import { BUCKETED_ROOM_MAX_MEMBERS, memberBucket } from '../room-list'
import { all, first } from './rows'

/**
 * Lock order (no deadlocks between instances): a transaction that writes a room row and member
 * rows locks the room row first (messages.appendBatch, add, remove), so two of them can only wait
 * for each other on the room, never in a cycle.
 */
export function createMemberStore(sql: SQL) {
  const one = async (q: SQL, roomId: string, userId: string) =>
    first<MemberRow>(await q`SELECT room_id, user_id, tenant_id, role, joined_at, last_ack, last_read FROM members WHERE room_id = ${roomId} AND user_id = ${userId}`)

  return {
    get: (roomId: string, userId: string) => one(sql, roomId, userId),

    /** Members whose ack is behind the room's last_seq (redelivery candidates). */
    laggards: async (roomId: string) =>
      all<{ user_id: string; last_ack: number; last_seq: number }>(await sql`
        SELECT m.user_id, m.last_ack, r.last_seq FROM members m JOIN rooms r ON r.room_id = m.room_id
        WHERE m.room_id = ${roomId} AND m.last_ack < r.last_seq ORDER BY m.user_id LIMIT 20000`),

    /** Every room of the user with their ack and the room's size (WS subscribe, sync and presence). */
    membershipsOf: async (tenantId: string, userId: string) =>
      all<Membership>(await sql`
        SELECT m.room_id, m.last_ack, r.last_seq, r.member_count FROM members m JOIN rooms r ON r.room_id = m.room_id
        WHERE m.tenant_id = ${tenantId} AND m.user_id = ${userId} ORDER BY m.room_id`),

    async page(roomId: string, limit: number, cursor?: string) {
      const after = cursor ? (decodeCursor(cursor, ['string', 'string']) as string[]) : null
      const rows = all<MemberRow>(await sql`
        SELECT room_id, user_id, tenant_id, role, joined_at, last_ack, last_read FROM members WHERE room_id = ${roomId}
        ${after ? sql`AND (joined_at > ${after[0]} OR (joined_at = ${after[0]} AND user_id > ${after[1]}))` : sql``}
        ORDER BY joined_at, user_id LIMIT ${limit + 1}`)
      const page = rows.slice(0, limit)
      const last = page[page.length - 1]
      return { rows: page, next_cursor: rows.length > limit ? encodeCursor([last.joined_at, last.user_id]) : null }
    },

    userIds: async (roomId: string) =>
      (await sql`SELECT user_id FROM members WHERE room_id = ${roomId} ORDER BY user_id`).map((r: { user_id: string }) => r.user_id) as string[],

    /** The distinct members of any of these rooms (presence audiences; callers keep the list short). */
    userIdsIn: async (roomIds: string[]) =>
      (await sql`SELECT DISTINCT user_id FROM members WHERE room_id = ANY(${roomIds}::text[])`).map((r: { user_id: string }) => r.user_id) as string[],

    /**
     * Adds users in one transaction; existing members keep their role. Throws CONFLICT when the room
     * would pass maxMembers. Returns every named member (new and existing) and which are new; adds
     * nobody when one of the new users is banned from the room (`banned` names them). The room row
     * is locked first (a ban locks it too, db/postgres/moderation.ts), so concurrent adds on several
     * instances count one after the other and cannot pass maxMembers together. A room that grows
     * past 100 members stops carrying its activity second on member rows (db/room-list.ts ROOM_LIST_SQL).
     */
    async add(tenantId: string, roomId: string, userIds: string[], role: Role, at: string, maxMembers: number) {
      const named = [...new Set(userIds)]
      return sql.begin(async (tx) => {
        const [room] = await tx`SELECT member_count, last_activity_at FROM rooms WHERE room_id = ${roomId} FOR NO KEY UPDATE`
        const present = new Set(
          (await tx`SELECT user_id FROM members WHERE room_id = ${roomId} AND user_id = ANY(${named}::text[])`).map((r: { user_id: string }) => r.user_id),
        )
        const fresh = named.filter((u) => !present.has(u))
        if (fresh.length) {
          const banned = (
            await tx`SELECT user_id FROM room_bans WHERE room_id = ${roomId} AND user_id = ANY(${fresh}::text[]) AND (expires_at IS NULL OR expires_at > ${at})`
          ).map((r: { user_id: string }) => r.user_id) as string[]
          if (banned.length) return { rows: [] as MemberRow[], added: new Set<string>(), banned }
        }
        const count = (room?.member_count as number | undefined) ?? 0
        if (count + fresh.length > maxMembers) throw conflict(`room is full (max ${maxMembers} members)`)
        if (fresh.length) {
          const activity_bucket = room ? memberBucket(room.last_activity_at as string, count + fresh.length) : null
          if (activity_bucket === null && count <= BUCKETED_ROOM_MAX_MEMBERS)
            await tx`UPDATE members SET activity_bucket = NULL WHERE room_id = ${roomId}`
          const rows = fresh.map((u) => ({ room_id: roomId, user_id: u, tenant_id: tenantId, role, joined_at: at, activity_bucket }))
          await tx`INSERT INTO members ${tx(rows, 'room_id', 'user_id', 'tenant_id', 'role', 'joined_at', 'activity_bucket')}`
          await tx`UPDATE rooms SET member_count = member_count + ${fresh.length} WHERE room_id = ${roomId}`
        }
        const byUser = new Map<string, MemberRow>()
        for (const r of await tx`SELECT room_id, user_id, tenant_id, role, joined_at, last_ack, last_read FROM members WHERE room_id = ${roomId} AND user_id = ANY(${named}::text[])`) byUser.set(r.user_id, r)
        return { rows: named.map((u) => byUser.get(u)!), added: new Set(fresh), banned: [] as string[] }
      })
    },

    /**
     * Removes one member; returns false when they were not a member. Locks the room row first. A
     * room back at 100 members carries its activity second on member rows again.
     */
    async remove(roomId: string, userId: string): Promise<boolean> {
      return sql.begin(async (tx) => {
        await tx`SELECT 1 FROM rooms WHERE room_id = ${roomId} FOR NO KEY UPDATE`
        const d = await tx`DELETE FROM members WHERE room_id = ${roomId} AND user_id = ${userId}`
        if (d.count !== 1) return false
        const [room] = await tx`UPDATE rooms SET member_count = member_count - 1 WHERE room_id = ${roomId} RETURNING member_count, last_activity_at`
        if (room.member_count === BUCKETED_ROOM_MAX_MEMBERS)
          await tx`UPDATE members SET activity_bucket = ${memberBucket(room.last_activity_at, room.member_count)} WHERE room_id = ${roomId}`
        return true
      })
    },

    /** Moves the ack forward only (greatest); returns the resulting ack or null for a non-member. */
    advanceAck: async (roomId: string, userId: string, seq: number) =>
      (first<{ last_ack: number }>(
        await sql`UPDATE members SET last_ack = greatest(last_ack, ${seq}::int) WHERE room_id = ${roomId} AND user_id = ${userId} RETURNING last_ack`,
      )?.last_ack ?? null),

    /** Moves the read marker (and the ack with it) forward only; null for a non-member. */
    advanceRead: async (roomId: string, userId: string, seq: number) =>
      first<{ last_read: number; last_ack: number }>(
        await sql`UPDATE members SET last_read = greatest(last_read, ${seq}::int), last_ack = greatest(last_ack, ${seq}::int)
          WHERE room_id = ${roomId} AND user_id = ${userId} RETURNING last_read, last_ack`,
      ),
  }
}
