// The delivery loop in-process (ARCHITECTURE §7): slots shared fairly between endpoints, no row
// attempted twice while its result is pending, and stop() ending a running tick.

import { expect, test } from 'bun:test'
import { systemClock } from '../../src/clock'
import { createLogger } from '../../src/log'
import type { DeliveryRow } from '../../src/db/rows'
import type { AttemptResult } from '../../src/services/delivery'
import { createDeliveryLoop } from '../../src/workers/delivery-loop'

const SECRET = 'whsec_' + Buffer.from('k'.repeat(32)).toString('base64')

function rows(url: string, n: number, from = 0): DeliveryRow[] {
  return Array.from({ length: n }, (_, i) => ({
    delivery_id: `dlv_${url}_${from + i}`,
    tenant_id: 't',
    kind: 'webhook' as const,
    url,
    event_id: `evt_${i}`,
    ref_id: `evt_${i}`,
    body: '{}',
    attempts: 0,
    next_attempt_at: from + i,
    state: 'pending' as const,
    last_error: null,
    created_at: '',
    last_attempt_at: null,
  }))
}

/** An outbox in memory: results are applied at once (delivered rows leave, like the main thread). */
function harness(opts: { slowUrl: string; slowMs: number }) {
  let outbox: DeliveryRow[] = []
  const inFlight = new Map<string, number>()
  const maxInFlight = new Map<string, number>()
  const calls: string[] = []
  const results: AttemptResult[] = []
  const loop = createDeliveryLoop({
    due: (_now, limit, skip) => outbox.filter((r) => !skip.includes(r.url)).slice(0, limit),
    webhookSecret: () => SECRET,
    clock: systemClock,
    log: createLogger('error'),
    report: (r) => {
      results.push(r)
      if (r.outcome === 'ok') outbox = outbox.filter((x) => x.delivery_id !== r.delivery_id)
    },
    settings: { circuitFailures: 5, circuitOpenMs: 1000, concurrency: 8, perEndpoint: 2 },
    http: (async (url: string, init: RequestInit) => {
      calls.push(`${url} ${(init.headers as Record<string, string>)['webhook-id']}`)
      inFlight.set(url, (inFlight.get(url) ?? 0) + 1)
      maxInFlight.set(url, Math.max(maxInFlight.get(url) ?? 0, inFlight.get(url)!))
      await Bun.sleep(url === opts.slowUrl ? opts.slowMs : 1)
      inFlight.set(url, inFlight.get(url)! - 1)
      return new Response('ok')
    }) as unknown as typeof fetch,
  })
  return { loop, calls, results, maxInFlight, add: (r: DeliveryRow[]) => (outbox = outbox.concat(r)), left: () => outbox.length }
}

test('a backlog of one slow endpoint takes at most its share; rows of others added later start at once', async () => {
  const h = harness({ slowUrl: 'https://slow.example/h', slowMs: 200 })
  h.add(rows('https://slow.example/h', 300)) // more than one read (200 rows) of the slow endpoint alone
  const tick = h.loop.tick()
  await Bun.sleep(20)
  const t0 = Date.now()
  h.add(rows('https://fast.example/h', 20, 1000))
  h.loop.wake()
  while (h.results.filter((r) => r.delivery_id.includes('fast')).length < 20) await Bun.sleep(5)
  expect(Date.now() - t0).toBeLessThan(150) // not queued behind the slow calls (200 ms each)
  expect(h.maxInFlight.get('https://slow.example/h')).toBe(2)
  expect(h.maxInFlight.get('https://fast.example/h')).toBeLessThanOrEqual(2)
  h.loop.stop()
  expect(await tick).toBeGreaterThan(20) // a stopped tick ends once its calls in flight are done
  expect(new Set(h.calls).size).toBe(h.calls.length) // no row was attempted twice
})

test('a row whose result is not yet applied is not attempted again', async () => {
  let outbox = rows('https://a.example/h', 3)
  const calls: string[] = []
  const loop = createDeliveryLoop({
    due: () => outbox, // the "main thread" never applies the results
    webhookSecret: () => SECRET,
    clock: systemClock,
    log: createLogger('error'),
    report: () => {},
    settings: { circuitFailures: 5, circuitOpenMs: 1000 },
    http: (async (url: string) => (calls.push(url), new Response('ok'))) as unknown as typeof fetch,
  })
  expect(await loop.tick()).toBe(3)
  expect(await loop.tick()).toBe(0)
  expect(calls).toHaveLength(3)
  outbox = outbox.map((r) => ({ ...r, attempts: 1, next_attempt_at: r.next_attempt_at + 10 })) // the result landed: a new attempt is due
  expect(await loop.tick()).toBe(3)
})
