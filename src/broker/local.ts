// Single-instance broker and presence: Bun's native topics (server.publish) and in-memory connection sets.

import type { Server, ServerWebSocket } from 'bun'
import type { Clock } from '../clock'
import type { Broker, Frame, PresenceStore } from './types'
import { topics } from './topics'

type Socket = ServerWebSocket<unknown>

/**
 * Holds every live socket by tenant and user, so membership changes can (un)subscribe a user's
 * devices at once, and presence can be answered without a store. `attach` binds Bun's server after
 * listen: server.publish reaches every subscriber including the sender (store-then-send echo).
 */
export function createLocalBroker(clock: Clock, graceMs: number) {
  let server: Server<unknown> | null = null
  const byUser = new Map<string, Set<Socket>>()
  const perTenant = new Map<string, number>()
  /** When the user's last connection closed (for the offline grace and last_seen). */
  const lastSeen = new Map<string, number>()
  const key = (tenantId: string, userId: string) => `${tenantId}\u0000${userId}`
  /** Buffered bytes past which sendToUser skips a socket (set by the gateway from WS_BACKPRESSURE_LIMIT). */
  let directCap = Number.POSITIVE_INFINITY

  const broker: Broker & PresenceStore & {
    attach(s: Server<unknown>): void
    /** Sockets subscribed to the topic on this instance (metrics). */
    subscriberCount(topic: string): number
    /** Registers a socket; returns true when it is the user's first live connection. */
    register(tenantId: string, userId: string, ws: Socket): boolean
    /** Unregisters a socket; returns true when it was the user's last live connection. */
    unregister(tenantId: string, userId: string, ws: Socket): boolean
    connectedUsers(): Iterable<{ tenantId: string; userId: string }>
    /**
     * Sends a serialized frame to every live socket of the user that has room for it in its send
     * buffer (see limitDirectSends); the others are skipped.
     */
    sendToUser(tenantId: string, userId: string, data: string, roomId?: string): void
    /**
     * Caps sendToUser: a socket whose buffer would pass `bytes` is skipped. sendToUser carries
     * redelivery copies, which are retried from the ack anyway; sent unpaced (up to SYNC_MAX_PER_ROOM
     * frames at once) they pushed slow or still-syncing sockets past WS_BACKPRESSURE_LIMIT and Bun
     * closed them, and the reconnect's sync then got redelivered on top again.
     */
    limitDirectSends(bytes: number): void
    allSockets(): Iterable<Socket>
    /** True while the user has at least one live connection (ignores the grace period). */
    connected(tenantId: string, userId: string): boolean
  } = {
    attach(s) {
      server = s
    },
    subscriberCount: (topic) => server?.subscriberCount(topic) ?? 0,
    publish(topic: string, frame: Frame) {
      server?.publish(topic, JSON.stringify(frame))
    },
    /** Publishes to every subscriber of the topic except the socket `from` (Bun's ws.publish). */
    publishFrom(from: Socket, topic: string, frame: Frame) {
      from.publish(topic, JSON.stringify(frame))
    },
    joinRoom(tenantId, userId, roomId) {
      for (const ws of byUser.get(key(tenantId, userId)) ?? []) ws.subscribe(topics.room(tenantId, roomId))
    },
    leaveRoom(tenantId, userId, roomId) {
      for (const ws of byUser.get(key(tenantId, userId)) ?? []) ws.unsubscribe(topics.room(tenantId, roomId))
    },
    connectionCount: (tenantId) => perTenant.get(tenantId) ?? 0,

    register(tenantId, userId, ws) {
      const k = key(tenantId, userId)
      let set = byUser.get(k)
      if (!set) byUser.set(k, (set = new Set()))
      set.add(ws)
      perTenant.set(tenantId, (perTenant.get(tenantId) ?? 0) + 1)
      return set.size === 1
    },
    unregister(tenantId, userId, ws) {
      const k = key(tenantId, userId)
      const set = byUser.get(k)
      if (!set || !set.delete(ws)) return false
      perTenant.set(tenantId, Math.max(0, (perTenant.get(tenantId) ?? 1) - 1))
      if (set.size > 0) return false
      byUser.delete(k)
      lastSeen.set(k, clock.now())
      return true
    },
    *connectedUsers() {
      for (const k of byUser.keys()) {
        const i = k.indexOf('\u0000')
        yield { tenantId: k.slice(0, i), userId: k.slice(i + 1) }
      }
    },
    sendToUser(tenantId, userId, data, roomId) {
      const topic = roomId === undefined ? null : topics.room(tenantId, roomId)
      for (const ws of byUser.get(key(tenantId, userId)) ?? []) {
        // A socket not (yet) subscribed to the room is still syncing it: the sync will send these.
        if (topic && !ws.isSubscribed(topic)) continue
        const buffered = ws.getBufferedAmount()
        if (buffered === 0 || buffered + data.length <= directCap) ws.send(data)
      }
    },
    limitDirectSends(bytes) {
      directCap = bytes
    },
    *allSockets() {
      for (const set of byUser.values()) yield* set
    },
    connected: (tenantId, userId) => byUser.has(key(tenantId, userId)),

    /** Online while connected, and for PRESENCE_GRACE_MS after the last connection closed (no blip on reconnect). */
    isOnline(tenantId, userId) {
      const k = key(tenantId, userId)
      if (byUser.has(k)) return true
      const seen = lastSeen.get(k)
      return seen !== undefined && clock.now() - seen < graceMs
    },
    lastSeen(tenantId, userId) {
      const k = key(tenantId, userId)
      return byUser.has(k) ? clock.now() : (lastSeen.get(k) ?? null)
    },
  }
  return broker
}

export type LocalBroker = ReturnType<typeof createLocalBroker>
