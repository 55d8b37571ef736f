// Realtime rules that are not storage: presence announcements with a grace period, typing checks, sync reads.

import type { Config } from '../config'
import type { Store } from '../db/types'
import { toMessage, type Membership } from '../db/rows'
import { forbidden, invalid } from '../errors'
import type { PresenceAnnouncer, PresenceStore } from '../broker/types'
import { topics } from '../broker/topics'
import type { Message } from '../schemas/message'
import { typingFrame } from '../schemas/server-frames'
import { roomFor } from './access'
import type { Actor } from './actor'
import type { EventBus } from './events'
import { nextTurn } from './next-turn'

type Deps = { store: Store; config: Config; events: EventBus; presence: PresenceStore; announcer: PresenceAnnouncer }

/** One of a user's rooms as the connect-time sync sees it (its ack, the room's last seq and size). */
export type { Membership }

/** Rooms whose members one presence read takes (at most FANOUT_RECEIPTS_MAX_MEMBERS rows each), per turn of the event loop. */
const ROOMS_PER_READ = 100

export function createRealtimeService({ store, config, events, presence, announcer }: Deps) {
  /** Pending "offline" announcements, keyed tenant+user, cancelled by a reconnect inside the grace. */
  const offlineTimers = new Map<string, ReturnType<typeof setTimeout>>()
  /** Set at shutdown: sockets closed by the shutdown must not schedule announcements that would outlive the DB. */
  let stopped = false
  const key = (a: Actor) => `${a.tenant.tenant_id}\u0000${a.userId}`

  /** The announcement of each user still being published; the next one for that user waits for it. */
  const announcing = new Map<string, Promise<void>>()

  /**
   * Presence fan-out goes only to rooms small enough (SPEC §5 step 5); larger rooms ask over REST.
   * The audience is the set of users sharing such a room with the subject, and each of their
   * connections gets the frame once (a frame per room repeated it once per shared room); the
   * subject is never told of themselves. Members are read ROOMS_PER_READ rooms at a time with a
   * turn of the event loop in between (one presence.changed event per read), so a user in
   * thousands of rooms never holds it for long, and one user's announcements run one after
   * another, so an offline can never overtake the online before it for some receivers.
   * Across instances, another instance's later decision may still be published before this one:
   * so once this announcement is out, the cluster's state is read again and, if it moved, the
   * current state is announced once more (presence.update is a state; a repeat is harmless).
   */
  function announce(actor: Actor, status: 'online' | 'offline', recheck = true): Promise<void> {
    if (!actor.tenant.config.features.presence) return Promise.resolve()
    const k = key(actor)
    const run = async () => {
      const tid = actor.tenant.tenant_id
      const rooms: string[] = []
      for (const m of await store.members.membershipsOf(tid, actor.userId)) if (m.member_count <= config.FANOUT_RECEIPTS_MAX_MEMBERS) rooms.push(m.room_id)
      const told = new Set([actor.userId])
      for (let i = 0; i < rooms.length && !stopped; i += ROOMS_PER_READ) {
        if (i > 0) await nextTurn()
        const audience = (await store.members.userIdsIn(rooms.slice(i, i + ROOMS_PER_READ))).filter((u) => !told.has(u))
        for (const u of audience) told.add(u)
        if (audience.length > 0) events.emit({ type: 'presence.changed', tenantId: tid, userId: actor.userId, status, audience })
      }
      if (!recheck || stopped) return
      const now = await announcer.announced(tid, actor.userId)
      if (now !== null && now !== (status === 'online')) void announce(actor, now ? 'online' : 'offline', false).catch(() => {})
    }
    const done = (announcing.get(k) ?? Promise.resolve()).then(run, run)
    announcing.set(k, done)
    const forget = () => void (announcing.get(k) === done && announcing.delete(k))
    done.then(forget, forget)
    return done
  }

  return {
    /** The user's rooms with their acks, for subscribing and syncing a new connection. */
    memberships: (actor: Actor) => store.members.membershipsOf(actor.tenant.tenant_id, actor.userId),

    /** Still a member right now? (checked again just before a synced room is subscribed) */
    isMember: async (actor: Actor, roomId: string) => (await store.members.get(roomId, actor.userId)) != null,

    /**
     * A user's first live connection on this instance: announce online if it is their first
     * anywhere, unless a reconnect cancels an offline pending here (no offline/online blip inside
     * PRESENCE_GRACE_MS). Resolves once the announcement is out.
     */
    async firstConnection(actor: Actor): Promise<void> {
      const pending = offlineTimers.get(key(actor))
      if (pending) {
        clearTimeout(pending)
        offlineTimers.delete(key(actor))
        return
      }
      try {
        if (await announcer.claimOnline(actor.tenant.tenant_id, actor.userId)) await announce(actor, 'online')
      } catch {} // presence is best effort; never fails a connect
    },

    /**
     * A user's last connection on this instance closed: after the grace period, announce offline
     * if they have no connection anywhere (the announcer lets one instance do it).
     */
    lastConnectionClosed(actor: Actor) {
      if (stopped) return
      const k = key(actor)
      clearTimeout(offlineTimers.get(k))
      const timer = setTimeout(() => {
        offlineTimers.delete(k)
        void Promise.resolve(announcer.claimOffline(actor.tenant.tenant_id, actor.userId))
          .then((mine) => (mine ? announce(actor, 'offline') : undefined))
          .catch(() => {})
      }, config.PRESENCE_GRACE_MS)
      offlineTimers.set(k, timer)
    },

    /** Checks a typing frame; returns the frame to relay to the room's other connections. */
    async typing(actor: Actor, roomId: string, action: 'start' | 'stop') {
      if (!actor.tenant.config.features.typing) throw forbidden('typing indicators are disabled for this tenant')
      await roomFor(store, actor, roomId, 'member')
      return { topic: topics.room(actor.tenant.tenant_id, roomId), frame: typingFrame(roomId, actor.userId, action) }
    },

    /** How many messages a sync from `afterSeq` may stream, at most `max` (member access enforced): what it costs. */
    async syncBacklog(actor: Actor, roomId: string, afterSeq: number, max: number): Promise<number> {
      const { room } = await roomFor(store, actor, roomId, 'member')
      return Math.min(max, Math.max(0, room.last_seq - afterSeq))
    },

    /** Messages after `afterSeq` for a sync (member access enforced). */
    async syncPage(actor: Actor, roomId: string, afterSeq: number, limit: number): Promise<Message[]> {
      await roomFor(store, actor, roomId, 'member')
      return (await store.messages.after(roomId, afterSeq, limit)).map(toMessage)
    },

    /** GET /v1/presence: 403 when the tenant's presence feature is off; at most 100 ids. */
    async presenceOf(actor: Actor, userIdsParam: string | undefined) {
      if (!actor.tenant.config.features.presence) throw forbidden('presence is disabled for this tenant')
      const ids = [...new Set((userIdsParam ?? '').split(',').map((s) => s.trim()).filter(Boolean))]
      if (ids.length === 0 || ids.length > 100) throw invalid('user_ids', 'user_ids must list 1 to 100 user ids')
      const tid = actor.tenant.tenant_id
      return {
        presence: await Promise.all(ids.map(async (u) => {
          const seen = await presence.lastSeen(tid, u)
          return {
            user_id: u,
            status: (await presence.isOnline(tid, u)) ? ('online' as const) : ('offline' as const),
            last_seen: seen === null ? null : new Date(seen).toISOString(),
          }
        })),
      }
    },

    /** Cancels pending presence timers and refuses new ones (shutdown). */
    stop() {
      stopped = true
      for (const t of offlineTimers.values()) clearTimeout(t)
      offlineTimers.clear()
    },
  }
}

export type RealtimeService = ReturnType<typeof createRealtimeService>
