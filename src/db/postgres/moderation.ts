// Moderation state on PostgreSQL (SPEC §14), the same methods and rows as db/sqlite/moderation.ts.

import type { SQL } from 'bun'
import { decodeCursor, encodeCursor } from '../cursor'
import type { MemberRow } from '../rows'
import { BUCKETED_ROOM_MAX_MEMBERS, memberBucket } from '../room-list'
import type { BlockRow, Page, RoomBanRow, RoomMuteRow, SendPolicyRow, TenantBanRow } from '../moderation-rows'
import { all, first } from './rows'

/** A piece of a query (a condition) to splice into another. */
type Fragment = SQL.Query<unknown>

/** A page ordered by (created_at, <key>) ascending; `where` scopes it, `key` is the second sort column. */
async function page<R extends { created_at: string }>(sql: SQL, table: string, where: Fragment, key: keyof R & string, limit: number, cursor?: string): Promise<Page<R>> {
  const after = cursor ? (decodeCursor(cursor, ['string', 'string']) as string[]) : null
  const rows = all<R>(await sql`
    SELECT * FROM ${sql(table)} WHERE ${where}
    ${after ? sql`AND (created_at > ${after[0]} OR (created_at = ${after[0]} AND ${sql(key)} > ${after[1]}))` : sql``}
    ORDER BY created_at, ${sql(key)} LIMIT ${limit + 1}`)
  const out = rows.slice(0, limit)
  const last = out[out.length - 1]
  return { rows: out, next_cursor: rows.length > limit ? encodeCursor([last.created_at, String(last[key])]) : null }
}

const inForce = <R extends { expires_at: string | null }>(r: R | null, now: string) => (r && (r.expires_at === null || r.expires_at > now) ? r : null)

export function createModerationStore(sql: SQL) {
  const active = (now: string) => sql`(expires_at IS NULL OR expires_at > ${now})`

  return {
    /** Locks the room row first, like members.add and remove (see db/postgres/members.ts). */
    async banFromRoom(ban: RoomBanRow): Promise<MemberRow | null> {
      return sql.begin(async (tx) => {
        await tx`SELECT 1 FROM rooms WHERE room_id = ${ban.room_id} FOR NO KEY UPDATE`
        await tx`INSERT INTO room_bans ${tx({ ...ban }, 'room_id', 'user_id', 'tenant_id', 'reason', 'created_by', 'created_at', 'expires_at')}
          ON CONFLICT (room_id, user_id) DO UPDATE SET reason = excluded.reason, created_by = excluded.created_by,
            created_at = excluded.created_at, expires_at = excluded.expires_at`
        const member = first<MemberRow>(
          await tx`DELETE FROM members WHERE room_id = ${ban.room_id} AND user_id = ${ban.user_id}
            RETURNING room_id, user_id, tenant_id, role, joined_at, last_ack, last_read`,
        )
        if (!member) return null
        // As members.remove: a room back at 100 members carries its activity second again (db/room-list.ts).
        const [room] = await tx`UPDATE rooms SET member_count = member_count - 1 WHERE room_id = ${ban.room_id} RETURNING member_count, last_activity_at`
        if (room.member_count === BUCKETED_ROOM_MAX_MEMBERS)
          await tx`UPDATE members SET activity_bucket = ${memberBucket(room.last_activity_at, room.member_count)} WHERE room_id = ${ban.room_id}`
        return member
      })
    },
    unbanFromRoom: async (roomId: string, userId: string, now: string) =>
      inForce(first<RoomBanRow>(await sql`DELETE FROM room_bans WHERE room_id = ${roomId} AND user_id = ${userId} RETURNING *`), now),
    bannedFromRoom: async (roomId: string, userIds: string[], now: string) =>
      (await sql`SELECT user_id FROM room_bans WHERE room_id = ${roomId} AND user_id = ANY(${userIds}::text[]) AND ${active(now)}`).map(
        (r: { user_id: string }) => r.user_id,
      ) as string[],
    roomBans: (roomId: string, now: string, limit: number, cursor?: string) =>
      page<RoomBanRow>(sql, 'room_bans', sql`room_id = ${roomId} AND ${active(now)}`, 'user_id', limit, cursor),

    muteInRoom: async (m: RoomMuteRow) =>
      void (await sql`INSERT INTO room_mutes ${sql({ ...m }, 'room_id', 'user_id', 'tenant_id', 'created_by', 'created_at', 'expires_at')}
        ON CONFLICT (room_id, user_id) DO UPDATE SET created_by = excluded.created_by, created_at = excluded.created_at, expires_at = excluded.expires_at`),
    unmuteInRoom: async (roomId: string, userId: string, now: string) =>
      inForce(first<RoomMuteRow>(await sql`DELETE FROM room_mutes WHERE room_id = ${roomId} AND user_id = ${userId} RETURNING *`), now),
    roomMutes: (roomId: string, now: string, limit: number, cursor?: string) =>
      page<RoomMuteRow>(sql, 'room_mutes', sql`room_id = ${roomId} AND ${active(now)}`, 'user_id', limit, cursor),

    sendPolicy: async (tenantId: string, roomId: string, userId: string, now: string) =>
      first<SendPolicyRow>(await sql`
        SELECT r.type, r.read_only, m.role, (mu.user_id IS NOT NULL)::int AS muted, mu.expires_at AS muted_until,
          (r.type = 'dm' AND EXISTS (
            SELECT 1 FROM members o JOIN blocks b ON b.tenant_id = r.tenant_id
              AND ((b.user_id = ${userId} AND b.blocked_id = o.user_id) OR (b.user_id = o.user_id AND b.blocked_id = ${userId}))
            WHERE o.room_id = r.room_id AND o.user_id <> ${userId}))::int AS blocked
        FROM rooms r
        LEFT JOIN members m ON m.room_id = r.room_id AND m.user_id = ${userId}
        LEFT JOIN room_mutes mu ON mu.room_id = r.room_id AND mu.user_id = ${userId} AND (mu.expires_at IS NULL OR mu.expires_at > ${now})
        WHERE r.tenant_id = ${tenantId} AND r.room_id = ${roomId}`),

    banFromTenant: async (b: TenantBanRow) =>
      void (await sql`INSERT INTO tenant_bans ${sql({ ...b }, 'tenant_id', 'user_id', 'reason', 'created_by', 'created_at', 'expires_at')}
        ON CONFLICT (tenant_id, user_id) DO UPDATE SET reason = excluded.reason, created_by = excluded.created_by,
          created_at = excluded.created_at, expires_at = excluded.expires_at`),
    unbanFromTenant: async (tenantId: string, userId: string, now: string) =>
      inForce(first<TenantBanRow>(await sql`DELETE FROM tenant_bans WHERE tenant_id = ${tenantId} AND user_id = ${userId} RETURNING *`), now),
    tenantBan: async (tenantId: string, userId: string, now: string) =>
      first<TenantBanRow>(await sql`SELECT * FROM tenant_bans WHERE tenant_id = ${tenantId} AND user_id = ${userId} AND ${active(now)}`),
    tenantBans: (tenantId: string, now: string, limit: number, cursor?: string) =>
      page<TenantBanRow>(sql, 'tenant_bans', sql`tenant_id = ${tenantId} AND ${active(now)}`, 'user_id', limit, cursor),

    async block(row: BlockRow): Promise<{ row: BlockRow; created: boolean }> {
      const inserted = first<BlockRow>(await sql`INSERT INTO blocks ${sql({ ...row }, 'tenant_id', 'user_id', 'blocked_id', 'created_at')} ON CONFLICT DO NOTHING RETURNING *`)
      if (inserted) return { row: inserted, created: true }
      const existing = first<BlockRow>(await sql`SELECT * FROM blocks WHERE tenant_id = ${row.tenant_id} AND user_id = ${row.user_id} AND blocked_id = ${row.blocked_id}`)
      return { row: existing ?? row, created: false }
    },
    unblock: async (tenantId: string, userId: string, blockedId: string) =>
      (await sql`DELETE FROM blocks WHERE tenant_id = ${tenantId} AND user_id = ${userId} AND blocked_id = ${blockedId}`).count === 1,
    blocksOf: (tenantId: string, userId: string, limit: number, cursor?: string) =>
      page<BlockRow>(sql, 'blocks', sql`tenant_id = ${tenantId} AND user_id = ${userId}`, 'blocked_id', limit, cursor),
    blockedEitherWay: async (tenantId: string, a: string, b: string) =>
      first<{ n: boolean }>(await sql`SELECT EXISTS (SELECT 1 FROM blocks WHERE tenant_id = ${tenantId}
        AND ((user_id = ${a} AND blocked_id = ${b}) OR (user_id = ${b} AND blocked_id = ${a}))) AS n`)!.n === true,
  }
}
