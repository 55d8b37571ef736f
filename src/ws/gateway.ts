// GET /ws on Bun's own websocket handlers and native topics. Credentials were checked in onRequest
// (401/403 before any upgrade); the route upgrades, and this module runs the connection lifecycle and
// the shutdown broadcast. Not Elysia's .ws(): it copies the whole request context into every socket and
// wraps each frame in new objects and promises; measured at ~3.6 KB more per idle socket
// (docs/performance.md), so the upgrade carries only what a connection needs.

import { Elysia } from 'elysia'
import type { Server, WebSocketHandler } from 'bun'
import { AppError } from '../errors'
import type { Clock } from '../clock'
import type { Config } from '../config'
import type { Logger } from '../log'
import type { LocalBroker } from '../broker/local'
import type { Broker } from '../broker/types'
import { topics } from '../broker/topics'
import type { RequestStates } from '../request-state'
import type { Services } from '../services'
import type { EventOf, Subscriber } from '../services/events'
import type { BackgroundTask } from '../tasks'
import { newId } from '../ids'
import type { Actor } from '../services/actor'
import { serializeFrame, shutdownFrame, syncDoneFrame } from '../schemas/server-frames'
import { Connection, type ConnectionShared, type Socket } from './connection'
import { createDispatcher } from './dispatch'
import { initialSync } from './initial-sync'
import { createTurnBudget } from './turn-budget'
import { connectionCaps } from './caps'

export interface GatewayDeps {
  config: Config
  log: Logger
  clock: Clock
  services: Services
  /** This instance's sockets (LocalBroker, or the Redis broker that wraps one). */
  broker: Broker & Pick<LocalBroker, 'register' | 'unregister' | 'allSockets' | 'limitDirectSends' | 'localCounts' | 'watchRooms' | 'subscribeRoom'>
  states: RequestStates
  epoch: string
  /** Called once per accepted connection (metrics). */
  onOpen?: () => void
  /** How long a typing.start lasts without a refresh (SPEC §5: 6 s; tests shorten it). */
  typingTimeoutMs?: number
  /** How often token sockets are checked against their `exp` (default 1 s; tests use less). */
  tokenExpirySweepMs?: number
  /** Slices of connect-time sync per turn of the event loop (default CONNECT_STEPS_PER_TURN; turn-budget.ts). */
  connectStepsPerTurn?: number
}

/**
 * Slices of connect-time sync (a memberships query, a batch of quiet rooms, a page of a backlog)
 * run per turn of the event loop, across all new connections: about 32 × 0.1–0.5 ms, so requests
 * that arrive during a reconnect storm wait milliseconds, not seconds.
 */
export const CONNECT_STEPS_PER_TURN = 32

/** Which of a tenant's sockets a close applies to: all, those opened with the API key, or with a user token. */
export type Opener = 'any' | Actor['via']

export function createGateway(deps: GatewayDeps) {
  const { config, log, clock, services, broker, states } = deps
  const dispatcher = createDispatcher({ services, broker, config, log, typingTimeoutMs: deps.typingTimeoutMs })
  const connOf = (ws: Socket) => (ws.data as SocketData).conn
  const caps = connectionCaps({ config, broker })
  const connectBudget = createTurnBudget(deps.connectStepsPerTurn ?? CONNECT_STEPS_PER_TURN)
  // Direct (unpaced) sends such as redelivery keep to the same headroom as sync pacing (SPEC §5 step 3).
  broker.limitDirectSends(config.WS_BACKPRESSURE_LIMIT / 2)
  const shared: ConnectionShared = {
    clock,
    frameRate: config.WS_MSG_RATE,
    pauseAbove: config.WS_BACKPRESSURE_LIMIT / 2,
    // newId's 22 random characters, of which the first 12 are kept for the process and the last 10
    // become the connection's number (base 36, up to 3.6e15 connections per process)
    idPrefix: newId('conn').slice(0, 'conn_'.length + 12),
  }
  let connSeq = 0
  let pinger: ReturnType<typeof setInterval> | null = null
  let expirySweep: ReturnType<typeof setInterval> | null = null
  /** Set once shutdown starts; an upgrade that lands while sends drain gets it and a 1001 at once. */
  let shutdownNotice: string | null = null

  const each = function* () {
    for (const ws of broker.allSockets()) {
      const c = connOf(ws)
      if (c && !c.closed) yield c
    }
  }

  /**
   * Closes this instance's sockets of a tenant (all, or only those opened with the API key or with
   * a user token) with `code` and `reason`; returns how many. Other instances run the same through
   * the tenant-change notice each receives (broker/redis.ts), which is how rotation reaches them: a
   * caller that ends a tenant everywhere (tenant delete) publishes a tenant change and closes here
   * from the tenant.changed handler below.
   */
  function closeTenant(tenantId: string, code: number, reason: string, opener: Opener = 'any'): number {
    let n = 0
    for (const c of each()) {
      if (c.tenantId !== tenantId || (opener !== 'any' && c.actor.via !== opener)) continue
      c.ws.close(code, reason)
      n++
    }
    return n
  }

  /**
   * Closes this instance's sockets of one user of a tenant; returns how many. For bans and the like:
   * the caller that must reach every instance sends its own cross-instance notice (as tenant changes
   * do) and each instance calls this.
   */
  function closeUser(tenantId: string, userId: string, code: number, reason: string): number {
    let n = 0
    for (const c of each()) {
      if (c.tenantId !== tenantId || c.userId !== userId) continue
      c.ws.close(code, reason)
      n++
    }
    return n
  }

  // SPEC §2: a rotated API key closes the sockets opened with a key, a rotated user_token_secret
  // those opened with a token (1008), at once and before the fresh tenant is read; then
  // require_user_tokens closes key sockets. A webhook_secret rotation closes nothing. Any change
  // refreshes the tenant as live sockets see it (features, limits). The same runs on every
  // instance: tenant.changed is emitted for this instance's changes and for those others publish.
  async function tenantChanged({ tenantId, why }: EventOf<'tenant.changed'>) {
    // SPEC §15: a deleted tenant's every socket closes at once (its keys and tokens are dead already).
    if (why === 'deleted') return void closeTenant(tenantId, 1008, 'tenant deleted')
    if (why === 'rotate') closeTenant(tenantId, 1008, 'api key rotated', 'key')
    if (why === 'token_secret') closeTenant(tenantId, 1008, 'user token secret rotated', 'token')
    const fresh = await services.tenant.authById(tenantId)
    for (const c of each()) {
      if (c.tenantId !== tenantId) continue
      if (fresh) c.actor = { ...c.actor, tenant: fresh }
      if (c.actor.via === 'key' && fresh?.config.require_user_tokens) c.ws.close(1008, 'user tokens required')
    }
  }

  // SPEC §14: a tenant ban closes the user's sockets (1008) on every instance: user.changed is
  // emitted here for this instance's bans and for those another instance announces.
  function userChanged({ tenantId, userId, why }: EventOf<'user.changed'>) {
    if (why === 'banned') closeUser(tenantId, userId, 1008, 'user banned')
  }

  /** What the live sockets do about domain events (registered by the composition root). */
  const subscriber: Subscriber = { name: 'websocket sessions', handlers: { 'tenant.changed': tenantChanged, 'user.changed': userChanged } }

  /**
   * Token sockets by the second their token expires (floor(exp / 1000)); key sockets have no exp and
   * are not here. The sweep visits only seconds already reached, so an idle socket costs it nothing:
   * the walk over every socket it replaces (each second, reading each socket's data from Bun) took a
   * quarter of the server's CPU in the c100k bench at 8,000 sockets (docs/performance.md).
   */
  const expiring = new Map<number, Set<Connection>>()
  const expiryKey = (c: Connection) => (c.actor.expiresAt === undefined ? null : Math.floor(c.actor.expiresAt / 1000))
  function track(c: Connection) {
    const k = expiryKey(c)
    if (k === null) return
    let set = expiring.get(k)
    if (!set) expiring.set(k, (set = new Set()))
    set.add(c)
  }
  function untrack(c: Connection) {
    const k = expiryKey(c)
    const set = k === null ? undefined : expiring.get(k)
    if (!set) return
    set.delete(c)
    if (!set.size) expiring.delete(k!)
  }

  /** Token sockets whose `exp` has passed close 1008 `token expired` (REST refuses the token already). */
  function closeExpired() {
    const now = clock.now()
    const nowS = Math.floor(now / 1000)
    for (const [k, set] of expiring) {
      if (k > nowS) continue
      for (const c of [...set]) {
        if (c.actor.expiresAt! > now) continue // later in this same second
        untrack(c)
        c.ws.close(1008, 'token expired')
      }
    }
  }

  async function open(ws: Socket) {
    const data = ws.data as SocketData
    const actor = data.actor
    if (shutdownNotice) {
      ws.send(shutdownNotice)
      return ws.close(1001, 'server shutting down')
    }
    const conn = new Connection(++connSeq, ws, actor, shared)
    data.conn = conn
    track(conn)
    const first = broker.register(conn.tenantId, conn.userId, ws)
    // A ban that committed between the upgrade's check and this registration closed nothing here yet.
    const banned = services.moderation.isBanned(conn.tenantId, conn.userId) // a memory lookup once asked by the upgrade
    if (banned === true || (banned !== false && (await banned))) return ws.close(1008, 'user banned')
    deps.onOpen?.()
    conn.send({
      type: 'connected',
      connection_id: conn.id,
      user_id: conn.userId,
      server_time: new Date(clock.now()).toISOString(),
      epoch: deps.epoch,
    })
    const announced = first ? services.realtime.firstConnection(actor) : null
    try {
      // The online announcement (in slices) is out before this connection subscribes to any room,
      // so the user's own connection does not hear it.
      if (announced) await announced
      const synced = await initialSync(conn, {
        realtime: services.realtime,
        watchRooms: broker.watchRooms,
        max: config.SYNC_MAX_PER_ROOM,
        join: (c, roomId, how) => broker.subscribeRoom(c.ws, c.tenantId, roomId, how),
        turn: connectBudget.turn,
      })
      if (!synced) return
      conn.send(syncDoneFrame())
      // SPEC §5 step 4: pending notifications (unacked, within NOTIFICATION_TTL_MS).
      for (const f of await services.notifications.pendingFrames(actor)) conn.send(f)
    } catch (e) {
      log.error('initial sync failed', { connection_id: conn.id, error: e })
    }
  }

  function close(ws: Socket) {
    const conn = connOf(ws)
    if (!conn || conn.closed) return
    conn.closed = true
    untrack(conn)
    conn.drained()
    for (const roomId of [...(conn.typing?.keys() ?? [])]) dispatcher.stopTyping(conn, roomId)
    if (broker.unregister(conn.tenantId, conn.userId, ws)) services.realtime.lastConnectionClosed(conn.actor)
  }

  return {
    subscriber,
    closeTenant,
    closeUser,
    /** Slices of connect-time sync waiting for a turn (metrics: a reconnect storm in progress). */
    syncWaiting: () => connectBudget.waiting(),

    /**
     * GET /ws, mounted by createApp. onRequest has already authenticated the upgrade request and
     * charged it to the tenant's bucket; the route applies the connection caps (429 before any
     * upgrade) and upgrades.
     */
    routes: () =>
      new Elysia().get(
        '/ws',
        async ({ request, server }) => {
          const state = states.get(request)
          const actor = state?.actor
          if (!actor) throw new AppError('AUTHENTICATION_ERROR', 'missing credentials') // onRequest refused it already
          const tenantTotal = await caps.tenantTotal(actor.tenant.tenant_id)
          // No await from here to upgrade(): see connectionCaps.admit.
          caps.admit(actor, tenantTotal, state.headers)
          const data: SocketData = { actor, conn: null }
          if ((server as Server<SocketData> | null)?.upgrade(request, { headers: state.headers, data })) {
            state.status = 101
            return undefined // Bun has answered 101; whatever is returned here is not sent
          }
          throw new AppError('VALIDATION_ERROR', 'GET /ws expects a WebSocket upgrade (Upgrade: websocket)')
        },
        { detail: { hide: true } },
      ),

    /**
     * Bun websocket options and handlers: limits of SPEC §5/§8 (1009 over the frame size, 1006 on
     * backpressure). Passed to listen(), where they replace Elysia's own handlers.
     */
    websocket: (): WebSocketHandler<SocketData> => ({
      maxPayloadLength: config.MAX_WS_FRAME_BYTES,
      backpressureLimit: config.WS_BACKPRESSURE_LIMIT,
      closeOnBackpressureLimit: true,
      idleTimeout: Math.max(1, Math.round(config.WS_IDLE_TIMEOUT_MS / 1000)),
      sendPings: false, // our own pinger below keeps the SPEC's interval
      perMessageDeflate: false,
      publishToSelf: false,
      open: (ws) => void open(ws as Socket),
      message: (ws, data) => {
        const conn = ws.data.conn
        if (conn) return dispatcher.onFrame(conn, decodeFrame(data))
      },
      drain: (ws) => ws.data.conn?.drained(),
      close: (ws) => close(ws as Socket),
    }),

    /**
     * The server ping loop (every WS_PING_INTERVAL_MS; a silent peer hits the idle timeout) and the
     * token-expiry sweep (every tokenExpirySweepMs: a token socket outlives its exp by at most that).
     */
    timers: {
      name: 'websocket pings and token expiry',
      start() {
        pinger = setInterval(() => {
          for (const c of each()) c.ws.ping()
        }, config.WS_PING_INTERVAL_MS)
        pinger.unref?.()
        expirySweep = setInterval(closeExpired, deps.tokenExpirySweepMs ?? 1000)
        expirySweep.unref?.()
      },
      stop() {
        if (pinger) clearInterval(pinger)
        if (expirySweep) clearInterval(expirySweep)
        pinger = expirySweep = null
      },
    } satisfies BackgroundTask,

    /**
     * SPEC §6 shutdown: `server.shutdown` to every socket, let sends already in the group commit
     * finish and answer (`message.sent`), then close 1001. New frames are refused meanwhile.
     */
    async shutdown(reconnectAfterMs: number) {
      if (pinger) clearInterval(pinger)
      if (expirySweep) clearInterval(expirySweep)
      shutdownNotice = serializeFrame(shutdownFrame(reconnectAfterMs))
      services.realtime.stop()
      dispatcher.drain()
      const live = [...each()]
      for (const c of live) c.send(shutdownFrame(reconnectAfterMs))
      await dispatcher.idle()
      for (const c of live) c.ws.close(1001, 'server shutting down')
    },
  }
}

export type Gateway = ReturnType<typeof createGateway>

/** What an upgraded socket carries: its actor (from the upgrade request) and, once open, its connection. */
export interface SocketData {
  actor: Actor
  conn: Connection | null
}

/**
 * A text frame is parsed as JSON; anything else (binary, malformed JSON) reaches the dispatcher as
 * it is and is answered with a VALIDATION_ERROR frame there ("a frame must be a JSON object").
 */
function decodeFrame(data: string | Buffer): unknown {
  if (typeof data !== 'string') return data
  try {
    return JSON.parse(data)
  } catch {
    return data
  }
}
