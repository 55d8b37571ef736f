// Room bans and mutes (owner/admin of a group or channel) and tenant-wide bans (the parent app, API
// key only), SPEC §14. Each change commits, drops what the caches hold about it, is announced as a
// domain event (webhooks, live sockets) and recorded in the audit log before it answers.

import type { Clock } from '../clock'
import type { Store } from '../db/types'
import type { MemberRow } from '../db/rows'
import { toRoomBan, toRoomMute, toTenantBan, type RoomBanRow, type RoomMuteRow } from '../db/moderation-rows'
import { forbidden } from '../errors'
import type { BanBody, MuteBody, RoomBan, RoomMute, TenantBan } from '../schemas/moderation'
import type { Role } from '../schemas/room'
import { isManager, roomFor, type MemberCache } from './access'
import type { Actor, AppCaller } from './actor'
import { requireKey } from './key-only'
import type { AuditLog } from './audit'
import type { EventBus, UserChange } from './events'
import { parseLimit } from './input'
import type { SendPolicy, TenantBanCache } from './moderation-cache'

type Deps = {
  store: Store
  clock: Clock
  events: EventBus
  audit: Pick<AuditLog, 'record'>
  memberships: MemberCache
  policy: SendPolicy
  bans: TenantBanCache
}

type Page = { limit?: string; cursor?: string }

/** SPEC §14 role rules: nobody bans or mutes the owner; an admin bans and mutes plain members only. */
export function checkTarget(by: Role | 'api_key', target: Role | undefined) {
  if (target === 'owner') throw forbidden('nobody bans or mutes the owner of a room')
  if (by === 'admin' && target === 'admin') throw forbidden('an admin bans and mutes plain members only')
}

export function createModerationService({ store, clock, events, audit, memberships, policy, bans }: Deps) {
  const iso = (ms = clock.now()) => new Date(ms).toISOString()
  /** created_at and expires_at of a ban or mute from one reading of the clock (expires_at − created_at = duration_s exactly). */
  const span = (durationS?: number) => {
    const now = clock.now()
    return { created_at: iso(now), expires_at: durationS === undefined ? null : iso(now + durationS * 1000) }
  }
  /** Awaited before a tenant ban answers: with several instances, tells the others (broker/redis.ts). */
  let broadcast: (tenantId: string, userId: string, why: UserChange) => void | Promise<void> = () => {}

  /** The room as its owner or an admin moderates it, and the target's current role (if a member). */
  async function moderated(actor: Actor, roomId: string, userId: string): Promise<MemberRow | null> {
    const { room, member } = await roomFor(store, actor, roomId, 'member')
    if (room.type === 'dm') throw forbidden('a dm has no moderators')
    if (!isManager(member)) throw forbidden('only the owner or an admin may moderate this room')
    const target = userId === actor.userId ? member : await store.members.get(roomId, userId)
    checkTarget(member!.role, target?.role)
    return target
  }

  async function managerOf(actor: Actor, roomId: string) {
    const { room, member } = await roomFor(store, actor, roomId, 'member')
    if (room.type === 'dm' || !isManager(member)) throw forbidden('only the owner or an admin moderates this room')
  }

  /** Bans and removes; shared by the room route and report resolution. `by` is a user id or api_key. */
  async function banInRoom(tenantId: string, roomId: string, userId: string, by: string, reason: string | null, durationS?: number): Promise<RoomBan> {
    const row: RoomBanRow = { room_id: roomId, user_id: userId, tenant_id: tenantId, reason, created_by: by, ...span(durationS) }
    let removed: MemberRow | null
    try {
      removed = await store.moderation.banFromRoom(row)
    } finally {
      memberships.evict(roomId, userId) // after the commit (or a failure), as chatroom.removeMember does
      policy.evictRoom(roomId)
    }
    if (removed) events.emit({ type: 'member.removed', tenantId, roomId, userId, role: removed.role })
    const ban = toRoomBan(row)
    events.emit({ type: 'member.banned', tenantId, ban })
    await audit.record({ tenant_id: tenantId, actor: by, action: 'room.ban', target: userId, data: { room_id: roomId, reason, duration_s: durationS ?? null } })
    return ban
  }

  async function muteInRoom(tenantId: string, roomId: string, userId: string, by: string, durationS?: number): Promise<RoomMute> {
    const row: RoomMuteRow = { room_id: roomId, user_id: userId, tenant_id: tenantId, created_by: by, ...span(durationS) }
    try {
      await store.moderation.muteInRoom(row)
    } finally {
      policy.evictRoom(roomId)
    }
    const mute = toRoomMute(row)
    events.emit({ type: 'member.muted', tenantId, mute })
    await audit.record({ tenant_id: tenantId, actor: by, action: 'room.mute', target: userId, data: { room_id: roomId, duration_s: durationS ?? null } })
    return mute
  }

  /** Tells this instance's caches and sockets, then the other instances, that a user's standing changed. */
  async function userChanged(tenantId: string, userId: string, why: UserChange) {
    bans.evict(tenantId, userId)
    events.emit({ type: 'user.changed', tenantId, userId, why })
    await broadcast(tenantId, userId, why)
  }

  return {
    banInRoom,
    muteInRoom,

    async ban(actor: Actor, roomId: string, body: BanBody): Promise<RoomBan> {
      await moderated(actor, roomId, body.user_id)
      return banInRoom(actor.tenant.tenant_id, roomId, body.user_id, actor.userId, body.reason ?? null, body.duration_s)
    },

    async roomBans(actor: Actor, roomId: string, q: Page) {
      const limit = parseLimit(q.limit)
      await managerOf(actor, roomId)
      const page = await store.moderation.roomBans(roomId, iso(), limit, q.cursor)
      return { bans: page.rows.map(toRoomBan), next_cursor: page.next_cursor }
    },

    /** Lifts a ban (204 also when there was none: the outcome is the same). */
    async unban(actor: Actor, roomId: string, userId: string): Promise<void> {
      await managerOf(actor, roomId)
      const lifted = await store.moderation.unbanFromRoom(roomId, userId, iso())
      if (!lifted) return
      const tenantId = actor.tenant.tenant_id
      events.emit({ type: 'member.unbanned', tenantId, roomId, userId })
      await audit.record({ tenant_id: tenantId, actor: actor.userId, action: 'room.unban', target: userId, data: { room_id: roomId } })
    },

    async mute(actor: Actor, roomId: string, body: MuteBody): Promise<RoomMute> {
      await moderated(actor, roomId, body.user_id)
      return muteInRoom(actor.tenant.tenant_id, roomId, body.user_id, actor.userId, body.duration_s)
    },

    async roomMutes(actor: Actor, roomId: string, q: Page) {
      const limit = parseLimit(q.limit)
      await managerOf(actor, roomId)
      const page = await store.moderation.roomMutes(roomId, iso(), limit, q.cursor)
      return { mutes: page.rows.map(toRoomMute), next_cursor: page.next_cursor }
    },

    async unmute(actor: Actor, roomId: string, userId: string): Promise<void> {
      await managerOf(actor, roomId)
      let lifted: RoomMuteRow | null
      try {
        lifted = await store.moderation.unmuteInRoom(roomId, userId, iso())
      } finally {
        policy.evictRoom(roomId)
      }
      if (!lifted) return
      const tenantId = actor.tenant.tenant_id
      events.emit({ type: 'member.unmuted', tenantId, roomId, userId })
      await audit.record({ tenant_id: tenantId, actor: actor.userId, action: 'room.unmute', target: userId, data: { room_id: roomId } })
    },

    /** A tenant-wide ban: REST 403 and sockets closed 1008 on every instance before this answers. */
    async banFromTenant(caller: AppCaller, body: BanBody): Promise<TenantBan> {
      requireKey(caller)
      const tenantId = caller.tenant.tenant_id
      const row = { tenant_id: tenantId, user_id: body.user_id, reason: body.reason ?? null, created_by: 'api_key', ...span(body.duration_s) }
      await store.moderation.banFromTenant(row)
      await userChanged(tenantId, body.user_id, 'banned')
      const ban = toTenantBan(row)
      events.emit({ type: 'user.banned', tenantId, ban })
      await audit.record({ tenant_id: tenantId, actor: 'api_key', action: 'user.ban', target: body.user_id, data: { reason: row.reason, duration_s: body.duration_s ?? null } })
      return ban
    },

    async tenantBans(caller: AppCaller, q: Page) {
      requireKey(caller)
      const page = await store.moderation.tenantBans(caller.tenant.tenant_id, iso(), parseLimit(q.limit), q.cursor)
      return { bans: page.rows.map(toTenantBan), next_cursor: page.next_cursor }
    },

    async unbanFromTenant(caller: AppCaller, userId: string): Promise<void> {
      requireKey(caller)
      const tenantId = caller.tenant.tenant_id
      const lifted = await store.moderation.unbanFromTenant(tenantId, userId, iso())
      await userChanged(tenantId, userId, 'unbanned') // an expired row was removed too: caches drop it either way
      if (!lifted) return
      events.emit({ type: 'user.unbanned', tenantId, userId })
      await audit.record({ tenant_id: tenantId, actor: 'api_key', action: 'user.unban', target: userId })
    },

    /** For the request gate and the WebSocket layer: is the user banned from the tenant now? */
    isBanned: (tenantId: string, userId: string) => bans.banned(tenantId, userId),

    /**
     * An erasure removed the user's bans, mutes and blocks (SPEC §15): the caches here and the ban
     * caches of the other instances forget them, so the id starts afresh everywhere.
     */
    async userErased(tenantId: string, userId: string) {
      policy.evictTenant(tenantId)
      await userChanged(tenantId, userId, 'unbanned')
    },

    /** Multi-instance: `send` tells the others of a local change; `changedElsewhere` applies theirs here. */
    shareChanges(send: (tenantId: string, userId: string, why: UserChange) => void | Promise<void>) {
      broadcast = send
    },
    changedElsewhere(tenantId: string, userId: string, why: UserChange) {
      bans.evict(tenantId, userId)
      events.emit({ type: 'user.changed', tenantId, userId, why })
    },

    /**
     * Multi-instance, after Redis returned from an outage: ban notices sent meanwhile never came.
     * Forgets every cached answer (REST callers are checked afresh) and checks each user connected
     * here: one banned meanwhile gets the change applied as if its notice had come (sockets close).
     * Resolves to the number of users found banned.
     */
    async resyncAfterOutage(connected: Iterable<{ tenantId: string; userId: string }>): Promise<number> {
      bans.evictAll()
      let banned = 0
      for (const { tenantId, userId } of [...connected]) {
        if (!(await bans.banned(tenantId, userId))) continue
        events.emit({ type: 'user.changed', tenantId, userId, why: 'banned' })
        banned++
      }
      return banned
    },
  }
}

export type ModerationService = ReturnType<typeof createModerationService>
