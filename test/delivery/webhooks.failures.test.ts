// Failing receivers (SPEC §4 Admin dead letters, §6, §10): retries with the same webhook-id and a
// fresh signature, dead letters (list, filters, retry, delete), and the per-endpoint circuit breaker.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { startTestServer, type TestServer, type TestTenant } from '../support/server'
import { expectError, ISO_MS } from '../api/helpers'
import { deadLetters, expectSigned, onPath, Receiver, until, type Hit } from './helpers'

// Retries 500, 1000 ms apart (±20%): three attempts span more than a second, so their unix-second
// timestamps must differ. The circuit opens after 3 failures in a row for 700 ms.
const ENV = { ALLOW_HTTP_WEBHOOKS: '1', RETRY_BASE_MS: '500', RETRY_MAX_ATTEMPTS: '2', CIRCUIT_FAILURES: '3', CIRCUIT_OPEN_MS: '700' }
const ATTEMPTS = 3 // the first attempt + RETRY_MAX_ATTEMPTS retries
const DL_KEYS = ['attempts', 'created_at', 'id', 'kind', 'last_attempt_at', 'last_error', 'ref_id', 'target', 'tenant_id']

let s: TestServer
let rx: Receiver
const failing = new Set<string>()
beforeAll(async () => {
  s = await startTestServer(ENV)
  rx = new Receiver()
  rx.status = (path) => (failing.has(path) ? 500 : 200)
})
afterAll(async () => {
  rx.stop()
  await s.stop()
})

async function hooked(path: string): Promise<TestTenant> {
  failing.add(path)
  return s.newTenant({ webhook_url: rx.url(path), webhook_events: ['message.created'] })
}
async function sendOne(t: TestTenant, content = 'hi') {
  const room = (await t.as('alice')('POST', '/v1/rooms', { body: { type: 'group', members: ['bob'] } })).body.room_id
  const r = await t.as('alice')('POST', `/v1/rooms/${room}/messages`, { body: { content } })
  expect(r.status).toBe(201)
  return r.body
}
const ok = (h: Hit) => h.status === 200

describe('a receiver that fails with 500', () => {
  let retried: TestTenant
  let deleted: TestTenant
  let endpointT: TestTenant
  let notificationId: string
  beforeAll(async () => {
    // Three failing deliveries at once: a webhook to retry, a webhook to delete, an endpoint call.
    retried = await hooked('/dead')
    deleted = await hooked('/dead2')
    endpointT = await s.newTenant()
    failing.add('/ndead')
    const sub = await endpointT.as('erin')('POST', '/v1/subscriptions', { body: { topic: 'alerts', endpoint: rx.url('/ndead') } })
    expect(sub.status).toBe(201)
    await Promise.all([sendOne(retried), sendOne(deleted)])
    const n = await endpointT.as('app')('POST', '/v1/notify', { body: { topic: 'alerts', payload: { x: 1 }, targets: { topic_subscribers: true } } })
    expect(n.status).toBe(202)
    notificationId = n.body.notification_id
    await Promise.all(['/dead', '/dead2', '/ndead'].map((p) => rx.waitFor(ATTEMPTS, onPath(p), 10_000)))
  }, 15_000)

  test('gets 1 + RETRY_MAX_ATTEMPTS attempts with the same webhook-id and a fresh, valid signature each', async () => {
    const hits = rx.matching(onPath('/dead'))
    expect(hits).toHaveLength(ATTEMPTS)
    const ids = new Set(hits.map((h) => h.headers.get('webhook-id')))
    expect(ids.size).toBe(1)
    expect(new Set(hits.map((h) => h.body)).size).toBe(1) // the same event body every time
    for (const h of hits) expectSigned(h, retried.webhook_secret) // timestamp = the attempt's own time
    const ts = hits.map((h) => Number(h.headers.get('webhook-timestamp')))
    expect(ts[ATTEMPTS - 1]).toBeGreaterThan(ts[0])
    expect(new Set(hits.map((h) => h.headers.get('webhook-signature'))).size).toBeGreaterThan(1)
    // Backoff: the second retry waits longer than the first (base 500 ms, factor 2, ±20% jitter).
    const gaps = [hits[1].at - hits[0].at, hits[2].at - hits[1].at]
    expect(gaps[0]).toBeGreaterThanOrEqual(350)
    expect(gaps[1]).toBeGreaterThan(gaps[0])
  })

  test('then becomes a `webhook` dead letter naming the URL and the webhook-id; no further attempts', async () => {
    const webhookId = rx.matching(onPath('/dead'))[0].headers.get('webhook-id')
    const [dl] = await until('the webhook dead letter', async () => {
      const l = await deadLetters(s, { tenant_id: retried.tenant_id, kind: 'webhook' })
      return l.length ? l : undefined
    })
    expect(Object.keys(dl).sort()).toEqual(DL_KEYS)
    expect(dl).toMatchObject({ kind: 'webhook', tenant_id: retried.tenant_id, target: rx.url('/dead'), ref_id: webhookId, attempts: ATTEMPTS, last_error: 'HTTP_500' })
    expect(dl.id).toMatch(/^dl_/)
    expect(dl.created_at).toMatch(ISO_MS)
    expect(dl.last_attempt_at).toMatch(ISO_MS)
    await Bun.sleep(300) // bounded: proving that no attempt follows the dead letter
    expect(rx.matching(onPath('/dead'))).toHaveLength(ATTEMPTS)
  })

  test('an endpoint call that keeps failing becomes a `notification` dead letter (endpoint URL / notification id)', async () => {
    const [dl] = await until('the notification dead letter', async () => {
      const l = await deadLetters(s, { tenant_id: endpointT.tenant_id })
      return l.length ? l : undefined
    })
    expect(dl).toMatchObject({ kind: 'notification', target: rx.url('/ndead'), ref_id: notificationId, attempts: ATTEMPTS, last_error: 'HTTP_500' })
    expect(await deadLetters(s, { tenant_id: endpointT.tenant_id, kind: 'webhook' })).toEqual([])
  })

  test('the list filters by tenant_id and kind; a bad kind or limit is 400', async () => {
    await until('both webhook dead letters', async () => ((await deadLetters(s, { kind: 'webhook' })).length >= 2 ? true : undefined))
    const all = await deadLetters(s, {})
    expect(all.map((d) => d.tenant_id)).toEqual(expect.arrayContaining([retried.tenant_id, deleted.tenant_id, endpointT.tenant_id]))
    const mine = await deadLetters(s, { tenant_id: deleted.tenant_id })
    expect(mine.map((d) => [d.kind, d.target])).toEqual([['webhook', rx.url('/dead2')]])
    expect(await deadLetters(s, { tenant_id: retried.tenant_id, kind: 'message' })).toEqual([])
    expect(await deadLetters(s, { tenant_id: retried.tenant_id, kind: 'notification' })).toEqual([])
    expect(await deadLetters(s, { tenant_id: 'tnt_doesnotexist' })).toEqual([])
    expect(await deadLetters(s, { limit: '1' })).toHaveLength(1)
    expectError(await s.admin('GET', '/v1/admin/dead-letters?kind=bogus'), 400, 'VALIDATION_ERROR', 'kind')
    expectError(await s.admin('GET', '/v1/admin/dead-letters?limit=0'), 400, 'VALIDATION_ERROR', 'limit')
    expectError(await s.call('GET', '/v1/admin/dead-letters'), 401, 'AUTHENTICATION_ERROR')
  })

  test('retry → 202; once the receiver recovers it is delivered (same webhook-id) and leaves the list', async () => {
    const [dl] = await deadLetters(s, { tenant_id: retried.tenant_id, kind: 'webhook' })
    failing.delete('/dead')
    const r = await s.admin('POST', `/v1/admin/dead-letters/${dl.id}/retry`)
    expect(r.status).toBe(202)
    // The circuit of this URL opened on the third failure: the retry goes through as its probe.
    const [hit] = await rx.waitFor(1, (h) => onPath('/dead')(h) && ok(h), 5000)
    expect(hit.headers.get('webhook-id')).toBe(dl.ref_id)
    expectSigned(hit, retried.webhook_secret)
    await until('the dead letter to leave the list', async () =>
      (await deadLetters(s, { tenant_id: retried.tenant_id })).length === 0 ? true : undefined,
    )
    await Bun.sleep(200) // bounded: a delivered event is not sent again
    expect(rx.matching(onPath('/dead')).filter(ok)).toHaveLength(1)
  }, 10_000)

  test('DELETE → 204 and it is gone; unknown ids → 404 for delete and retry', async () => {
    const [dl] = await until('the second dead letter', async () => {
      const l = await deadLetters(s, { tenant_id: deleted.tenant_id })
      return l.length ? l : undefined
    })
    expect((await s.admin('DELETE', `/v1/admin/dead-letters/${dl.id}`)).status).toBe(204)
    expect(await deadLetters(s, { tenant_id: deleted.tenant_id })).toEqual([])
    expectError(await s.admin('DELETE', `/v1/admin/dead-letters/${dl.id}`), 404, 'NOT_FOUND')
    expectError(await s.admin('DELETE', '/v1/admin/dead-letters/dl_nope'), 404, 'NOT_FOUND')
    expectError(await s.admin('POST', '/v1/admin/dead-letters/dl_nope/retry'), 404, 'NOT_FOUND')
  })
})

test('circuit breaker: calls stop while open, one probe goes through later, success closes it', async () => {
  const path = '/circuit'
  const t = await hooked(path)
  const room = (await t.as('alice')('POST', '/v1/rooms', { body: { type: 'group', members: ['bob'] } })).body.room_id
  const send = (c: string) => t.as('alice')('POST', `/v1/rooms/${room}/messages`, { body: { content: c } })

  // CIRCUIT_FAILURES (3) failures in a row open it.
  for (const c of ['a', 'b', 'c']) await send(c)
  const opened = await rx.waitFor(3, onPath(path))
  const openedAt = opened[2].at
  await Bun.sleep(50) // let the worker record the third failure before new events arrive
  await send('d')
  await send('e')

  // While open (700 ms): neither the retries of a–c (due after ~500 ms) nor the new d, e are called.
  await Bun.sleep(Math.max(0, openedAt + 550 - Date.now()))
  expect(rx.matching(onPath(path))).toHaveLength(3)

  // Then exactly one probe goes through; it fails, so the circuit opens again.
  const [, , , probe] = await rx.waitFor(4, onPath(path), 3000)
  expect(probe.at - openedAt).toBeGreaterThanOrEqual(600)
  await Bun.sleep(300) // bounded: no call but the probe
  expect(rx.matching(onPath(path))).toHaveLength(4)

  // The receiver recovers: the next probe succeeds, the circuit closes and all five events arrive.
  failing.delete(path)
  const delivered = await rx.waitFor(5, (h) => onPath(path)(h) && ok(h), 6000)
  expect(new Set(delivered.map((h) => h.json.data.content))).toEqual(new Set(['a', 'b', 'c', 'd', 'e']))
  expect(delivered[0].at - probe.at).toBeGreaterThanOrEqual(600)
  expect(rx.matching(onPath(path)).filter((h) => !ok(h))).toHaveLength(4) // 3 failures + 1 failed probe
  expect(await deadLetters(s, { tenant_id: t.tenant_id })).toEqual([]) // skipped attempts did not count
}, 20_000)

test('without ALLOW_HTTP_WEBHOOKS a webhook_url on a private address is never called (refused up front or per attempt)', async () => {
  const strict = await startTestServer({ RETRY_MAX_ATTEMPTS: '1' })
  try {
    const url = 'https://127.0.0.1:1/hook'
    const r = await strict.admin('POST', '/v1/admin/tenants', { body: { name: 'x', config: { webhook_url: url, webhook_events: ['message.created'] } } })
    if (r.status === 400) return expectError(r, 400, 'VALIDATION_ERROR', 'config.webhook_url') // refused at configuration
    expect(r.status).toBe(201)
    const t = { as: (u: string) => (m: string, p: string, o: any = {}) => strict.call(m, p, { ...o, headers: { 'x-api-key': r.body.api_key, 'x-user-id': u } }) }
    const room = (await t.as('alice')('POST', '/v1/rooms', { body: { type: 'group', members: ['bob'] } })).body.room_id
    await t.as('alice')('POST', `/v1/rooms/${room}/messages`, { body: { content: 'x' } })
    // Refused before every attempt (the address is checked again each time), then a dead letter.
    const [dl] = await until('the blocked webhook to dead-letter', async () => {
      const l = await deadLetters(strict, { tenant_id: r.body.tenant_id })
      return l.length ? l : undefined
    })
    expect(dl).toMatchObject({ kind: 'webhook', target: url, attempts: 2, last_error: 'BLOCKED_ADDRESS' })
  } finally {
    await strict.stop()
  }
}, 10_000)
