// Shared ioredis plumbing for the multi-instance mode (SPEC §9): connections that fail fast while
// Redis is down (callers degrade to their local answer instead of hanging a request), one log line
// per outage, and Lua scripts run by SHA with a fallback to EVAL after a Redis restart.
//
// ioredis rather than Bun's client: Bun 1.4.5's client reconnects without re-subscribing
// (TOOLCHAIN §6). The subscriber here re-subscribes itself on every `ready` (see redis.ts), so the
// broker knows exactly when it is listening again.

import { Redis } from 'ioredis'
import type { Logger } from '../log'

export type { Redis }

export interface OpenRedisOptions {
  /** CLIENT SETNAME, e.g. `chatapi:<instance>:sub` (lets an operator or a test find the connection). */
  name: string
  log: Logger
  /** A pub/sub connection: keeps the offline queue (subscribe calls wait for the connection). */
  subscriber?: boolean
  /** Per-command timeout for command connections (ms). */
  commandTimeoutMs?: number
}

/**
 * A command connection rejects at once while disconnected (no offline queue) and after
 * `commandTimeoutMs` when Redis stalls, so a request never waits on a dead Redis.
 */
export function openRedis(url: string, o: OpenRedisOptions): Redis {
  const r = new Redis(url, {
    connectionName: o.name,
    enableOfflineQueue: o.subscriber === true,
    autoResubscribe: false,
    maxRetriesPerRequest: o.subscriber ? null : 1,
    ...(o.subscriber ? {} : { commandTimeout: o.commandTimeoutMs ?? 2000 }),
    connectTimeout: 2000,
    retryStrategy: (times: number) => Math.min(50 * 2 ** Math.min(times, 6), 2000),
  })
  watchRedis(r, o.log, o.name)
  return r
}

/** An `error` listener is required (else ioredis reports "Unhandled error event"); logs once per outage. */
export function watchRedis(r: Redis, log: Logger, name: string) {
  let down = false
  const lost = (error: string) => {
    if (down) return
    down = true
    log.warn('redis unavailable', { client: name, error })
  }
  r.on('error', (e: Error) => lost(e.message))
  // A connection closed by the server (restart, CLIENT KILL) reconnects without an `error` event.
  r.on('reconnecting', () => lost('connection lost; reconnecting'))
  r.on('ready', () => {
    if (!down) return
    down = false
    log.info('redis reconnected', { client: name })
  })
}

/** Resolves once the connection is ready (commands fail fast before that: no offline queue). */
export function whenReady(r: Redis): Promise<void> {
  if (r.status === 'ready') return Promise.resolve()
  return new Promise((resolve) => r.once('ready', () => resolve()))
}

export interface LuaScript {
  sha: string
  src: string
}

export function lua(src: string): LuaScript {
  return { sha: new Bun.CryptoHasher('sha1').update(src).digest('hex'), src }
}

/**
 * Loads the scripts now and after every reconnect (a restarted Redis has an empty script cache), so
 * EVALSHA rarely meets NOSCRIPT: its EVAL retry would reach Redis after commands sent later.
 */
export function preloadScripts(r: Redis, scripts: LuaScript[]) {
  const load = () => {
    for (const s of scripts) r.script('LOAD', s.src).catch(() => {})
  }
  r.on('ready', load)
  if (r.status === 'ready') load()
}

/** EVALSHA, falling back to EVAL when the script cache is empty (first use, or Redis restarted). */
export async function runScript(r: Redis, s: LuaScript, keys: string[], args: (string | number)[]): Promise<unknown> {
  try {
    return await r.evalsha(s.sha, keys.length, ...keys, ...args)
  } catch (e) {
    if (!String((e as Error).message).includes('NOSCRIPT')) throw e
    return r.eval(s.src, keys.length, ...keys, ...args)
  }
}

/** Logs a failed Redis call at most once per `everyMs` per label (an outage must not flood the log). */
export function throttledWarn(log: Logger, everyMs = 10_000) {
  const last = new Map<string, number>()
  return (label: string, e: unknown) => {
    const now = Date.now()
    if (now - (last.get(label) ?? 0) < everyMs) return
    last.set(label, now)
    log.warn(label, { error: (e as Error)?.message ?? String(e) })
  }
}

/** Milliseconds from Redis TIME inside a script (one clock for every instance). */
export const LUA_NOW = `local __t = redis.call('TIME')
local now = tonumber(__t[1]) * 1000 + math.floor(tonumber(__t[2]) / 1000)
`
