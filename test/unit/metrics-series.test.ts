// The in-memory rings behind GET /v1/admin/stats (src/metrics-series.ts) on a hand-moved clock:
// steps, clearing as time passes, the connections gauge, and the cap on tenants tracked.

import { expect, test } from 'bun:test'
import { BYTES_PER_TENANT, createTenantSeries, SERIES_NAMES, WINDOWS } from '../../src/metrics-series'

const T0 = Date.UTC(2025, 0, 1, 12, 0, 0) // on a 10 min boundary
function setup(maxTenants?: number) {
  const clock = { t: T0, now: () => clock.t }
  return { clock, series: createTenantSeries({ clock, maxTenants }) }
}
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0)

test('a count lands in the current point of every window, at that window\'s step', () => {
  const { clock, series } = setup()
  clock.t = T0 + 25_000 // 25 s in: the third 10 s step, the first 60 s and 600 s steps
  series.add('t1', 'messages', 2)
  series.add('t1', 'messages')
  const m15 = series.read('t1', '15m')
  expect(m15.step_s).toBe(10)
  expect(m15.series.messages).toHaveLength(90)
  expect(m15.series.messages.at(-1)).toBe(3)
  expect(Date.parse(m15.start)).toBe(T0 + 20_000 - 89 * 10_000)
  expect(series.read('t1', '1h').series.messages.at(-1)).toBe(3)
  expect(series.read('t1', '24h').series.messages.at(-1)).toBe(3)
  expect(Date.parse(series.read('t1', '24h').start)).toBe(T0 - 143 * 600_000)
  for (const name of SERIES_NAMES) if (name !== 'messages') expect(sum(series.read('t1', '15m').series[name])).toBe(0)
  // The totals got the same counts.
  expect(series.read(null, '15m').series.messages.at(-1)).toBe(3)
})

test('points move left as steps pass and leave the window when it has passed', () => {
  const { clock, series } = setup()
  series.add('t1', 'deliveries', 5)
  clock.t += 30_000
  series.add('t1', 'deliveries', 1)
  const m = series.read('t1', '15m').series.deliveries
  expect(m.slice(-4)).toEqual([5, 0, 0, 1])
  clock.t += 89 * 10_000 // the 5 is now 92 steps old, the 1 is 89 steps old: still the first point
  const later = series.read('t1', '15m').series.deliveries
  expect(sum(later)).toBe(1)
  expect(later[0]).toBe(1)
  expect(sum(series.read('t1', '1h').series.deliveries)).toBe(6)
  clock.t += 24 * 3600_000
  expect(sum(series.read('t1', '24h').series.deliveries)).toBe(0)
  // A long silence followed by a count: only the new one.
  series.add('t1', 'deliveries', 7)
  expect(sum(series.read('t1', '24h').series.deliveries)).toBe(7)
})

test('connections is a gauge: the step\'s peak, carried into quiet steps at the live level', () => {
  const { clock, series } = setup()
  series.connections('t1', 1)
  series.connections('t1', 2)
  series.connections('t1', 1)
  series.connections('t2', 4)
  clock.t += 20_000 // two quiet steps
  const c = series.read('t1', '15m').series.connections
  expect(c.slice(-3)).toEqual([2, 1, 1])
  expect(series.read(null, '15m').series.connections.slice(-3)).toEqual([5, 5, 5]) // t1 was back at 1 when t2 reached 4
  series.connections('t1', 0)
  expect(series.read('t1', '15m').series.connections.at(-1)).toBe(1) // peak of this step
  clock.t += 10_000
  expect(series.read('t1', '15m').series.connections.at(-1)).toBe(0)
  expect(series.read(null, '15m').series.connections.at(-1)).toBe(4)
})

test('at most maxTenants are tracked; the least recently active one is dropped first', () => {
  const { clock, series } = setup(3)
  series.add('a', 'messages')
  series.add('b', 'messages')
  series.add('c', 'messages')
  clock.t += 10_000
  series.add('a', 'messages') // a is active again: b is now the least recent
  series.add('d', 'messages')
  expect(series.trackedTenants()).toBe(3)
  expect(series.read('b', '15m').tracked).toBe(false)
  expect(sum(series.read('b', '15m').series.messages)).toBe(0)
  for (const t of ['a', 'c', 'd']) expect(series.read(t, '15m').tracked).toBe(true)
  expect(sum(series.read('a', '15m').series.messages)).toBe(2)
  // The totals are never dropped.
  expect(sum(series.read(null, '15m').series.messages)).toBe(5)
  // Many tenants: still three rings.
  for (let i = 0; i < 1000; i++) series.add(`x${i}`, 'http_requests')
  expect(series.trackedTenants()).toBe(3)
})

test('memory per tenant is fixed: 2,058 uint32 slots', () => {
  const slots = Object.values(WINDOWS).reduce((n, w) => n + w.points, 0) * SERIES_NAMES.length
  expect(slots).toBe(2058)
  expect(BYTES_PER_TENANT).toBe(8232)
})

test('counts saturate instead of wrapping', () => {
  const { series } = setup()
  series.add('t1', 'deliveries', 0xffffffff)
  series.add('t1', 'deliveries', 10)
  expect(series.read('t1', '15m').series.deliveries.at(-1)).toBe(0xffffffff)
})
