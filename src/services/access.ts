// Room visibility and membership rules of SPEC §2, in one place for every service.

import type { Store, RoomRow, MemberRow } from '../db/types'
import { forbidden, notFound } from '../errors'
import type { Actor } from './actor'
import { createReadGuard } from './read-guard'

export interface RoomAccess {
  room: RoomRow
  member: MemberRow | null
}

/**
 * Loads a room as the actor may see it. Groups and dms are invisible to non-members (404, the same
 * answer as a missing or other-tenant id); a channel is visible to all but `member` access is 403.
 */
export async function roomFor(store: Store, actor: Actor, roomId: string, need: 'view' | 'member'): Promise<RoomAccess> {
  const room = await store.rooms.get(actor.tenant.tenant_id, roomId)
  if (!room) throw notFound('room')
  const member = (await store.members.get(roomId, actor.userId)) ?? null
  if (!member && room.type !== 'channel') throw notFound('room')
  if (need === 'member' && !member) throw forbidden('you are not a member of this room')
  return { room, member }
}

export const isManager = (m: MemberRow | null) => m?.role === 'owner' || m?.role === 'admin'

/**
 * The send path's membership check without two queries per message (PERF: about 11 µs a send
 * here). Only positive answers are cached, keyed by room and user (room ids are unique across
 * tenants; the tenant is checked on a hit); a miss runs `roomFor` for the exact 403/404.
 *
 * Invalidation: a membership ends only by removal (roles are not cached, rooms are never deleted),
 * and the service that removes calls `evict` once the DELETE has committed. On an asynchronous store
 * a miss may have read the row before that commit and answer after the eviction; every key with a
 * miss in flight therefore has a generation that `evict` bumps, and a miss caches only if the
 * generation it started with is unchanged (read-guard.ts). Bounded: cleared when full; `max` 0
 * turns caching off.
 */
export function createMemberCache(store: Store, max = 200_000) {
  const known = new Map<string, string>() // room \0 user → tenant
  const reads = createReadGuard()
  const key = (roomId: string, userId: string) => `${roomId}\u0000${userId}`

  return {
    /** Throws exactly as roomFor(…, 'member') does when the actor may not post in the room. */
    requireMember(actor: Actor, roomId: string): void | Promise<void> {
      const k = key(roomId, actor.userId)
      if (known.get(k) === actor.tenant.tenant_id) return // the common case: no query, no promise
      if (max === 0) return roomFor(store, actor, roomId, 'member').then(() => {})
      const end = reads.begin(k)
      return roomFor(store, actor, roomId, 'member').then(
        () => {
          if (end()) return // removed while this read was in flight: the answer may predate it
          if (known.size >= max) known.clear()
          known.set(k, actor.tenant.tenant_id)
        },
        (e) => {
          end()
          throw e
        },
      )
    },

    /** Forgets the membership; call after the removal committed (a read started later sees it gone). */
    evict(roomId: string, userId: string): void {
      const k = key(roomId, userId)
      known.delete(k)
      reads.invalidate(k)
    },
  }
}

export type MemberCache = ReturnType<typeof createMemberCache>
