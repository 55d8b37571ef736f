// The tenant bucket shared in Redis (SPEC §2, §9, §10): the same figures as the in-memory bucket,
// one budget across instances, per-tenant keys, and the per-instance fallback when Redis is down.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createTenantLimiter, TokenBucket } from '../../src/broker/rate-limiter'
import { bucketResult, createRedisTenantLimiter } from '../../src/broker/redis-rate-limiter'
import { adminClient, cleanup, memoryLog, REDIS_URL, redisUp, sleep, uniquePrefix } from './helpers'

describe.skipIf(!redisUp)('redis tenant rate limiter', () => {
  const prefix = uniquePrefix('ratelimit')
  const admin = adminClient()
  const log = memoryLog()
  const L1 = createRedisTenantLimiter({ redisUrl: REDIS_URL, prefix, log, name: `${prefix}l1` })
  const L2 = createRedisTenantLimiter({ redisUrl: REDIS_URL, prefix, log, name: `${prefix}l2` })
  beforeAll(async () => {
    await Promise.all([L1.ready(), L2.ready()])
  })
  afterAll(async () => {
    await L1.close()
    await L2.close()
    await cleanup(admin, prefix)
    admin.disconnect()
  })

  test('headers match the in-memory bucket: limit = burst, remaining counts down, then 429 figures', async () => {
    const rate = 2 // burst 4; a refill of 1 token takes 500 ms, longer than this test's takes
    let clock = 1_700_000_000_000
    const mem = new TokenBucket(rate, rate * 2, { now: () => clock })
    const got = []
    const want = []
    for (let i = 0; i < 6; i++) {
      got.push(await L1.take('t-headers', rate))
      want.push(mem.take())
    }
    expect(got.map((r) => r.allowed)).toEqual([true, true, true, true, false, false])
    expect(got.map((r) => r.allowed)).toEqual(want.map((r) => r.allowed))
    expect(got.map((r) => r.remaining)).toEqual(want.map((r) => r.remaining)) // 3,2,1,0,0,0
    expect(got.map((r) => r.limit)).toEqual(want.map((r) => r.limit))
    expect(got.map((r) => r.retryAfter)).toEqual(want.map((r) => r.retryAfter))
    const now = Math.floor(Date.now() / 1000)
    // Reset: when full again (about burst / rate = 2 s from now).
    expect(got[5].reset).toBeGreaterThanOrEqual(now + 1)
    expect(got[5].reset).toBeLessThanOrEqual(now + 3)
  })

  test('bucketResult is TokenBucket.take arithmetic', () => {
    for (const [rate, tokens] of [[100, 199], [100, 0.5], [3, 0], [1, 0.75], [7, 13.25]] as const) {
      const at = 1_700_000_000_123
      const b = new TokenBucket(rate, rate * 2, { now: () => at })
      // Set the in-memory bucket to `tokens + 1` (≤ burst) and take once, to compare the same state.
      ;(b as unknown as { tokens: number }).tokens = tokens + 1
      const want = b.take()
      expect(bucketResult(true, tokens, at, rate)).toEqual(want)
    }
  })

  test('a take of cost n: the same figures as the in-memory bucket, debt included', async () => {
    const rate = 2 // burst 4; a refill of 1 token takes 500 ms
    let clock = 1_700_000_000_000
    const mem = new TokenBucket(rate, rate * 2, { now: () => clock })
    const costs = [3, 1, 5, 1, 2]
    const got = []
    const want = []
    for (const c of costs) {
      got.push(await L1.take('t-cost', rate, c))
      want.push(mem.take(c))
    }
    // 4 → 1 → 0 → refused (needs min(5, rate) = 2) → refused → refused
    expect(want.map((r) => r.allowed)).toEqual([true, true, false, false, false])
    expect(got.map((r) => [r.allowed, r.remaining, r.retryAfter])).toEqual(want.map((r) => [r.allowed, r.remaining, r.retryAfter]))
    // A cost above the burst passes from a full bucket and leaves a debt the next takes wait out.
    const big = await L2.take('t-debt', rate, 10)
    expect(big.allowed).toBe(true)
    expect(big.remaining).toBe(0)
    const after = await L1.take('t-debt', rate)
    expect(after.allowed).toBe(false)
    expect(after.retryAfter).toBe(4) // (1 - (4 - 10)) / 2 = 3.5 s, in whole seconds
  })

  test('the limit holds across two instances: total allowed ≈ burst', async () => {
    const rate = 10 // burst 20
    const results = await Promise.all(Array.from({ length: 60 }, (_, i) => (i % 2 ? L1 : L2).take('t-shared', rate)))
    const allowed = results.filter((r) => r.allowed).length
    expect(allowed).toBeGreaterThanOrEqual(20)
    expect(allowed).toBeLessThanOrEqual(21) // at most one token refilled while the 60 takes ran
    expect(results.filter((r) => !r.allowed).every((r) => r.remaining === 0 && r.retryAfter >= 1)).toBe(true)
    // Another tenant has its own bucket.
    expect((await L2.take('t-other', rate)).remaining).toBe(19)
  })

  test('tokens refill at the rate, shared by both instances', async () => {
    const rate = 20 // burst 40
    for (let i = 0; i < 40; i++) await L1.take('t-refill', rate)
    expect((await L2.take('t-refill', rate)).allowed).toBe(false)
    await sleep(250) // ≈ 5 tokens
    let n = 0
    for (let i = 0; i < 20; i++) if ((await (i % 2 ? L1 : L2).take('t-refill', rate)).allowed) n++
    expect(n).toBeGreaterThanOrEqual(4)
    expect(n).toBeLessThanOrEqual(7)
  })

  test('a rate change keeps the fill, clipped to the new burst', async () => {
    await L1.take('t-resize', 50) // 99 left of 100
    const r = await L2.take('t-resize', 5) // clipped to 10, minus 1
    expect(r.limit).toBe(10)
    expect(r.remaining).toBe(9)
  })

  test('the key expires once the bucket would be full again', async () => {
    await L1.take('t-ttl', 100)
    const pttl = await admin.pttl(`${prefix}rl:t-ttl`)
    expect(pttl).toBeGreaterThan(0)
    expect(pttl).toBeLessThanOrEqual(1010 + 1000)
  })
})

describe.skipIf(!redisUp)('redis tenant rate limiter: Redis unreachable', () => {
  test('falls back to a per-instance bucket at once', async () => {
    const log = memoryLog()
    const L = createRedisTenantLimiter({ redisUrl: 'redis://127.0.0.1:1', log, fallback: createTenantLimiter({ now: () => 0 }) })
    const t0 = Date.now()
    const rs = []
    for (let i = 0; i < 5; i++) rs.push(await L.take('t', 2))
    expect(Date.now() - t0).toBeLessThan(500)
    expect(rs.map((r) => r.allowed)).toEqual([true, true, true, true, false])
    expect(log.lines.filter((l) => l.includes('limiting per instance'))).toHaveLength(1) // logged once
    await L.close()
  })
})
