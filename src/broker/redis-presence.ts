// Presence across instances (SPEC §5, §9) in Redis, with expiring entries so a dead instance stops
// counting within a bounded time.
//
// Per user:
//   <prefix>presence:<tenant>:<user>  hash  field = instance id, value = deadline (Redis ms)
//   <prefix>seen:<tenant>:<user>      string  last time the user was seen connected (Redis ms)
//   <prefix>online:<tenant>:<user>    string  present while the cluster has announced the user online
// An instance writes its field when the user's first local connection opens, refreshes it (and
// `seen`) every `heartbeatMs` for every user connected to it, and deletes it on the user's last
// local disconnect (setting `seen` to that moment). A field whose deadline has passed no longer
// counts, so a killed instance stops counting `ttlMs` after its last heartbeat at the latest; the
// hash itself expires once nobody refreshes it. Every time comes from Redis TIME, so instances with
// skewed clocks agree.
//
// isOnline = connected anywhere, or within `graceMs` of `seen` (SPEC §5: offline only after the grace).
//
// Announcements (the PresenceAnnouncer port) are decided here, atomically, so two instances never
// both announce: claimOnline sets `online` when it was absent (or stale: nobody connected and the
// grace long over, as after the instance that would have announced offline died); claimOffline
// deletes it when no instance has a live entry. The instance that wins announces.
// Not Redis Cluster safe (a heartbeat touches many users' keys in one script): one Redis or Sentinel.

import type { Logger } from '../log'
import type { PresenceStore } from './types'
import { LUA_NOW, lua, openRedis, preloadScripts, runScript, throttledWarn, whenReady, type Redis } from './redis-client'

export interface RedisPresenceOptions {
  /** Either a URL (a connection is opened and closed by close()) or a shared command connection. */
  redisUrl?: string
  redis?: Redis
  instanceId: string
  /** PRESENCE_GRACE_MS. */
  graceMs: number
  /** How long an instance's entry counts without a heartbeat (default 15 000 ms). */
  ttlMs?: number
  /** Heartbeat period (default ttlMs / 3). */
  heartbeatMs?: number
  /** Key prefix (default `chatapi:`); tests use a unique one per run. */
  prefix?: string
  /** How long `seen` is kept after the last connection (default 30 days; then lastSeen is null). */
  seenTtlMs?: number
  log: Logger
  /** Users with a live connection on this instance (refreshed by the heartbeat), e.g. local.connectedUsers. */
  users?: () => Iterable<{ tenantId: string; userId: string }>
  /** Answers while Redis is unreachable (e.g. the LocalBroker: this instance's view only). */
  fallback?: PresenceStore & { connected?(tenantId: string, userId: string): boolean }
}

/** Keys refreshed per script call in a heartbeat. */
const BATCH = 250

// KEYS: presence hash, seen.  ARGV: instance, ttlMs, seenTtlMs
const CONNECT = lua(`${LUA_NOW}
local ttl = tonumber(ARGV[2])
redis.call('HSET', KEYS[1], ARGV[1], now + ttl)
local pttl = redis.call('PTTL', KEYS[1])
if pttl < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
redis.call('SET', KEYS[2], now, 'PX', ARGV[3])
return now`)

// KEYS: presence hash, seen.  ARGV: instance, seenTtlMs
const DISCONNECT = lua(`${LUA_NOW}
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], now, 'PX', ARGV[2])
return now`)

// KEYS: (presence hash, seen) pairs.  ARGV: instance, ttlMs, seenTtlMs
// Also drops fields of instances whose deadline passed (dead instances).
const HEARTBEAT = lua(`${LUA_NOW}
local ttl = tonumber(ARGV[2])
for i = 1, #KEYS, 2 do
  local h = KEYS[i]
  local all = redis.call('HGETALL', h)
  for j = 1, #all, 2 do
    if all[j] ~= ARGV[1] and tonumber(all[j + 1]) <= now then redis.call('HDEL', h, all[j]) end
  end
  redis.call('HSET', h, ARGV[1], now + ttl)
  if redis.call('PTTL', h) < ttl then redis.call('PEXPIRE', h, ttl) end
  redis.call('SET', KEYS[i + 1], now, 'PX', ARGV[3])
end
return now`)

// KEYS: presence hash, seen.  Returns {connected 0|1, now, seen|nil}
const STATE = lua(`${LUA_NOW}
local connected = 0
for _, v in ipairs(redis.call('HVALS', KEYS[1])) do
  if tonumber(v) > now then connected = 1 break end
end
return { connected, now, redis.call('GET', KEYS[2]) }`)

// KEYS: presence hash, seen, online.  ARGV: instance, ttlMs, seenTtlMs, stale-after ms.  1 = announce.
// `online` already set counts unless it is stale: no other live instance and `seen` (before this
// connect) older than the grace plus a margin, i.e. the offline announcement never came.
const CLAIM_ONLINE = lua(`${LUA_NOW}
local ttl = tonumber(ARGV[2])
local others = false
local all = redis.call('HGETALL', KEYS[1])
for j = 1, #all, 2 do
  if all[j] ~= ARGV[1] and tonumber(all[j + 1]) > now then others = true end
end
local seen = tonumber(redis.call('GET', KEYS[2]))
redis.call('HSET', KEYS[1], ARGV[1], now + ttl)
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
redis.call('SET', KEYS[2], now, 'PX', ARGV[3])
if redis.call('EXISTS', KEYS[3]) == 1 and (others or (seen and now - seen < tonumber(ARGV[4]))) then return 0 end
redis.call('SET', KEYS[3], now, 'PX', ARGV[3])
return 1`)

// KEYS: presence hash, online.  1 = announce offline (no live entry anywhere, and online was set).
const CLAIM_OFFLINE = lua(`${LUA_NOW}
for _, v in ipairs(redis.call('HVALS', KEYS[1])) do
  if tonumber(v) > now then return 0 end
end
return redis.call('DEL', KEYS[2])`)

export function createRedisPresence(o: RedisPresenceOptions) {
  if (!o.redis && !o.redisUrl) throw new Error('createRedisPresence: redisUrl or redis is required')
  const prefix = o.prefix ?? 'chatapi:'
  const ttlMs = o.ttlMs ?? 15_000
  const heartbeatMs = o.heartbeatMs ?? Math.max(50, Math.floor(ttlMs / 3))
  const seenTtlMs = o.seenTtlMs ?? 30 * 24 * 3600 * 1000
  const owned = !o.redis
  const redis = o.redis ?? openRedis(o.redisUrl!, { name: `${prefix}${o.instanceId}:presence`, log: o.log })
  preloadScripts(redis, [CONNECT, DISCONNECT, HEARTBEAT, STATE, CLAIM_ONLINE, CLAIM_OFFLINE])
  const warn = throttledWarn(o.log)
  const hkey = (t: string, u: string) => `${prefix}presence:${t}:${u}`
  const skey = (t: string, u: string) => `${prefix}seen:${t}:${u}`
  const okey = (t: string, u: string) => `${prefix}online:${t}:${u}`
  /** An `online` mark older than this with nobody connected was never followed by its offline. */
  const staleAfterMs = o.graceMs + 2000

  async function state(tenantId: string, userId: string) {
    const [connected, now, seen] = (await runScript(redis, STATE, [hkey(tenantId, userId), skey(tenantId, userId)], [])) as [number, number, string | null]
    return { connected: connected === 1, now: Number(now), seen: seen === null ? null : Number(seen) }
  }

  /** Runs a Redis read; on failure answers from the fallback (if any) and logs once in a while. */
  async function orFallback<T>(label: string, read: () => Promise<T>, local: (() => T | Promise<T>) | null): Promise<T> {
    try {
      return await read()
    } catch (e) {
      warn(`presence ${label} failed; answering from this instance`, e)
      if (!local) throw e
      return local()
    }
  }

  async function heartbeat() {
    const users = [...(o.users?.() ?? [])]
    const jobs: Promise<unknown>[] = []
    for (let i = 0; i < users.length; i += BATCH) {
      const keys = users.slice(i, i + BATCH).flatMap((x) => [hkey(x.tenantId, x.userId), skey(x.tenantId, x.userId)])
      jobs.push(runScript(redis, HEARTBEAT, keys, [o.instanceId, ttlMs, seenTtlMs]))
    }
    await Promise.all(jobs)
  }

  let timer: ReturnType<typeof setInterval> | null = setInterval(() => {
    heartbeat().catch((e) => warn('presence heartbeat failed', e))
  }, heartbeatMs)
  timer.unref?.()

  const fb = o.fallback
  return {
    instanceId: o.instanceId,
    ttlMs,
    heartbeatMs,
    /** Resolves once connected (before that, reads use the fallback and updates wait for the heartbeat). */
    ready: () => whenReady(redis),

    /** The user's first connection on this instance opened (call without awaiting is fine). */
    async userConnected(tenantId: string, userId: string): Promise<void> {
      try {
        await runScript(redis, CONNECT, [hkey(tenantId, userId), skey(tenantId, userId)], [o.instanceId, ttlMs, seenTtlMs])
      } catch (e) {
        warn('presence update failed (the heartbeat will retry)', e)
      }
    },

    /** The user's last connection on this instance closed. */
    async userDisconnected(tenantId: string, userId: string): Promise<void> {
      try {
        await runScript(redis, DISCONNECT, [hkey(tenantId, userId), skey(tenantId, userId)], [o.instanceId, seenTtlMs])
      } catch (e) {
        warn('presence update failed (the entry expires after the TTL)', e)
      }
    },

    /** Connected on any live instance right now (ignores the grace), e.g. for the delayed offline announcement. */
    connectedAnywhere(tenantId: string, userId: string): Promise<boolean> {
      return orFallback('read', async () => (await state(tenantId, userId)).connected, fb?.connected ? () => fb.connected!(tenantId, userId) : null)
    },

    /** PresenceStore: connected anywhere, or within graceMs of the last time seen. */
    isOnline(tenantId: string, userId: string): Promise<boolean> {
      return orFallback(
        'read',
        async () => {
          const s = await state(tenantId, userId)
          return s.connected || (s.seen !== null && s.now - s.seen < o.graceMs)
        },
        fb ? () => fb.isOnline(tenantId, userId) : null,
      )
    },

    /** PresenceStore: now (Redis time) while connected anywhere, else the last time seen, or null. */
    lastSeen(tenantId: string, userId: string): Promise<number | null> {
      return orFallback(
        'read',
        async () => {
          const s = await state(tenantId, userId)
          return s.connected ? s.now : s.seen
        },
        fb ? () => fb.lastSeen(tenantId, userId) : null,
      )
    },

    // --- PresenceAnnouncer (the cluster decides; on a Redis failure this instance decides alone) ---
    /** Also records this instance's entry, so a claim never waits for userConnected. */
    claimOnline(tenantId: string, userId: string): Promise<boolean> {
      return orFallback(
        'claim',
        async () => (await runScript(redis, CLAIM_ONLINE, [hkey(tenantId, userId), skey(tenantId, userId), okey(tenantId, userId)], [o.instanceId, ttlMs, seenTtlMs, staleAfterMs])) === 1,
        () => true, // this instance's first connection: announce (another instance may have too)
      )
    },
    claimOffline(tenantId: string, userId: string): Promise<boolean> {
      return orFallback(
        'claim',
        async () => (await runScript(redis, CLAIM_OFFLINE, [hkey(tenantId, userId), okey(tenantId, userId)], [])) === 1,
        () => !(fb?.connected?.(tenantId, userId) ?? false),
      )
    },
    announced(tenantId: string, userId: string): Promise<boolean | null> {
      return orFallback('read', async () => (await redis.exists(okey(tenantId, userId))) === 1, () => null)
    },

    /** Refreshes this instance's entries now (runs every heartbeatMs on its own). */
    heartbeat,

    /**
     * Stops the heartbeat. With cleanup (default) this instance's users are marked disconnected now;
     * without it (a crash, or a test of one) their entries simply expire after ttlMs.
     */
    async close(opts: { cleanup?: boolean } = {}): Promise<void> {
      if (timer) clearInterval(timer)
      timer = null
      if (opts.cleanup !== false) {
        const users = [...(o.users?.() ?? [])]
        await Promise.all(
          users.map((x) =>
            runScript(redis, DISCONNECT, [hkey(x.tenantId, x.userId), skey(x.tenantId, x.userId)], [o.instanceId, seenTtlMs]).catch(() => {}),
          ),
        )
      }
      if (owned) {
        if (opts.cleanup === false) redis.disconnect()
        else await redis.quit().catch(() => redis.disconnect())
      }
    },
  }
}

export type RedisPresence = ReturnType<typeof createRedisPresence>
