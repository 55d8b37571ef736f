// GET /v1/admin/stats (SPEC §16): per-tenant and whole-instance series fed by the /metrics
// increments, the step of each window, and the errors (no master key, unknown tenant, bad window).
// The server's clock is the system clock plus a skew the test moves forward, so steps roll over
// without waiting for them.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { startTestServer, type TestServer, type TestTenant } from '../support/server'
import { inCluster } from '../support/storage'
import { WsClient } from '../support/ws'
import { expectError, room, send } from './helpers'
import { Receiver, until } from '../delivery/helpers'

const SERIES = ['messages', 'deliveries', 'connections', 'http_requests', 'http_errors', 'rate_limited', 'webhook_failures']
const STEPS = { '15m': [10, 90], '1h': [60, 60], '24h': [600, 144] } as const

let s: TestServer
let rx: Receiver
let skew = 0
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0)

beforeAll(async () => {
  rx = new Receiver()
  rx.status = () => 500
  s = await startTestServer({ ALLOW_HTTP_WEBHOOKS: '1', RETRY_MAX_ATTEMPTS: '1', CIRCUIT_FAILURES: '100' }, { clock: { now: () => Date.now() + skew } })
})
afterAll(async () => {
  await s.stop()
  rx.stop()
})

async function stats(q: Record<string, string> = {}) {
  const r = await s.admin('GET', `/v1/admin/stats?${new URLSearchParams(q)}`)
  expect(r.status).toBe(200)
  return r.body as { step_s: number; start: string; window: string; tracked: boolean; series: Record<string, number[]> }
}

describe('errors', () => {
  test('no master key or a wrong one → 401', async () => {
    expectError(await s.call('GET', '/v1/admin/stats'), 401, 'AUTHENTICATION_ERROR')
    expectError(await s.call('GET', '/v1/admin/stats', { headers: { 'x-master-key': 'nope' } }), 401, 'AUTHENTICATION_ERROR')
    // A tenant's API key is not a master key.
    const t = await s.newTenant()
    expectError(await s.call('GET', '/v1/admin/stats', { headers: { 'x-api-key': t.api_key } }), 401, 'AUTHENTICATION_ERROR')
  })

  test('an unknown window → 400 naming the field', async () => {
    for (const w of ['5m', '1d', '', '15M'])
      expectError(await s.admin('GET', `/v1/admin/stats?window=${encodeURIComponent(w)}`), 400, 'VALIDATION_ERROR', 'window')
  })

  test('an unknown tenant → 404, not a flat line', async () => {
    expectError(await s.admin('GET', '/v1/admin/stats?tenant_id=tnt_doesnotexist'), 404, 'NOT_FOUND')
    expectError(await s.admin('GET', '/v1/admin/stats?tenant_id=tnt_doesnotexist&window=24h'), 404, 'NOT_FOUND')
  })
})

test('each window has its step and number of points; the last point is the step in progress', async () => {
  for (const [window, [step, points]] of Object.entries(STEPS)) {
    const before = Date.now() + skew
    const b = await stats({ window })
    expect(b.window).toBe(window)
    expect(b.step_s).toBe(step)
    expect(Object.keys(b.series).sort()).toEqual([...SERIES].sort())
    for (const name of SERIES) expect(b.series[name]).toHaveLength(points)
    const start = Date.parse(b.start)
    expect(start % (step * 1000)).toBe(0) // aligned to the step
    const lastStart = start + (points - 1) * step * 1000
    expect(lastStart).toBeLessThanOrEqual(Date.now() + skew)
    expect(lastStart + step * 1000).toBeGreaterThan(before)
  }
  // No window: 15m.
  expect((await stats()).step_s).toBe(10)
})

// The series are kept per instance (docs/scaling.md): behind the cluster proxy a request and the
// stats call that should count it may land on different instances.
describe.skipIf(inCluster)('a tenant with traffic', () => {
  let busy: TestTenant
  let quiet: TestTenant
  let ws: WsClient
  let roomId: string

  beforeAll(async () => {
    busy = await s.newTenant({ webhook_url: rx.url('/fail'), webhook_events: ['message.created'] })
    quiet = await s.newTenant()
    roomId = (await room(busy.as('alice'), 'group', ['bob'])).room_id
    ws = await WsClient.connect(s.wsUrl, busy.headers('bob'))
    await ws.next('connected')
    for (let i = 0; i < 3; i++) {
      await send(busy.as('alice'), roomId, `m${i}`)
      await ws.next('message')
    }
    expect((await busy.as('alice')('POST', `/v1/rooms/${roomId}/messages`, { body: {} })).status).toBe(400)
    // A rate limit of 1 per second and a burst: some calls get 429.
    expect((await s.admin('PATCH', `/v1/admin/tenants/${busy.tenant_id}`, { body: { config: { rate_limit_per_sec: 1 } } })).status).toBe(200)
    const burst = await Promise.all(Array.from({ length: 6 }, () => busy.as('alice')('GET', '/v1/rooms')))
    expect(burst.some((r) => r.status === 429)).toBe(true)
    await rx.waitFor(6, (h) => h.path === '/fail', 10_000)
  })
  afterAll(() => ws?.close())

  test('every series moves for that tenant, in every window', async () => {
    const failures = await until('webhook failures in the series', async () => {
      const n = sum((await stats({ tenant_id: busy.tenant_id })).series.webhook_failures)
      return n >= 6 ? n : undefined
    })
    expect(failures).toBe(6) // two attempts per message (RETRY_MAX_ATTEMPTS=1), all refused with 500
    for (const window of Object.keys(STEPS)) {
      const b = await stats({ tenant_id: busy.tenant_id, window })
      expect(b.tracked).toBe(true)
      expect(sum(b.series.messages)).toBe(3)
      expect(sum(b.series.deliveries)).toBeGreaterThanOrEqual(3) // each message to bob's socket
      expect(Math.max(...b.series.connections)).toBe(1)
      expect(b.series.connections.at(-1)).toBe(1) // still connected
      expect(sum(b.series.http_requests)).toBeGreaterThanOrEqual(1 + 3 + 1 + 6)
      expect(sum(b.series.http_errors)).toBe(1 + sum(b.series.rate_limited))
      expect(sum(b.series.rate_limited)).toBeGreaterThanOrEqual(1)
      expect(sum(b.series.webhook_failures)).toBe(6)
    }
  })

  test('another tenant stays at zero; the totals hold both', async () => {
    const q = await stats({ tenant_id: quiet.tenant_id })
    expect(q.tracked).toBe(false)
    for (const name of SERIES) expect(sum(q.series[name])).toBe(0)
    const busyNow = await stats({ tenant_id: busy.tenant_id })
    const all = await stats()
    expect(all.tracked).toBe(true)
    for (const name of ['messages', 'deliveries', 'rate_limited', 'webhook_failures']) expect(sum(all.series[name])).toBeGreaterThanOrEqual(sum(busyNow.series[name]))
    // Admin calls (tenant creation, these stats) count in the totals only.
    expect(sum(all.series.http_requests)).toBeGreaterThan(sum(busyNow.series.http_requests))
  })

  test('/metrics never names the tenant', async () => {
    const text = await (await fetch(`${s.url}/metrics`)).text()
    expect(text).toContain('chatapi_messages_stored_total')
    expect(text).not.toContain(busy.tenant_id)
  })

  test('steps roll over: points move left, a closed socket leaves the gauge, old points leave the window', async () => {
    const before = await stats({ tenant_id: busy.tenant_id })
    const lastBefore = before.series.messages.findLastIndex((n) => n > 0)
    ws.close()
    await until('the socket to close on the server', async () => {
      const r = await s.admin('GET', `/v1/admin/tenants/${busy.tenant_id}`)
      return r.body.usage.connections === 0 ? true : undefined
    })
    skew += 60_000 // six 10 s steps later
    const after = await stats({ tenant_id: busy.tenant_id })
    expect(sum(after.series.messages)).toBe(3)
    expect(after.series.messages.findLastIndex((n) => n > 0)).toBeLessThanOrEqual(lastBefore - 6)
    expect(after.series.connections.at(-1)).toBe(0) // nobody connected in the new step
    expect(Math.max(...after.series.connections)).toBe(1) // the earlier peak is still in the window
    skew += 16 * 60_000 // past the 15 minute window, within the hour and the day
    expect(sum((await stats({ tenant_id: busy.tenant_id })).series.messages)).toBe(0)
    expect(sum((await stats({ tenant_id: busy.tenant_id, window: '1h' })).series.messages)).toBe(3)
    expect(sum((await stats({ tenant_id: busy.tenant_id, window: '24h' })).series.messages)).toBe(3)
    skew += 24 * 3600_000 // a day later nothing is left
    expect(sum((await stats({ tenant_id: busy.tenant_id, window: '24h' })).series.messages)).toBe(0)
  })
})
