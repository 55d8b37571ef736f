// The tenant token bucket (SPEC §2, §10) shared by every instance through Redis (SPEC §9).
//
// Same policy as createTenantLimiter: capacity (burst) = 2 × rate, a new bucket starts full, refill
// is continuous at `rate` tokens per second, a rate change keeps the fill (clipped to the new
// capacity), a take of cost n passes with min(n, rate) tokens and spends n (the fill may go below
// zero), and the headers are computed by the same formulas. The refill and the take run in one
// Lua script (atomic: concurrent instances never both spend the last token) with Redis TIME as the
// clock, so instances with skewed clocks agree. One hash per tenant, `<prefix>rl:<tenant>`
// {tk: tokens, ts: ms}; it expires once the bucket would be full again (a missing key is a full
// bucket, so that changes nothing).
//
// Redis unreachable or slow (command timeout): `take` answers from an in-memory bucket on this
// instance (the per-instance limit of the single-instance mode), logged once in a while, so the
// API keeps serving rather than failing or hanging requests.

import { systemClock, type Clock } from '../clock'
import type { Logger } from '../log'
import { LUA_NOW, lua, openRedis, preloadScripts, runScript, throttledWarn, whenReady, type Redis } from './redis-client'
import { createTenantLimiter, neededFor, takeResult, type TakeResult } from './rate-limiter'

export interface RedisTenantLimiterOptions {
  /** Either a URL (a connection is opened and closed by close()) or a shared command connection. */
  redisUrl?: string
  redis?: Redis
  /** Key prefix (default `chatapi:`). */
  prefix?: string
  log: Logger
  /** Clock of the in-memory fallback bucket. */
  clock?: Clock
  /** Answers while Redis is unavailable (default: an in-memory createTenantLimiter). */
  fallback?: { take(tenantId: string, ratePerSec: number, cost?: number): TakeResult }
  /** Connection name when redisUrl is used. */
  name?: string
}

// KEYS: bucket.  ARGV: rate per second, cost, tokens needed (min(cost, rate), worked out by
// neededFor).  Returns {allowed 0|1, tokens (string), now ms}.
const TAKE = lua(`${LUA_NOW}
local rate = tonumber(ARGV[1])
local cost = tonumber(ARGV[2])
local need = tonumber(ARGV[3])
local cap = rate * 2
local b = redis.call('HMGET', KEYS[1], 'tk', 'ts')
local tokens = tonumber(b[1])
local ts = tonumber(b[2])
if tokens == nil or ts == nil then tokens = cap ts = now end
if ts > now then ts = now end
tokens = math.min(cap, tokens + ((now - ts) / 1000) * rate)
local allowed = 0
if tokens >= need then
  tokens = tokens - cost
  allowed = 1
end
local tk = string.format('%.17g', tokens)
redis.call('HSET', KEYS[1], 'tk', tk, 'ts', string.format('%d', now))
redis.call('PEXPIRE', KEYS[1], math.ceil(((cap - tokens) / rate) * 1000) + 1000)
return { allowed, tk, string.format('%d', now) }`)

/** The header figures of SPEC §10 from the bucket state after a take (the same math as TokenBucket.take). */
export const bucketResult = (allowed: boolean, tokens: number, nowMs: number, ratePerSec: number, need = 1): TakeResult =>
  takeResult(allowed, tokens, nowMs, ratePerSec, ratePerSec * 2, need)

export function createRedisTenantLimiter(o: RedisTenantLimiterOptions) {
  if (!o.redis && !o.redisUrl) throw new Error('createRedisTenantLimiter: redisUrl or redis is required')
  const prefix = o.prefix ?? 'chatapi:'
  const owned = !o.redis
  const redis = o.redis ?? openRedis(o.redisUrl!, { name: o.name ?? `${prefix}ratelimit`, log: o.log, commandTimeoutMs: 500 })
  const fallback = o.fallback ?? createTenantLimiter(o.clock ?? systemClock)
  preloadScripts(redis, [TAKE])
  const warn = throttledWarn(o.log)

  return {
    /** Resolves once connected (before that, and during an outage, take() answers from the fallback). */
    ready: () => whenReady(redis),
    /** Takes `cost` tokens (default 1) from the tenant's shared bucket (burst = 2 × ratePerSec). */
    async take(tenantId: string, ratePerSec: number, cost = 1): Promise<TakeResult> {
      const need = neededFor(cost, ratePerSec)
      try {
        const [allowed, tokens, now] = (await runScript(redis, TAKE, [`${prefix}rl:${tenantId}`], [ratePerSec, cost, need])) as [number, string, string]
        return bucketResult(allowed === 1, Number(tokens), Number(now), ratePerSec, need)
      } catch (e) {
        warn('redis rate limit unavailable; limiting per instance', e)
        return fallback.take(tenantId, ratePerSec, cost)
      }
    },
    async close(): Promise<void> {
      if (owned) await redis.quit().catch(() => redis.disconnect())
    },
  }
}

export type RedisTenantLimiter = ReturnType<typeof createRedisTenantLimiter>
