// Two-instance harness against the real local Redis: each "instance" is a LocalBroker on a real
// Bun.serve WebSocket server (port 0) wrapped by the Redis broker and presence. Keys and channels
// use a unique prefix per test run, deleted afterwards. The suites skip (with a message) when Redis
// is unreachable; the shared Redis server is never stopped.

import { Redis } from 'ioredis'
import type { Server } from 'bun'
import { systemClock } from '../../src/clock'
import { createLogger, type Logger } from '../../src/log'
import { createLocalBroker } from '../../src/broker/local'
import { createRedisBroker } from '../../src/broker/redis'
import { createRedisPresence } from '../../src/broker/redis-presence'
import { WsClient } from '../support/ws'

export const REDIS_URL = process.env.TEST_REDIS_URL ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'

async function reachable(): Promise<boolean> {
  const probe = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false })
  probe.on('error', () => {})
  try {
    await probe.connect()
    return (await probe.ping()) === 'PONG'
  } catch {
    return false
  } finally {
    probe.disconnect()
  }
}

export const redisUp = await reachable()
if (!redisUp) console.warn(`\n[test/redis] SKIPPED: Redis is not reachable at ${REDIS_URL} (set TEST_REDIS_URL, or start redis-server)\n`)

export const uniquePrefix = (name: string) => `chatapi-test:${name}:${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}:`

/** A plain connection for assertions and cleanup. */
export function adminClient(): Redis {
  const r = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 })
  r.on('error', () => {})
  return r
}

/** Deletes every key under the prefix. */
export async function cleanup(r: Redis, prefix: string) {
  let cursor = '0'
  do {
    const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500)
    cursor = next
    if (keys.length) await r.del(...keys)
  } while (cursor !== '0')
}

/** A logger that keeps its lines (and prints nothing). */
export function memoryLog(): Logger & { lines: string[] } {
  const lines: string[] = []
  return Object.assign(createLogger('debug', {}, (l) => lines.push(l)), { lines })
}

export interface InstanceOptions {
  prefix: string
  graceMs?: number
  ttlMs?: number
  heartbeatMs?: number
  redisUrl?: string
  /** Skip waiting for the subscriber (an unreachable Redis). */
  noWait?: boolean
}

export type Instance = Awaited<ReturnType<typeof startInstance>>

/** One instance: LocalBroker + Bun server + Redis broker + Redis presence. */
export async function startInstance(name: string, o: InstanceOptions) {
  const log = memoryLog()
  const instanceId = `${name}-${Math.random().toString(36).slice(2, 8)}`
  const graceMs = o.graceMs ?? 200
  const redisUrl = o.redisUrl ?? REDIS_URL
  const local = createLocalBroker(systemClock, graceMs)
  const presence = createRedisPresence({
    redisUrl,
    instanceId,
    graceMs,
    ttlMs: o.ttlMs ?? 1500,
    heartbeatMs: o.heartbeatMs ?? 250,
    prefix: o.prefix,
    log,
    users: () => local.connectedUsers(),
    fallback: local,
  })
  const broker = createRedisBroker({ redisUrl, local, instanceId, log, prefix: o.prefix, presence, ttlMs: o.ttlMs ?? 1500, heartbeatMs: o.heartbeatMs ?? 250 })
  type Data = { t: string; u: string }
  const server: Server<Data> = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch(req, srv) {
      const q = new URL(req.url).searchParams
      if (srv.upgrade(req, { data: { t: q.get('t') ?? '', u: q.get('u') ?? '' } })) return
      return new Response('upgrade required', { status: 400 })
    },
    websocket: {
      data: {} as Data,
      open(ws) {
        broker.register(ws.data.t, ws.data.u, ws as never)
        ws.send(JSON.stringify({ type: 'hello' }))
      },
      message() {},
      close(ws) {
        broker.unregister(ws.data.t, ws.data.u, ws as never)
      },
    },
  })
  broker.attach(server as never)
  if (!o.noWait) await Promise.all([broker.ready(), presence.ready()])
  const clients: WsClient[] = []
  return {
    name,
    instanceId,
    log,
    local,
    presence,
    broker,
    server,
    /** A socket of (tenant, user) on this instance, registered once it returns. */
    async connect(tenantId: string, userId: string): Promise<WsClient> {
      // A bare broker test server: its frames are markers, not ChatAPI's (unchecked).
      const c = await WsClient.connect(`ws://127.0.0.1:${server.port}/ws?t=${encodeURIComponent(tenantId)}&u=${encodeURIComponent(userId)}`, {}, { checkFrames: false })
      await c.next('hello')
      clients.push(c)
      return c
    },
    /** Stops everything; cleanup=false leaves its Redis entries to expire, as a crash would. */
    async stop(opts: { cleanup?: boolean } = {}) {
      for (const c of clients) c.close()
      await broker.close(opts)
      await presence.close(opts)
      server.stop(true)
    },
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Polls until `pred` holds (returns the elapsed ms) or fails after `ms`. */
export async function until(pred: () => boolean | Promise<boolean>, ms = 5000, every = 25): Promise<number> {
  const t0 = Date.now()
  for (;;) {
    if (await pred()) return Date.now() - t0
    if (Date.now() - t0 > ms) throw new Error(`condition not met within ${ms} ms`)
    await sleep(every)
  }
}
