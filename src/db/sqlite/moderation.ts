// Moderation state on SQLite (SPEC §14): room bans and mutes, tenant bans, blocks, and the one read
// the send path makes about a (room, user) pair.

import type { Database } from 'bun:sqlite'
import { decodeCursor, encodeCursor } from '../cursor'
import type { MemberRow } from '../rows'
import { BUCKETED_ROOM_MAX_MEMBERS, MEMBER_COLUMNS, memberBucket } from '../room-list'
import type { BlockRow, Page, RoomBanRow, RoomMuteRow, SendPolicyRow, TenantBanRow } from '../moderation-rows'

const ACTIVE = '(expires_at IS NULL OR expires_at > $now)'

/** Pages ordered by (created_at, <key>) ascending; `key` names the row's second sort column. */
function pager<R extends { created_at: string }>(db: Database, table: string, scope: string, key: keyof R & string) {
  const first = db.query<R, Record<string, string | number>>(`SELECT * FROM ${table} WHERE ${scope} ORDER BY created_at, ${key} LIMIT $limit`)
  const next = db.query<R, Record<string, string | number>>(
    `SELECT * FROM ${table} WHERE ${scope} AND (created_at > $at OR (created_at = $at AND ${key} > $key)) ORDER BY created_at, ${key} LIMIT $limit`,
  )
  return (params: Record<string, string>, limit: number, cursor?: string): Page<R> => {
    const rows = cursor
      ? (() => {
          const [at, k] = decodeCursor(cursor, ['string', 'string']) as string[]
          return next.all({ ...params, at, key: k, limit: limit + 1 })
        })()
      : first.all({ ...params, limit: limit + 1 })
    const page = rows.slice(0, limit)
    const last = page[page.length - 1]
    return { rows: page, next_cursor: rows.length > limit ? encodeCursor([last.created_at, String(last[key])]) : null }
  }
}

export function createModerationStore(db: Database) {
  const memberOf = db.query<MemberRow, [string, string]>(`SELECT ${MEMBER_COLUMNS} FROM members WHERE room_id = ? AND user_id = ?`)
  const delMember = db.query('DELETE FROM members WHERE room_id = ? AND user_id = ?')
  const countDown = db.query<{ member_count: number; last_activity_at: string }, [string]>(
    'UPDATE rooms SET member_count = member_count - 1 WHERE room_id = ? RETURNING member_count, last_activity_at',
  )
  const setBuckets = db.query('UPDATE members SET activity_bucket = ? WHERE room_id = ?')
  const putRoomBan = db.query(
    `INSERT OR REPLACE INTO room_bans (room_id, user_id, tenant_id, reason, created_by, created_at, expires_at)
     VALUES ($room_id, $user_id, $tenant_id, $reason, $created_by, $created_at, $expires_at)`,
  )
  const liftRoomBan = db.query<RoomBanRow, Record<string, string>>(`DELETE FROM room_bans WHERE room_id = $room AND user_id = $user RETURNING *`)
  const bannedIn = db.query<{ user_id: string }, Record<string, string>>(
    `SELECT user_id FROM room_bans WHERE room_id = $room AND user_id IN (SELECT value FROM json_each($users)) AND ${ACTIVE}`,
  )
  const putMute = db.query(
    `INSERT OR REPLACE INTO room_mutes (room_id, user_id, tenant_id, created_by, created_at, expires_at)
     VALUES ($room_id, $user_id, $tenant_id, $created_by, $created_at, $expires_at)`,
  )
  const liftMute = db.query<RoomMuteRow, Record<string, string>>(`DELETE FROM room_mutes WHERE room_id = $room AND user_id = $user RETURNING *`)
  const policy = db.query<SendPolicyRow, Record<string, string>>(
    `SELECT r.type, r.read_only, m.role, mu.user_id IS NOT NULL AS muted, mu.expires_at AS muted_until,
       CASE WHEN r.type = 'dm' THEN EXISTS (
         SELECT 1 FROM members o JOIN blocks b ON b.tenant_id = r.tenant_id
           AND ((b.user_id = $user AND b.blocked_id = o.user_id) OR (b.user_id = o.user_id AND b.blocked_id = $user))
         WHERE o.room_id = r.room_id AND o.user_id <> $user) ELSE 0 END AS blocked
     FROM rooms r
     LEFT JOIN members m ON m.room_id = r.room_id AND m.user_id = $user
     LEFT JOIN room_mutes mu ON mu.room_id = r.room_id AND mu.user_id = $user AND (mu.expires_at IS NULL OR mu.expires_at > $now)
     WHERE r.tenant_id = $tenant AND r.room_id = $room`,
  )
  const putTenantBan = db.query(
    `INSERT OR REPLACE INTO tenant_bans (tenant_id, user_id, reason, created_by, created_at, expires_at)
     VALUES ($tenant_id, $user_id, $reason, $created_by, $created_at, $expires_at)`,
  )
  const liftTenantBan = db.query<TenantBanRow, Record<string, string>>(`DELETE FROM tenant_bans WHERE tenant_id = $tenant AND user_id = $user RETURNING *`)
  const tenantBan = db.query<TenantBanRow, Record<string, string>>(`SELECT * FROM tenant_bans WHERE tenant_id = $tenant AND user_id = $user AND ${ACTIVE}`)
  const putBlock = db.query('INSERT INTO blocks (tenant_id, user_id, blocked_id, created_at) VALUES ($tenant_id, $user_id, $blocked_id, $created_at) ON CONFLICT DO NOTHING')
  const oneBlock = db.query<BlockRow, [string, string, string]>('SELECT * FROM blocks WHERE tenant_id = ? AND user_id = ? AND blocked_id = ?')
  const delBlock = db.query('DELETE FROM blocks WHERE tenant_id = ? AND user_id = ? AND blocked_id = ?')
  const eitherWay = db.query<{ n: number }, [string, string, string, string, string]>(
    'SELECT EXISTS (SELECT 1 FROM blocks WHERE tenant_id = ? AND ((user_id = ? AND blocked_id = ?) OR (user_id = ? AND blocked_id = ?))) AS n',
  )
  const roomBans = pager<RoomBanRow>(db, 'room_bans', `room_id = $room AND ${ACTIVE}`, 'user_id')
  const roomMutes = pager<RoomMuteRow>(db, 'room_mutes', `room_id = $room AND ${ACTIVE}`, 'user_id')
  const tenantBans = pager<TenantBanRow>(db, 'tenant_bans', `tenant_id = $tenant AND ${ACTIVE}`, 'user_id')
  const blocks = pager<BlockRow>(db, 'blocks', 'tenant_id = $tenant AND user_id = $user', 'blocked_id')
  const inForce = <R extends { expires_at: string | null }>(r: R | null, now: string) => (r && (r.expires_at === null || r.expires_at > now) ? r : null)

  return {
    banFromRoom(ban: RoomBanRow): MemberRow | null {
      return db.transaction(() => {
        putRoomBan.run(ban as unknown as Record<string, string>)
        const member = memberOf.get(ban.room_id, ban.user_id)
        if (!member) return null
        delMember.run(ban.room_id, ban.user_id)
        // As members.remove: a room back at 100 members carries its activity second again (db/room-list.ts).
        const room = countDown.get(ban.room_id)!
        if (room.member_count === BUCKETED_ROOM_MAX_MEMBERS) setBuckets.run(memberBucket(room.last_activity_at, room.member_count), ban.room_id)
        return member
      }).immediate()
    },
    unbanFromRoom: (roomId: string, userId: string, now: string) => inForce(liftRoomBan.get({ room: roomId, user: userId }), now),
    bannedFromRoom: (roomId: string, userIds: string[], now: string) =>
      bannedIn.all({ room: roomId, users: JSON.stringify(userIds), now }).map((r) => r.user_id),
    roomBans: (roomId: string, now: string, limit: number, cursor?: string) => roomBans({ room: roomId, now }, limit, cursor),

    muteInRoom: (mute: RoomMuteRow) => void putMute.run(mute as unknown as Record<string, string>),
    unmuteInRoom: (roomId: string, userId: string, now: string) => inForce(liftMute.get({ room: roomId, user: userId }), now),
    roomMutes: (roomId: string, now: string, limit: number, cursor?: string) => roomMutes({ room: roomId, now }, limit, cursor),

    sendPolicy: (tenantId: string, roomId: string, userId: string, now: string) => policy.get({ tenant: tenantId, room: roomId, user: userId, now }),

    banFromTenant: (ban: TenantBanRow) => void putTenantBan.run(ban as unknown as Record<string, string>),
    unbanFromTenant: (tenantId: string, userId: string, now: string) => inForce(liftTenantBan.get({ tenant: tenantId, user: userId }), now),
    tenantBan: (tenantId: string, userId: string, now: string) => tenantBan.get({ tenant: tenantId, user: userId, now }),
    tenantBans: (tenantId: string, now: string, limit: number, cursor?: string) => tenantBans({ tenant: tenantId, now }, limit, cursor),

    block(row: BlockRow): { row: BlockRow; created: boolean } {
      const created = putBlock.run(row as unknown as Record<string, string>).changes === 1
      return { row: created ? row : oneBlock.get(row.tenant_id, row.user_id, row.blocked_id)!, created }
    },
    unblock: (tenantId: string, userId: string, blockedId: string) => delBlock.run(tenantId, userId, blockedId).changes === 1,
    blocksOf: (tenantId: string, userId: string, limit: number, cursor?: string) => blocks({ tenant: tenantId, user: userId }, limit, cursor),
    blockedEitherWay: (tenantId: string, a: string, b: string) => eitherWay.get(tenantId, a, b, b, a)!.n === 1,
  }
}
