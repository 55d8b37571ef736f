// Rooms and membership: creation (dm idempotency), discovery, join/leave, add/remove with role rules.

import { isoNow, type Clock } from '../clock'
import type { MemberRow, Store } from '../db/types'
import { toRoom } from '../db/rows'
import { conflict, forbidden, invalid, notFound } from '../errors'
import { newId } from '../ids'
import type { PresenceStore } from '../broker/types'
import type { AddMembersBody, CreateRoomBody, Member, PatchRoomBody, Role, Room } from '../schemas/room'
import type { Actor } from './actor'
import { jsonField, parseLimit } from './input'
import { isManager, roomFor, type MemberCache } from './access'
import type { EventBus } from './events'
import type { AuditLog } from './audit'
import type { SendPolicy } from './moderation-cache'

type Deps = {
  store: Store
  clock: Clock
  events: EventBus
  presence: PresenceStore
  memberships: MemberCache
  /** Dropped after a membership or read-only change: the send checks read the room again. */
  policy: Pick<SendPolicy, 'evictRoom'>
  audit: Pick<AuditLog, 'record'>
}

/** `dm:` + both user ids in byte order joined by `|` (SPEC §4), a character user ids cannot contain. */
export const dmKey = (a: string, b: string) => {
  const [x, y] = Buffer.compare(Buffer.from(a), Buffer.from(b)) <= 0 ? [a, b] : [b, a]
  return `dm:${x}|${y}`
}

export function createChatroomService({ store, clock, events, presence, memberships, policy, audit }: Deps) {
  const tid = (a: Actor) => a.tenant.tenant_id

  /** A member as `actor` may see it: others' cursors only with read_receipts, online only with presence. */
  async function toMember(actor: Actor, m: MemberRow): Promise<Member> {
    const f = actor.tenant.config.features
    const own = m.user_id === actor.userId
    return {
      user_id: m.user_id,
      role: m.role,
      joined_at: m.joined_at,
      last_ack: own || f.read_receipts ? m.last_ack : null,
      last_read: own || f.read_receipts ? m.last_read : null,
      online: f.presence ? await presence.isOnline(tid(actor), m.user_id) : null,
    }
  }

  const added = (actor: Actor, roomId: string, m: MemberRow) =>
    events.emit({ type: 'member.added', tenantId: tid(actor), roomId, userId: m.user_id, role: m.role })

  return {
    toMember,

    async create(actor: Actor, body: CreateRoomBody): Promise<{ room: Room; created: boolean }> {
      const metadata = jsonField('metadata', body.metadata)
      const others = [...new Set(body.members)].filter((u) => u !== actor.userId)
      const at = isoNow(clock)
      const cfg = actor.tenant.config
      let members: { user_id: string; role: Role }[]
      let uniqueKey: string | null = null
      if (body.type === 'dm') {
        if (others.length !== 1) throw invalid('members', `a dm needs exactly one other user in members (got ${others.length})`)
        // SPEC §14: when either user blocks the other, neither opens a dm with the other.
        if (await store.moderation.blockedEitherWay(tid(actor), actor.userId, others[0])) throw forbidden('you cannot open a dm with this user')
        uniqueKey = dmKey(actor.userId, others[0])
        members = [actor.userId, others[0]].map((u) => ({ user_id: u, role: 'member' as const }))
      } else {
        if (others.length + 1 > cfg.max_room_members)
          throw invalid('members', `a room holds at most ${cfg.max_room_members} members, the creator included`)
        members = [{ user_id: actor.userId, role: 'owner' }, ...others.map((u) => ({ user_id: u, role: 'member' as const }))]
      }
      const { room, created } = await store.rooms.create(tid(actor), {
        room_id: newId('room'),
        type: body.type,
        name: body.name ?? null,
        metadata,
        unique_key: uniqueKey,
        created_at: at,
        members,
      })
      const wire = toRoom(room)
      if (created) events.emit({ type: 'room.created', tenantId: tid(actor), room: wire, memberIds: members.map((m) => m.user_id) })
      return { room: wire, created }
    },

    get: async (actor: Actor, roomId: string): Promise<Room> => toRoom((await roomFor(store, actor, roomId, 'view')).room),

    async patch(actor: Actor, roomId: string, body: PatchRoomBody): Promise<Room> {
      const metadata = jsonField('metadata', body.metadata)
      const { room, member } = await roomFor(store, actor, roomId, 'member')
      if (!isManager(member)) throw forbidden('only the owner or an admin may change the room')
      let updated
      try {
        updated = (await store.rooms.update(tid(actor), roomId, { name: body.name, metadata: metadata ?? undefined, read_only: body.read_only }))!
      } finally {
        if (body.read_only !== undefined) policy.evictRoom(roomId)
      }
      if (body.read_only !== undefined && updated.read_only !== room.read_only)
        await audit.record({ tenant_id: tid(actor), actor: actor.userId, action: 'room.read_only', target: roomId, data: { read_only: body.read_only } })
      return toRoom(updated)
    },

    list: (actor: Actor, q: { limit?: string; cursor?: string }) =>
      store.rooms.listForUser(tid(actor), actor.userId, parseLimit(q.limit), q.cursor),

    channels: (actor: Actor, q: { limit?: string; cursor?: string }) =>
      store.rooms.listChannels(tid(actor), parseLimit(q.limit), q.cursor),

    async members(actor: Actor, roomId: string, q: { limit?: string; cursor?: string }) {
      const limit = parseLimit(q.limit)
      await roomFor(store, actor, roomId, 'member')
      const page = await store.members.page(roomId, limit, q.cursor)
      return { members: await Promise.all(page.rows.map((m) => toMember(actor, m))), next_cursor: page.next_cursor }
    },

    /** Channels only; an existing member gets their current membership (SPEC §10). */
    async join(actor: Actor, roomId: string): Promise<Member> {
      const { room, member } = await roomFor(store, actor, roomId, 'view')
      if (room.type !== 'channel') throw forbidden('only channels can be joined')
      if (member) return toMember(actor, member)
      const { rows, banned } = await store.members.add(tid(actor), roomId, [actor.userId], 'member', isoNow(clock), actor.tenant.config.max_room_members)
      if (banned.length) throw forbidden('you are banned from this room')
      policy.evictRoom(roomId)
      added(actor, roomId, rows[0])
      return toMember(actor, rows[0])
    },

    async addMembers(actor: Actor, roomId: string, body: AddMembersBody): Promise<{ members: Member[] }> {
      const role = body.role ?? 'member'
      if (role !== 'member' && role !== 'admin') throw invalid('role', 'role must be member or admin')
      const { room, member } = await roomFor(store, actor, roomId, 'member')
      if (room.type === 'dm') throw forbidden('a dm never changes members')
      if (!isManager(member)) throw forbidden('only the owner or an admin may add members')
      if (role === 'admin' && member!.role !== 'owner') throw forbidden('only the owner grants admin')
      const { rows, added: fresh, banned } = await store.members.add(tid(actor), roomId, body.user_ids, role, isoNow(clock), actor.tenant.config.max_room_members)
      if (banned.length) throw conflict(`banned from this room: ${banned.slice(0, 10).join(', ')}`)
      if (fresh.size) policy.evictRoom(roomId)
      for (const m of rows) if (fresh.has(m.user_id)) added(actor, roomId, m)
      return { members: await Promise.all(rows.map((m) => toMember(actor, m))) }
    },

    /** Leave (target = self) or remove another member under the role rules of SPEC §2/§10. */
    async removeMember(actor: Actor, roomId: string, userId: string): Promise<void> {
      const { room, member } = await roomFor(store, actor, roomId, 'member')
      if (room.type === 'dm') throw forbidden('a dm never changes members')
      const target = userId === actor.userId ? member : await store.members.get(roomId, userId)
      if (!target) throw notFound('member')
      if (userId === actor.userId) {
        if (target.role === 'owner' && room.member_count > 1) throw conflict('the owner cannot leave while other members remain')
      } else {
        if (!isManager(member)) throw forbidden('only the owner or an admin may remove members')
        if (target.role === 'owner') throw forbidden('the owner cannot be removed')
        if (member!.role === 'admin' && target.role !== 'member') throw forbidden('an admin removes only members')
      }
      let removed: boolean
      try {
        removed = await store.members.remove(roomId, userId)
      } finally {
        memberships.evict(roomId, userId) // after the commit (or a failure): a read started later sees the row gone
        policy.evictRoom(roomId)
      }
      if (!removed) throw notFound('member')
      events.emit({ type: 'member.removed', tenantId: tid(actor), roomId, userId, role: target.role })
    },
  }
}

export type ChatroomService = ReturnType<typeof createChatroomService>
