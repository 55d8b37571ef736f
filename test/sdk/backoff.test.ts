// Reconnect delays: exponential, capped, jittered within [d/2, d], never zero.

import { expect, test } from 'bun:test'
import { backoffDelay, DEFAULT_BACKOFF, shutdownDelay } from '../../sdk/src'

test('exponential with equal jitter, capped', () => {
  const o = { initialMs: 100, maxMs: 1000, factor: 2 }
  expect([0, 1, 2, 3, 4, 5].map((a) => backoffDelay(a, o, () => 1))).toEqual([100, 200, 400, 800, 1000, 1000])
  expect([0, 1, 2, 3, 4, 5].map((a) => backoffDelay(a, o, () => 0))).toEqual([50, 100, 200, 400, 500, 500])
  const spread = new Set(Array.from({ length: 50 }, () => backoffDelay(3, o)))
  expect(spread.size).toBeGreaterThan(10) // jittered: clients do not come back in lock step
  for (const d of spread) expect(d >= 400 && d <= 800).toBe(true)
  expect(backoffDelay(0)).toBeGreaterThanOrEqual(DEFAULT_BACKOFF.initialMs / 2)
})

test('after server.shutdown: at least reconnect_after_ms, spread by up to half of it (at most 2 s)', () => {
  expect(shutdownDelay(1000, () => 0)).toBe(1000)
  expect(shutdownDelay(1000, () => 1)).toBe(1500)
  expect(shutdownDelay(10_000, () => 1)).toBe(12_000)
})
