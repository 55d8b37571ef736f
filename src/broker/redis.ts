// Multi-instance broker (SPEC §9): room and user topics cross instances through Redis pub/sub, and
// each instance delivers what it receives to its own sockets through Bun's native topics.
//
// - publish(topic, frame) serializes once and PUBLISHes `<prefix><topic>`. It does NOT also publish
//   locally: every instance, the publisher included, delivers from its pattern subscription
//   `<prefix>t:*`, so each socket gets each frame exactly once. While this instance's subscriber is
//   not subscribed (Redis down, reconnecting) it delivers locally instead, and still tries Redis
//   for the others; the same when the PUBLISH fails (local sockets keep working without Redis).
// - joinRoom/leaveRoom go over the control channel `<prefix>ctl`: every instance (un)subscribes its
//   own sockets of that user. The control message and the frames travel over this instance's one
//   publishing connection and every instance's one subscriber connection, so Redis keeps their
//   order: joinRoom then publish(member.joined) reaches the new member; publish(member.left) then
//   leaveRoom still reaches the leaver. The returned promise resolves once Redis has accepted the
//   message: await it before answering a request when a later request on another instance must see
//   the change (PUBLISHes from different connections are ordered by when Redis receives them).
// - connectionCount(tenant) and clusterFigures() sum per-instance counters (redis-counters.ts); a
//   killed instance stops counting within ttlMs.
// - Everything else the gateway needs is the LocalBroker's (register/unregister also inform the
//   optional RedisPresence of a user's first/last connection on this instance).

import type { Server, ServerWebSocket } from 'bun'
import type { Logger } from '../log'
import type { LocalBroker } from './local'
import type { RedisPresence } from './redis-presence'
import { serializeFrame, type SerializedFrame, type ServerFrame } from '../schemas/server-frames'
import { orderOf } from './room-order'
import { openRedis, throttledWarn, whenReady, type Redis } from './redis-client'
import { createConnectionCounters } from './redis-counters'

export interface RedisBrokerOptions {
  redisUrl: string
  /** This instance's sockets and Bun server (the broker attaches the server to it in attach()). */
  local: LocalBroker
  /** Unique per running process (default: a random UUID). */
  instanceId?: string
  log: Logger
  /** Channel and key prefix (default `chatapi:`); tests use a unique one per run. */
  prefix?: string
  /** Told of each user's first/last connection here; answers isOnline/lastSeen when given. */
  presence?: RedisPresence
  /** Heartbeat period for the connection counters (default 5000 ms). */
  heartbeatMs?: number
  /** An instance's counters stop counting this long after its last heartbeat (default 15 000 ms). */
  ttlMs?: number
  /** A shared command connection (not closed by close()); default: one of its own. */
  redis?: Redis
}

type Control =
  | { op: 'join' | 'leave'; t: string; u: string; r: string }
  | { op: 'tenant'; t: string; why: string; from: string }
  /** A user's standing in a tenant changed (a tenant ban or its end, SPEC §14). */
  | { op: 'user'; t: string; u: string; why: string; from: string }
  /** A serialized frame `d` for every socket of these users (publishToUsers). */
  | { op: 'users'; t: string; u: readonly string[]; d: SerializedFrame }

/** Users per `users` control message, so one presence change to a large audience is a few bounded messages. */
const USERS_PER_MESSAGE = 1000

export function createRedisBroker(o: RedisBrokerOptions) {
  const { local, log } = o
  const prefix = o.prefix ?? 'chatapi:'
  const instanceId = o.instanceId ?? crypto.randomUUID()
  const ttlMs = o.ttlMs ?? 15_000
  const heartbeatMs = o.heartbeatMs ?? 5000
  const warn = throttledWarn(log)
  const ownsCmd = !o.redis
  const cmd = o.redis ?? openRedis(o.redisUrl, { name: `${prefix}${instanceId}:cmd`, log })
  const sub = openRedis(o.redisUrl, { name: `${prefix}${instanceId}:sub`, log, subscriber: true })
  const pattern = `${prefix}t:*`
  const ctlChannel = `${prefix}ctl`

  let server: Server<unknown> | null = null
  let warnedUnattached = false
  let closed = false
  /** True while the subscriber listens on both the pattern and the control channel. */
  let subscribed = false
  /** The subscription was lost since it was last confirmed (a catch-up is due once it is back). */
  let outage = false
  let waiters: (() => void)[] = []

  /** Hands a serialized frame to this instance's subscribers of the topic. */
  // publishFrom: frames that must skip the connection that caused them (typing, read receipts).
  // The origin instance keeps the socket under a short-lived token carried in front of the frame;
  // when the frame comes back from Redis it publishes through that socket (Bun skips the sender),
  // every other instance publishes to all its subscribers.
  const MARK = '\u0001'
  const origins = new Map<string, ServerWebSocket<unknown>>()
  let originSeq = 0
  // Message frames carry their ordering key in front, `\u0002c<seq>\u0002` (a new seq) or
  // `\u0002u<seq>\u0002` (a change to one), so the receiving instance can put a room's frames back in
  // seq order (room-order.ts) without parsing the frame.
  const SEQ = '\u0002'
  const withSeq = (frame: ServerFrame, data: string) => {
    const key = orderOf(frame)
    return key ? `${SEQ}${key.kind === 'created' ? 'c' : 'u'}${key.seq}${SEQ}${data}` : data
  }

  function deliverLocal(topic: string, data: string) {
    if (data.startsWith(SEQ)) {
      const end = data.indexOf(SEQ, 1)
      const kind = data[1] === 'c' ? 'created' : 'changed'
      return local.deliverInOrder(topic, kind, Number(data.slice(2, end)), data.slice(end + 1) as SerializedFrame)
    }
    if (data.startsWith(MARK)) {
      const end = data.indexOf(MARK, 1)
      const ws = origins.get(data.slice(1, end))
      origins.delete(data.slice(1, end))
      data = data.slice(end + 1)
      if (ws && ws.readyState === 1) return local.deliver(topic, data as SerializedFrame, ws)
    }
    // Only this broker's publish and publishFrom put frames on these channels.
    if (server) return local.deliver(topic, data as SerializedFrame)
    if (!warnedUnattached) {
      warnedUnattached = true
      log.warn('redis broker not attached to the Bun server: call attach() on it, not only on the local broker')
    }
    local.publish(topic, JSON.parse(data) as ServerFrame)
  }

  const tenantListeners: ((tenantId: string, why: string) => void)[] = []
  /** Called when the subscription is back after an outage (control notices sent meanwhile are lost). */
  const returnListeners: (() => void)[] = []
  const userListeners: ((tenantId: string, userId: string, why: string) => void)[] = []
  function applyControl(c: Control) {
    if (c.op === 'join') local.joinRoom(c.t, c.u, c.r)
    else if (c.op === 'leave') local.leaveRoom(c.t, c.u, c.r)
    else if (c.op === 'users') local.deliverToUsers(c.t, c.u, c.d)
    else if (c.op === 'tenant' && c.from !== instanceId) for (const l of tenantListeners) l(c.t, c.why)
    else if (c.op === 'user' && c.from !== instanceId) for (const l of userListeners) l(c.t, c.u, c.why)
  }

  sub.on('pmessage', (_pattern: string, channel: string, message: string) => {
    deliverLocal(channel.slice(prefix.length), message)
  })
  sub.on('message', (channel: string, message: string) => {
    if (channel !== ctlChannel) return
    try {
      applyControl(JSON.parse(message) as Control)
    } catch (e) {
      warn('bad control message', e)
    }
  })
  // Subscribes on every (re)connection: ioredis's own auto-resubscribe is off so that `subscribed`
  // turns true only once Redis has confirmed both subscriptions.
  sub.on('ready', () => {
    Promise.all([sub.psubscribe(pattern), sub.subscribe(ctlChannel)])
      .then(() => {
        if (closed || sub.status !== 'ready') return
        subscribed = true
        for (const w of waiters) w()
        waiters = []
        // Frames other instances published while this one was not listening never come: read
        // every room its sockets follow up to the store's end (SPEC §6: nothing lost).
        if (outage) {
          outage = false
          for (const l of returnListeners) l()
          local.order
            ?.catchUp()
            .then((rooms) => log.info('caught up after redis returned', { rooms }))
            .catch((e) => warn('catch-up after redis returned failed', e))
        }
      })
      .catch((e) => warn('redis subscribe failed', e))
  })
  sub.on('close', () => {
    if (subscribed) outage = true
    subscribed = false
  })

  /**
   * Sends over Redis; delivers locally (applyLocal) when this instance would not hear it back: its
   * subscriber is down now, or the PUBLISH failed while it was up.
   */
  async function send(channel: string, data: string, applyLocal: () => void): Promise<void> {
    const viaRedis = subscribed
    if (!viaRedis) applyLocal()
    try {
      await cmd.publish(channel, data)
    } catch (e) {
      if (viaRedis) applyLocal()
      warn('redis publish failed; delivered on this instance only', e)
    }
  }

  /** The local broker counts synchronously (the port allows a promise for implementations like this one). */
  const localCount = (tenantId: string): number => {
    const n = local.connectionCount(tenantId)
    return typeof n === 'number' ? n : 0
  }
  const counters = createConnectionCounters({
    cmd,
    prefix,
    instanceId,
    log,
    heartbeatMs,
    ttlMs,
    localCounts() {
      const m = new Map<string, number>()
      for (const { tenantId } of local.connectedUsers()) if (!m.has(tenantId)) m.set(tenantId, localCount(tenantId))
      for (const [k, v] of m) if (v <= 0) m.delete(k)
      return m
    },
  })

  const presence = o.presence
  return {
    instanceId,

    /** Binds Bun's server (after listen) here and on the local broker. */
    attach(s: Server<unknown>) {
      server = s
      local.attach(s)
    },

    /**
     * Resolves once the subscriber is subscribed and the command connection is ready (at start, and
     * again after a reconnect). Never resolves while Redis is unreachable: race it with a timeout
     * to start degraded (this instance's sockets only).
     */
    async ready(): Promise<void> {
      if (!subscribed) await new Promise<void>((resolve) => waiters.push(resolve))
      await whenReady(cmd)
    },
    /** True while this instance receives from Redis (false: it delivers its own publishes locally). */
    isSubscribed: () => subscribed,
    /** Redis serves both connections: cross-instance delivery, presence and shared limits work. */
    reachable: () => subscribed && cmd.status === 'ready',
    /** Live instances and their WebSocket connections, all tenants (GET /health); null when Redis fails. */
    async clusterFigures(): Promise<{ instances: number; connections: number } | null> {
      try {
        return await counters.cluster()
      } catch (e) {
        warn('redis cluster figures failed', e)
        return null
      }
    },

    // --- Broker ---------------------------------------------------------------------------------
    publish(topic: string, frame: ServerFrame): Promise<void> {
      const data = withSeq(frame, serializeFrame(frame))
      if (!topic.startsWith('t:')) {
        // Every builder in topics.ts starts with `t:`; anything else stays on this instance.
        deliverLocal(topic, data)
        return Promise.resolve()
      }
      return send(prefix + topic, data, () => deliverLocal(topic, data))
    },
    /** Publishes to every subscriber of the topic on every instance except the socket `from`. */
    publishFrom(from: ServerWebSocket<unknown>, topic: string, frame: ServerFrame): Promise<void> {
      const data = serializeFrame(frame)
      const token = `${instanceId}:${++originSeq}`
      origins.set(token, from)
      setTimeout(() => origins.delete(token), 10_000).unref?.()
      return send(prefix + topic, `${MARK}${token}${MARK}${data}`, () => deliverLocal(topic, `${MARK}${token}${MARK}${data}`))
    },
    /**
     * One control message per USERS_PER_MESSAGE users, which every instance (this one included)
     * hands to its own sockets of those users: on the control channel, so it keeps its order with
     * this instance's other publishes like joinRoom does.
     */
    publishToUsers(tenantId: string, userIds: readonly string[], frame: ServerFrame): Promise<void> {
      const d = serializeFrame(frame)
      const sends: Promise<void>[] = []
      for (let i = 0; i < userIds.length; i += USERS_PER_MESSAGE) {
        const c: Control = { op: 'users', t: tenantId, u: userIds.slice(i, i + USERS_PER_MESSAGE), d }
        sends.push(send(ctlChannel, JSON.stringify(c), () => applyControl(c)))
      }
      return Promise.all(sends).then(() => {})
    },
    /**
     * Tells the other instances that a tenant changed (key rotated, config patched), so they drop
     * their cached copy and close sockets opened with a dead key; resolves once Redis accepted it.
     */
    tenantChanged(tenantId: string, why: string): Promise<void> {
      const c: Control = { op: 'tenant', t: tenantId, why, from: instanceId }
      return send(ctlChannel, JSON.stringify(c), () => {})
    },
    onTenantChanged(listener: (tenantId: string, why: string) => void) {
      tenantListeners.push(listener)
    },
    /**
     * Tells the other instances that a user was banned from a tenant or let back in, so they drop
     * their cached answer and close the user's sockets; resolves once Redis accepted it.
     */
    userChanged(tenantId: string, userId: string, why: string): Promise<void> {
      const c: Control = { op: 'user', t: tenantId, u: userId, why, from: instanceId }
      return send(ctlChannel, JSON.stringify(c), () => {})
    },
    onUserChanged(listener: (tenantId: string, userId: string, why: string) => void) {
      userListeners.push(listener)
    },
    /** `listener` runs each time the subscription is back after an outage (not at the first start). */
    onReturned(listener: () => void) {
      returnListeners.push(listener)
    },
    joinRoom(tenantId: string, userId: string, roomId: string): Promise<void> {
      const c: Control = { op: 'join', t: tenantId, u: userId, r: roomId }
      return send(ctlChannel, JSON.stringify(c), () => applyControl(c))
    },
    leaveRoom(tenantId: string, userId: string, roomId: string): Promise<void> {
      const c: Control = { op: 'leave', t: tenantId, u: userId, r: roomId }
      return send(ctlChannel, JSON.stringify(c), () => applyControl(c))
    },
    /** Live connections of the tenant on every live instance (this instance's own count if Redis fails). */
    async connectionCount(tenantId: string): Promise<number> {
      try {
        return await counters.tenant(tenantId)
      } catch (e) {
        warn('redis connection count failed; counting this instance only', e)
        return local.connectionCount(tenantId)
      }
    },

    // --- presence (from the RedisPresence when given, else this instance's view) -----------------
    isOnline: (tenantId: string, userId: string): boolean | Promise<boolean> =>
      presence ? presence.isOnline(tenantId, userId) : local.isOnline(tenantId, userId),
    lastSeen: (tenantId: string, userId: string): number | null | Promise<number | null> =>
      presence ? presence.lastSeen(tenantId, userId) : local.lastSeen(tenantId, userId),

    // --- this instance's sockets (LocalBroker) ---------------------------------------------------
    register(tenantId: string, userId: string, ws: Parameters<LocalBroker['register']>[2]): boolean {
      const first = local.register(tenantId, userId, ws)
      counters.bump(tenantId, 1)
      if (first) void presence?.userConnected(tenantId, userId)
      return first
    },
    unregister(tenantId: string, userId: string, ws: Parameters<LocalBroker['unregister']>[2]): boolean {
      const before = localCount(tenantId)
      const last = local.unregister(tenantId, userId, ws)
      if (localCount(tenantId) < before) counters.bump(tenantId, -1)
      if (last) void presence?.userDisconnected(tenantId, userId)
      return last
    },
    subscriberCount: (topic: string) => local.subscriberCount(topic),
    subscribeRoom: (...args: Parameters<LocalBroker['subscribeRoom']>) => local.subscribeRoom(...args),
    connectedUsers: () => local.connectedUsers(),
    sendToUser: (tenantId: string, userId: string, data: SerializedFrame, roomId?: string) => local.sendToUser(tenantId, userId, data, roomId),
    limitDirectSends: (bytes: number) => local.limitDirectSends(bytes),
    allSockets: () => local.allSockets(),
    localCounts: (tenantId: string, userId: string) => local.localCounts(tenantId, userId),
    watchRooms: (tenantId: string) => local.watchRooms(tenantId),
    /** This instance only; use presence.connectedAnywhere for the cluster. */
    connected: (tenantId: string, userId: string) => local.connected(tenantId, userId),

    /**
     * Stops the heartbeat and the subscriber. With cleanup (default) this instance's counters are
     * removed at once; without it (a crash, or a test of one) they expire after ttlMs.
     */
    async close(opts: { cleanup?: boolean } = {}): Promise<void> {
      closed = true
      subscribed = false
      local.close()
      await counters.stop(opts.cleanup !== false)
      if (opts.cleanup === false) {
        sub.disconnect()
        if (ownsCmd) cmd.disconnect()
        return
      }
      await sub.quit().catch(() => sub.disconnect())
      if (ownsCmd) await cmd.quit().catch(() => cmd.disconnect())
    },
  }
}

export type RedisBroker = ReturnType<typeof createRedisBroker>
