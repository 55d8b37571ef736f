// GET /metrics: Prometheus text that parses, with request, message, connection and fan-out series
// moving after traffic, and labels that never carry tenant, user or room ids.

import { afterAll, beforeAll, expect, test } from 'bun:test'
import { startTestServer, type TestServer } from '../support/server'
import { WsClient } from '../support/ws'

let s: TestServer
beforeAll(async () => (s = await startTestServer()))
afterAll(() => s.stop())

type Sample = { name: string; labels: Record<string, string>; value: number }

/** A strict parser for the text format: every line is a comment or `name{labels} value`. */
function parse(text: string): Sample[] {
  const out: Sample[] = []
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (-?[0-9.e+]+|\+Inf|-Inf|NaN)$/.exec(line)
    if (!m) throw new Error(`not Prometheus text: ${line}`)
    const labels: Record<string, string> = {}
    for (const [, k, v] of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[k] = v
    out.push({ name: m[1], labels, value: Number(m[3].replace('+Inf', 'Infinity')) })
  }
  return out
}

async function scrape() {
  const r = await fetch(s.url + '/metrics')
  expect(r.status).toBe(200)
  expect(r.headers.get('content-type')).toContain('text/plain')
  const text = await r.text()
  return { text, samples: parse(text) }
}
const sum = (xs: Sample[], name: string, pred: (l: Record<string, string>) => boolean = () => true) =>
  xs.filter((x) => x.name === name && pred(x.labels)).reduce((a, x) => a + x.value, 0)

test('counters move with traffic and labels carry templates, never ids', async () => {
  const before = (await scrape()).samples
  const t = await s.newTenant()
  const room = (await t.as('alice')('POST', '/v1/rooms', { body: { type: 'group', members: ['bob'] } })).body.room_id
  const bob = await WsClient.connect(s.wsUrl, t.headers('bob'))
  await bob.next('sync.done')
  for (let i = 0; i < 5; i++) expect((await t.as('alice')('POST', `/v1/rooms/${room}/messages`, { body: { content: `m${i}` } })).status).toBe(201)
  for (let i = 0; i < 5; i++) await bob.next('message')
  await t.as('alice')('GET', '/v1/rooms/room_doesnotexist00000000')
  const { text, samples } = await scrape()

  const sends = (l: Record<string, string>) => l.route === '/v1/rooms/:room_id/messages' && l.method === 'POST' && l.status === '201'
  expect(sum(samples, 'chatapi_http_requests_total', sends) - sum(before, 'chatapi_http_requests_total', sends)).toBe(5)
  expect(sum(samples, 'chatapi_http_requests_total', (l) => l.status === '404')).toBeGreaterThanOrEqual(1)
  expect(sum(samples, 'chatapi_messages_stored_total') - sum(before, 'chatapi_messages_stored_total')).toBe(5)
  expect(sum(samples, 'chatapi_fanout_deliveries_total') - sum(before, 'chatapi_fanout_deliveries_total')).toBeGreaterThanOrEqual(5)
  expect(sum(samples, 'chatapi_ws_connections')).toBeGreaterThanOrEqual(1)
  expect(sum(samples, 'chatapi_ws_connections_opened_total') - sum(before, 'chatapi_ws_connections_opened_total')).toBe(1)
  const latency = samples.filter((x) => x.name === 'chatapi_http_request_duration_seconds_count' && x.labels.route === '/v1/rooms/:room_id/messages')
  expect(latency.reduce((a, x) => a + x.value, 0)).toBeGreaterThanOrEqual(5)
  expect(sum(samples, 'chatapi_db_write_seconds_count') - sum(before, 'chatapi_db_write_seconds_count')).toBeGreaterThanOrEqual(1)

  // No id of any kind in a label value.
  expect(text).not.toContain(t.tenant_id)
  expect(text).not.toContain(room)
  expect(text).not.toContain('room_doesnotexist')
  expect(text).not.toMatch(/(tnt|room|msg|ntf)_[A-Za-z0-9]{22}/)
  bob.close()
})

test('frames published by the WebSocket layer count in the fan-out series too (one broker for every layer)', async () => {
  const t = await s.newTenant()
  const room = (await t.as('alice')('POST', '/v1/rooms', { body: { type: 'group', members: ['bob', 'carol'] } })).body.room_id
  const [alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map((u) => WsClient.connect(s.wsUrl, t.headers(u))))
  for (const c of [alice, bob, carol]) await c.next('sync.done')
  const typing = (xs: Sample[]) => sum(xs, 'chatapi_fanout_deliveries_total', (l) => l.type === 'typing')
  const before = typing((await scrape()).samples)
  alice.send({ type: 'typing.start', room_id: room })
  await bob.next('typing')
  await carol.next('typing')
  expect(typing((await scrape()).samples) - before).toBe(2) // bob and carol; never the typer's own socket
  for (const c of [alice, bob, carol]) c.close()
})

test('histogram buckets are cumulative and end at +Inf = count', async () => {
  const { samples } = await scrape()
  const buckets = samples.filter((x) => x.name === 'chatapi_db_write_seconds_bucket')
  expect(buckets.length).toBeGreaterThan(1)
  for (let i = 1; i < buckets.length; i++) expect(buckets[i].value).toBeGreaterThanOrEqual(buckets[i - 1].value)
  expect(buckets.at(-1)!.labels.le).toBe('+Inf')
  expect(buckets.at(-1)!.value).toBe(sum(samples, 'chatapi_db_write_seconds_count'))
})
