// The token bucket's cost rule (issue 13 item 4): a take of cost n spends n tokens; it passes when
// the bucket holds min(n, rate) tokens, so a request dearer than the burst is possible from a full
// bucket and its debt is waited out by the takes that follow.

import { expect, test } from 'bun:test'
import { TokenBucket, createTenantLimiter } from '../../src/broker/rate-limiter'

const at = (ms: number) => ({ now: () => ms })

test('cost n spends n tokens; refused when fewer than min(n, rate) are left, and then nothing is spent', () => {
  const clock = { t: 0, now: () => clock.t }
  const b = new TokenBucket(10, 20, clock)
  expect(b.take(10)).toMatchObject({ allowed: true, remaining: 10 })
  expect(b.take(7)).toMatchObject({ allowed: true, remaining: 3 })
  const refused = b.take(5) // needs 5, has 3
  expect(refused).toMatchObject({ allowed: false, remaining: 3, retryAfter: 1 })
  expect(b.take(3)).toMatchObject({ allowed: true, remaining: 0 })
  clock.t = 500 // +5 tokens
  expect(b.take()).toMatchObject({ allowed: true, remaining: 4 })
})

test('a cost above the burst passes from a full bucket; the debt delays the next take', () => {
  const clock = { t: 0, now: () => clock.t }
  const b = new TokenBucket(1, 2, clock)
  expect(b.take(10)).toMatchObject({ allowed: true, remaining: 0 })
  const next = b.take()
  expect(next.allowed).toBe(false)
  expect(next.retryAfter).toBe(9) // from -8 to 1 at 1 token/s
  clock.t = 8_000
  expect(b.take().allowed).toBe(false)
  clock.t = 9_000
  expect(b.take().allowed).toBe(true)
})

test('cost 1 is the old behaviour; the tenant limiter passes the cost through', () => {
  const l = createTenantLimiter(at(0))
  expect(l.take('t', 2).remaining).toBe(3)
  expect(l.take('t', 2, 3)).toMatchObject({ allowed: true, remaining: 0 })
  expect(l.take('t', 2)).toMatchObject({ allowed: false, remaining: 0, retryAfter: 1 })
})
