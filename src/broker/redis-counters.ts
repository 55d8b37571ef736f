// Connection counters across instances (SPEC §9, §10 usage; GET /health's cluster figure), in Redis:
// hash `<prefix>conns:<instance>` (tenant → this instance's live connections), rewritten from the
// local counts by a heartbeat and expiring after ttlMs, plus the sorted set `<prefix>instances`
// (instance → deadline). A killed instance stops counting within ttlMs. Between heartbeats each
// open and close adjusts the hash at once, so a cap checked on another instance sees it.

import type { Logger } from '../log'
import { LUA_NOW, lua, preloadScripts, runScript, throttledWarn, type Redis } from './redis-client'

// KEYS: instances zset, this instance's counter hash.  ARGV: instance, ttlMs, then tenant, count pairs.
const HEARTBEAT = lua(`${LUA_NOW}
local ttl = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
redis.call('DEL', KEYS[2])
for i = 3, #ARGV, 2 do redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1]) end
redis.call('PEXPIRE', KEYS[2], ttl)
return now`)

// KEYS: instances zset.  ARGV: counter hash prefix, tenant.
const COUNT = lua(`${LUA_NOW}
local sum = 0
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], now, '+inf')) do
  local c = tonumber(redis.call('HGET', ARGV[1] .. id, ARGV[2]))
  if c and c > 0 then sum = sum + c end
end
return sum`)

// KEYS: instances zset.  ARGV: counter hash prefix.  Returns {live instances, their connections}.
const CLUSTER = lua(`${LUA_NOW}
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], now, '+inf')
local sum = 0
for _, id in ipairs(ids) do
  for _, c in ipairs(redis.call('HVALS', ARGV[1] .. id)) do
    local n = tonumber(c)
    if n and n > 0 then sum = sum + n end
  end
end
return { #ids, sum }`)

// KEYS: this instance's counter hash.  ARGV: tenant, delta, ttlMs
const INCR = lua(`redis.call('HINCRBY', KEYS[1], ARGV[1], ARGV[2])
if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
return 1`)

export interface ConnectionCountersOptions {
  cmd: Redis
  prefix: string
  instanceId: string
  log: Logger
  /** This instance's live connections per tenant right now (the heartbeat rewrites the hash from it). */
  localCounts(): Map<string, number>
  heartbeatMs: number
  ttlMs: number
}

export function createConnectionCounters(o: ConnectionCountersOptions) {
  const { cmd, instanceId, ttlMs } = o
  const warn = throttledWarn(o.log)
  const instancesKey = `${o.prefix}instances`
  const connsPrefix = `${o.prefix}conns:`
  const connsKey = connsPrefix + instanceId

  async function heartbeat() {
    const args: (string | number)[] = [instanceId, ttlMs]
    for (const [tenantId, n] of o.localCounts()) args.push(tenantId, n)
    await runScript(cmd, HEARTBEAT, [instancesKey, connsKey], args)
  }
  preloadScripts(cmd, [HEARTBEAT, COUNT, INCR, CLUSTER])
  const beat = () => heartbeat().catch((e) => warn('redis heartbeat failed', e))
  let timer: ReturnType<typeof setInterval> | null = setInterval(beat, o.heartbeatMs)
  timer.unref?.()
  cmd.on('ready', beat) // at start and after a Redis restart (which lost the counters)
  if (cmd.status === 'ready') void beat()

  return {
    /** One more (or fewer) connection of the tenant here; the next heartbeat corrects a lost one. */
    bump(tenantId: string, delta: number) {
      runScript(cmd, INCR, [connsKey], [tenantId, delta, ttlMs]).catch((e) => warn('redis connection counter failed (the heartbeat rewrites it)', e))
    },
    /** Live connections of the tenant on every live instance. */
    async tenant(tenantId: string): Promise<number> {
      return Number(await runScript(cmd, COUNT, [instancesKey], [connsPrefix, tenantId]))
    },
    /** Live instances and their connections, all tenants. */
    async cluster(): Promise<{ instances: number; connections: number }> {
      const [instances, connections] = (await runScript(cmd, CLUSTER, [instancesKey], [connsPrefix])) as [number, number]
      return { instances: Number(instances), connections: Number(connections) }
    },
    /** Stops the heartbeat; with `cleanup`, removes this instance's entries now (else they expire after ttlMs). */
    async stop(cleanup: boolean) {
      if (timer) clearInterval(timer)
      timer = null
      cmd.off('ready', beat)
      if (cleanup) await Promise.all([cmd.zrem(instancesKey, instanceId), cmd.del(connsKey)]).catch(() => {})
    },
  }
}
