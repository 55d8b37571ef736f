// Single-instance broker and presence: Bun's native topics (server.publish) and in-memory connection sets.

import type { Server, ServerWebSocket } from 'bun'
import type { Clock } from '../clock'
import type { Broker, PresenceStore } from './types'
import { serializeFrame, type SerializedFrame, type ServerFrame } from '../schemas/server-frames'
import { roomOfTopic, topics, userOfTopic } from './topics'
import { createRoomOrder, orderOf, type OrderKind, type RoomOrderOptions } from './room-order'

type Socket = ServerWebSocket<unknown>
/** One socket (the common case, no container) or several devices of one user. */
type Sockets = Socket | Socket[]
const each = (v: Sockets | undefined): readonly Socket[] => (v === undefined ? [] : Array.isArray(v) ? v : [v])

/**
 * Room frames a connect-time sync may ignore (see watchRooms): they change neither what the sync
 * would send nor whether the user may subscribe. Every other room frame (a message, a member
 * leaving, any type added later, a frame not serialized with `type` first) marks its room.
 */
const SYNC_NEUTRAL = ['{"type":"presence.update"', '{"type":"typing"', '{"type":"read.updated"']

/** Marks rooms of one tenant that got a frame since the watch began, until stop(). */
export interface RoomWatch {
  readonly touched: ReadonlySet<string>
  stop(): void
}

/** How a socket starts following a room (subscribeRoom). */
export type RoomJoin =
  /** A connect-time query found the room quiet at `cursor` (its last seq) and the room watch saw no frame since. */
  | { how: 'quiet'; cursor: number }
  /** The socket's sync read the room up to `cursor`, to its end. */
  | { how: 'read'; cursor: number }
  /** No position to keep: a member just added, or a truncated sync (the client pages over REST). */
  | { how: 'late' }

/**
 * Holds every live socket by tenant and user, so membership changes can (un)subscribe a user's
 * devices at once, and presence can be answered without a store. `attach` binds Bun's server after
 * listen: server.publish reaches every subscriber including the sender (store-then-send echo).
 *
 * Room topics are Bun topics. User topics are not: the registry is keyed by the user's topic name,
 * and a frame for a user is sent to the sockets found there. A Bun topic per user cost ~0.3 KB of
 * native memory per idle socket (docs/performance.md) for what one map lookup already gives.
 *
 * `order`: keep each room's live frames in seq order on this instance (room-order.ts), for shared
 * storage where other processes commit to the same rooms. Without it (one instance on SQLite)
 * frames go out in publish order, which is commit order.
 */
export function createLocalBroker(clock: Clock, graceMs: number, opts: { order?: Omit<RoomOrderOptions, 'deliver' | 'subscriberCount'> } = {}) {
  let server: Server<unknown> | null = null
  const byUser = new Map<string, Sockets>()
  const perTenant = new Map<string, number>()
  /** When the user's last connection closed (for the offline grace and last_seen). */
  const lastSeen = new Map<string, number>()
  const key = topics.user
  /** Watches in progress by tenant; each set collects room ids (see watchRooms). */
  const watches = new Map<string, Set<Set<string>>>()

  function noteForWatches(topic: string, data: string) {
    const room = roomOfTopic(topic)
    const sets = room && watches.get(room.tenantId)
    if (!sets || SYNC_NEUTRAL.some((p) => data.startsWith(p))) return
    for (const touched of sets) touched.add(room.roomId)
  }

  /** Hands a serialized frame to this instance's receivers of the topic, skipping `except`. */
  function deliver(topic: string, data: SerializedFrame, except?: Socket) {
    if (watches.size !== 0) noteForWatches(topic, data)
    const own = byUser.get(topic)
    if (own !== undefined) {
      for (const ws of each(own)) if (ws !== except) ws.send(data)
    } else if (except) except.publish(topic, data) // Bun skips the publishing socket
    else server?.publish(topic, data)
  }
  /** Buffered bytes past which sendToUser skips a socket (set by the gateway from WS_BACKPRESSURE_LIMIT). */
  let directCap = Number.POSITIVE_INFINITY
  const subscriberCount = (topic: string) => {
    const own = byUser.get(topic)
    return own !== undefined ? each(own).length : (server?.subscriberCount(topic) ?? 0)
  }
  const order = opts.order ? createRoomOrder({ ...opts.order, deliver, subscriberCount }) : null
  let orderSweep: ReturnType<typeof setInterval> | null = null
  if (order) {
    orderSweep = setInterval(() => order.sweep(), 10_000)
    orderSweep.unref?.()
  }

  const broker: Broker & PresenceStore & {
    attach(s: Server<unknown>): void
    /** Hands an already serialized frame to this instance's receivers of the topic, except `except`. */
    deliver(topic: string, data: SerializedFrame, except?: Socket): void
    /** publishToUsers with an already serialized frame, on this instance only. */
    deliverToUsers(tenantId: string, userIds: readonly string[], data: SerializedFrame): void
    /** Sockets subscribed to the topic on this instance (metrics). */
    subscriberCount(topic: string): number
    /** A room frame received from another instance, with its ordering key (room-order.ts). */
    deliverInOrder(topic: string, kind: OrderKind, seq: number, data: SerializedFrame): void
    /**
     * Subscribes a socket to a room's topic from where its sync left it. Synchronous without the
     * ordering (the sync's last read and this subscribe then share one turn); with it, a `read` join
     * sends what the room's stream passed meanwhile first (a promise), and a `quiet` one answers
     * false when the stream moved past its cursor (sync the room instead).
     */
    subscribeRoom(ws: Socket, tenantId: string, roomId: string, join: RoomJoin): boolean | Promise<boolean>
    /** The ordering state (null without it): catch-up after an outage, stats, stop. */
    readonly order: ReturnType<typeof createRoomOrder> | null
    /** Stops the ordering's timers. */
    close(): void
    /** Registers a socket; returns true when it is the user's first live connection. */
    register(tenantId: string, userId: string, ws: Socket): boolean
    /** Unregisters a socket; returns true when it was the user's last live connection. */
    unregister(tenantId: string, userId: string, ws: Socket): boolean
    connectedUsers(): Iterable<{ tenantId: string; userId: string }>
    /**
     * Sends a serialized frame to every live socket of the user that has room for it in its send
     * buffer (see limitDirectSends); the others are skipped.
     */
    sendToUser(tenantId: string, userId: string, data: SerializedFrame, roomId?: string): void
    /**
     * Caps sendToUser: a socket whose buffer would pass `bytes` is skipped. sendToUser carries
     * redelivery copies, which are retried from the ack anyway; sent unpaced (up to SYNC_MAX_PER_ROOM
     * frames at once) they pushed slow or still-syncing sockets past WS_BACKPRESSURE_LIMIT and Bun
     * closed them, and the reconnect's sync then got redelivered on top again.
     */
    limitDirectSends(bytes: number): void
    allSockets(): Iterable<Socket>
    /** This instance's live sockets of the user and of the tenant (the connection caps). */
    localCounts(tenantId: string, userId: string): { user: number; tenant: number }
    /**
     * Starts noting which of the tenant's rooms get a frame on this instance (every room frame
     * passes through deliver, whether published here or received from Redis), so a connect-time
     * sync can subscribe rooms in slices without missing what was published between its read and
     * a room's subscribe (ws/initial-sync.ts). Cheap when none is active: one size check per frame.
     */
    watchRooms(tenantId: string): RoomWatch
    /** True while the user has at least one live connection (ignores the grace period). */
    connected(tenantId: string, userId: string): boolean
  } = {
    attach(s) {
      server = s
    },
    subscriberCount,
    publish(topic: string, frame: ServerFrame) {
      const ord = order && orderOf(frame)
      if (ord) order!.onFrame(topic, ord.kind, ord.seq, serializeFrame(frame))
      else deliver(topic, serializeFrame(frame))
    },
    deliverInOrder(topic, kind, seq, data) {
      if (order) order.onFrame(topic, kind, seq, data)
      else deliver(topic, data)
    },
    subscribeRoom(ws, tenantId, roomId, join) {
      const topic = topics.room(tenantId, roomId)
      if (!order) {
        ws.subscribe(topic)
        return true
      }
      if (join.how === 'quiet') return order.joinQuiet(ws, topic, join.cursor)
      if (join.how === 'read') return order.joinAfterRead(ws, topic, join.cursor)
      order.joinLate(ws, topic)
      return true
    },
    order,
    close() {
      if (orderSweep) clearInterval(orderSweep)
      order?.stop()
    },
    /** Publishes to every receiver of the topic except the socket `from`. */
    publishFrom(from: Socket, topic: string, frame: ServerFrame) {
      deliver(topic, serializeFrame(frame), from)
    },
    deliver,
    publishToUsers(tenantId, userIds, frame) {
      broker.deliverToUsers(tenantId, userIds, serializeFrame(frame))
    },
    deliverToUsers(tenantId, userIds, data) {
      // Registered sockets only: a Bun publish per absent user would be a native call for nothing.
      for (const u of userIds) for (const ws of each(byUser.get(key(tenantId, u)))) ws.send(data)
    },
    joinRoom(tenantId, userId, roomId) {
      const topic = topics.room(tenantId, roomId)
      for (const ws of each(byUser.get(key(tenantId, userId)))) {
        if (order) order.joinLate(ws, topic)
        else ws.subscribe(topic)
      }
    },
    leaveRoom(tenantId, userId, roomId) {
      const topic = topics.room(tenantId, roomId)
      for (const ws of each(byUser.get(key(tenantId, userId)))) {
        if (order) order.leave(ws, topic)
        else ws.unsubscribe(topic)
      }
    },
    connectionCount: (tenantId) => perTenant.get(tenantId) ?? 0,

    register(tenantId, userId, ws) {
      const k = key(tenantId, userId)
      const had = byUser.get(k)
      if (each(had).includes(ws)) return false
      byUser.set(k, had === undefined ? ws : [...each(had), ws])
      perTenant.set(tenantId, (perTenant.get(tenantId) ?? 0) + 1)
      return had === undefined
    },
    unregister(tenantId, userId, ws) {
      const k = key(tenantId, userId)
      const had = each(byUser.get(k))
      if (!had.includes(ws)) return false
      perTenant.set(tenantId, Math.max(0, (perTenant.get(tenantId) ?? 1) - 1))
      const rest = had.filter((s) => s !== ws)
      if (rest.length > 0) {
        byUser.set(k, rest.length === 1 ? rest[0] : rest)
        return false
      }
      byUser.delete(k)
      lastSeen.set(k, clock.now())
      return true
    },
    *connectedUsers() {
      for (const k of byUser.keys()) yield userOfTopic(k)
    },
    sendToUser(tenantId, userId, data, roomId) {
      const topic = roomId === undefined ? null : topics.room(tenantId, roomId)
      for (const ws of each(byUser.get(key(tenantId, userId)))) {
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
      for (const v of byUser.values()) yield* each(v)
    },
    localCounts: (tenantId, userId) => ({ user: each(byUser.get(key(tenantId, userId))).length, tenant: perTenant.get(tenantId) ?? 0 }),
    watchRooms(tenantId) {
      const touched = new Set<string>()
      let sets = watches.get(tenantId)
      if (!sets) watches.set(tenantId, (sets = new Set()))
      sets.add(touched)
      return {
        touched,
        stop() {
          const now = watches.get(tenantId)
          if (!now?.delete(touched)) return
          if (now.size === 0) watches.delete(tenantId)
        },
      }
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
