// What the hot paths ask about moderation, without a store read per call: the send policy of a
// (room, sender) pair (mute, read-only room, blocked dm) and a user's tenant ban (every REST call
// and WebSocket upgrade asks). Like the membership cache (access.ts), entries are dropped by the
// service that changes the state, after the change committed; a read in flight across a change
// does not cache its answer (read-guard.ts).

import type { Clock } from '../clock'
import type { Store } from '../db/types'
import type { SendPolicyRow } from '../db/moderation-rows'
import { forbidden } from '../errors'
import type { Actor } from './actor'
import { createReadGuard } from './read-guard'

interface Policy {
  readOnly: boolean
  manager: boolean
  /** undefined: not muted; null: muted until lifted; else epoch ms. */
  mutedUntil: number | null | undefined
  blocked: boolean
}

const toPolicy = (r: SendPolicyRow): Policy => ({
  readOnly: Number(r.read_only) === 1,
  manager: r.role === 'owner' || r.role === 'admin',
  mutedUntil: Number(r.muted) === 1 ? (r.muted_until === null ? null : Date.parse(r.muted_until)) : undefined,
  blocked: Number(r.blocked) === 1,
})

type Act = 'send' | 'react'

const until = (ms: number | null) => (ms === null ? '' : ` until ${new Date(ms).toISOString()}`)

/**
 * The send checks of SPEC §14 (after membership, which access.ts checks): a muted member, a
 * non-manager in a read-only room, and either user of a dm that one of them blocks get 403.
 * Invalidation: `evictRoom` after a mute, ban, read-only change or membership change in the room;
 * `evictTenant` after a block or unblock (only dm entries depend on blocks, but blocks are rare).
 * `max` 0 turns caching off (several instances: another one's changes are not seen here).
 */
export function createSendPolicy(store: Store, clock: Clock, max = 200_000) {
  const entries = new Map<string, { p: Policy; gen: string }>()
  const roomGen = new Map<string, number>()
  const tenantGen = new Map<string, number>()
  let epoch = 0
  const genOf = (tenantId: string, roomId: string) => `${epoch}.${roomGen.get(roomId) ?? 0}.${tenantGen.get(tenantId) ?? 0}`
  const bump = (m: Map<string, number>, k: string) => {
    if (m.size >= max) {
      epoch++ // a reset: every entry and every read in flight is stale
      entries.clear()
      roomGen.clear()
      tenantGen.clear()
    }
    m.set(k, (m.get(k) ?? 0) + 1)
  }

  /** A mute stops sending and reacting; a read-only room and a blocked dm stop sending only (SPEC §14). */
  function decide(p: Policy, act: Act) {
    if (p.mutedUntil !== undefined && (p.mutedUntil === null || p.mutedUntil > clock.now()))
      throw forbidden(`you are muted in this room${until(p.mutedUntil)}`)
    if (act === 'react') return
    if (p.readOnly && !p.manager) throw forbidden('this room is read-only: only its owner and admins send')
    if (p.blocked) throw forbidden('you cannot send in this dm: one of you blocks the other')
  }

  return {
    /** Throws 403 when the actor, a member of the room, may not send (or react) in it now. */
    check(actor: Actor, roomId: string, act: Act = 'send'): void | Promise<void> {
      const tenantId = actor.tenant.tenant_id
      const key = `${roomId}\u0000${actor.userId}`
      const gen = genOf(tenantId, roomId)
      const hit = entries.get(key)
      if (hit && hit.gen === gen) return decide(hit.p, act)
      return (async () => {
        const row = await store.moderation.sendPolicy(tenantId, roomId, actor.userId, new Date(clock.now()).toISOString())
        if (!row) return // the room is gone: the membership check answers for it
        const p = toPolicy(row)
        if (max > 0 && genOf(tenantId, roomId) === gen) {
          if (entries.size >= max) entries.clear()
          entries.set(key, { p, gen })
        }
        decide(p, act)
      })()
    },
    evictRoom: (roomId: string) => bump(roomGen, roomId),
    evictTenant: (tenantId: string) => bump(tenantGen, tenantId),
  }
}

export type SendPolicy = ReturnType<typeof createSendPolicy>

/**
 * Tenant bans as the request gate sees them: `banned` answers from memory after the first read of a
 * (tenant, user) pair, positive or negative. A ban or lift evicts the pair here and, through the
 * cross-instance notice (broker/redis.ts), on every other instance before the change answers.
 */
export function createTenantBanCache(store: Store, clock: Clock, max = 200_000) {
  const known = new Map<string, number | null | false>() // until (ms), null (until lifted), false (not banned)
  const reads = createReadGuard()
  const inForce = (v: number | null | false) => v !== false && (v === null || v > clock.now())
  return {
    banned(tenantId: string, userId: string): boolean | Promise<boolean> {
      const key = `${tenantId}\u0000${userId}`
      const hit = known.get(key)
      if (hit !== undefined) return inForce(hit)
      const end = reads.begin(key)
      return (async () => {
        let v: number | null | false
        try {
          const row = await store.moderation.tenantBan(tenantId, userId, new Date(clock.now()).toISOString())
          v = row ? (row.expires_at === null ? null : Date.parse(row.expires_at)) : false
        } catch (e) {
          end()
          throw e
        }
        if (!end()) {
          if (known.size >= max) known.clear()
          known.set(key, v)
        }
        return inForce(v)
      })()
    },
    evict(tenantId: string, userId: string) {
      const key = `${tenantId}\u0000${userId}`
      known.delete(key)
      reads.invalidate(key)
    },
    /** Forgets every answer (after a Redis outage, when other instances' ban notices may be lost). */
    evictAll() {
      for (const key of known.keys()) reads.invalidate(key)
      known.clear()
    },
  }
}

export type TenantBanCache = ReturnType<typeof createTenantBanCache>
