// Work that grows with input is charged to the tenant's bucket in proportion (issue 13 item 4):
// one token per started 100 items (members in a room creation or an add, rooms or members a list
// page returns, messages a WS `sync` may stream), at least one. Observed through the SPEC §10
// headers and the 429 / `error` frame that follows, on a server whose tenant has a small rate.

import { afterAll, beforeAll, expect, test } from 'bun:test'
import { startTestServer, type TestServer, type TestTenant } from '../support/server'
import type { CallResult } from '../support/http'
import { WsClient, type Frame } from '../support/ws'
import { expectError } from '../api/helpers'
import { expectNone, NO_REDELIVERY, restSend, roomWith } from '../ws/helpers'

let s: TestServer
// The server's clock stands still, so no bucket refills between the requests of a test: what each
// request cost is read off X-RateLimit-Remaining exactly, however slowly a loaded machine runs them.
// A test that needs a refill moves it forward (`advance`).
const frozenAt = Date.now()
let skewMs = 0
const advance = (ms: number) => void (skewMs += ms)
beforeAll(async () => (s = await startTestServer(NO_REDELIVERY, { clock: { now: () => frozenAt + skewMs } })))
afterAll(() => s.stop())

const remaining = (r: CallResult) => Number(r.headers.get('x-ratelimit-remaining'))
const users = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`)

/** Lowers the tenant's rate: the next take finds its bucket full at the new burst (2 × rate). */
async function setRate(t: TestTenant, rate: number) {
  const r = await s.admin('PATCH', `/v1/admin/tenants/${t.tenant_id}`, { body: { config: { rate_limit_per_sec: rate } } })
  expect(r.status).toBe(200)
}

/** Stores `n` messages from `user` (ten at a time), while the tenant still has the test server's big rate. */
async function seed(t: TestTenant, user: string, roomId: string, n: number) {
  for (let i = 0; i < n; i += 10) await Promise.all(users('m', Math.min(10, n - i)).map((c) => restSend(t, user, roomId, `${c}-${i}`)))
}

test('a room created with 950 members costs 10 tokens: Remaining drops from 20 to 10 (rate 10/s)', async () => {
  const t = await s.newTenant({ rate_limit_per_sec: 10 })
  const r = await t.as('alice')('POST', '/v1/rooms', { body: { type: 'group', name: 'big', members: users('u', 950) } })
  expect(r.status).toBe(201)
  expect(r.body.member_count).toBe(951)
  // 20 - 10, plus at most one token refilled while the request ran (10/s)
  expect(remaining(r)).toBeGreaterThanOrEqual(10)
  expect(remaining(r)).toBeLessThanOrEqual(11)
  const next = await t.as('alice')('GET', '/v1/rooms')
  expect(remaining(next)).toBeLessThanOrEqual(11)
})

test('up to 100 members cost one token, 101 cost two; adding 250 members costs three (rate 5/s)', async () => {
  const t = await s.newTenant({ rate_limit_per_sec: 5 })
  const a = t.as('alice')
  const r100 = await a('POST', '/v1/rooms', { body: { type: 'group', members: users('a', 100) } })
  expect(r100.status).toBe(201)
  const r101 = await a('POST', '/v1/rooms', { body: { type: 'group', members: users('b', 101) } })
  expect(r101.status).toBe(201)
  const add = await a('POST', `/v1/rooms/${r100.body.room_id}/members`, { body: { user_ids: users('c', 250) } })
  expect(add.status).toBe(200)
  // 10 → 9 → 7 → 4; a token refills every 200 ms, so allow one
  expect(remaining(r100)).toBe(9)
  expect(remaining(r101)).toBeGreaterThanOrEqual(7)
  expect(remaining(r101)).toBeLessThanOrEqual(8)
  expect(remaining(add)).toBeGreaterThanOrEqual(4)
  expect(remaining(add)).toBeLessThanOrEqual(5)
})

test('a creation the bucket cannot pay refuses with 429 and creates nothing', async () => {
  const t = await s.newTenant({ rate_limit_per_sec: 100 })
  const a = t.as('alice')
  await setRate(t, 5) // burst 10
  for (let i = 0; i < 8; i++) expect((await a('GET', '/v1/rooms')).status).toBe(200)
  // about 2 tokens left, the room needs 10 (and at least the rate, 5, must be there)
  const r = await a('POST', '/v1/rooms', { body: { type: 'group', name: 'refused', members: users('r', 950) } })
  expectError(r, 429, 'RATE_LIMIT_EXCEEDED')
  expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
  expect(r.headers.get('x-ratelimit-remaining')).toBe('0')
  const usage = await s.admin('GET', `/v1/admin/tenants/${t.tenant_id}`)
  expect(usage.body.usage.rooms).toBe(0)
})

test('a cost above the burst is allowed from a full bucket and repaid: the next request waits (rate 1/s)', async () => {
  const t = await s.newTenant({ rate_limit_per_sec: 1 })
  const a = t.as('alice')
  const r = await a('POST', '/v1/rooms', { body: { type: 'group', members: users('d', 950) } })
  expect(r.status).toBe(201)
  expect(r.headers.get('x-ratelimit-remaining')).toBe('0')
  const next = await a('GET', '/v1/rooms')
  expectError(next, 429, 'RATE_LIMIT_EXCEEDED')
  expect(Number(next.headers.get('retry-after'))).toBeGreaterThanOrEqual(8) // 10 taken from a bucket of 2
})

test('GET /v1/rooms and member pages cost one token per started 100 items returned (rate 3/s)', async () => {
  const t = await s.newTenant()
  const a = t.as('alice')
  for (let i = 0; i < 150; i += 25) await Promise.all(Array.from({ length: 25 }, () => roomWith(t, 'alice', ['bob'])))
  const big = (await a('POST', '/v1/rooms', { body: { type: 'group', members: users('p', 160) } })).body.room_id as string
  await setRate(t, 3) // burst 6; a token refills every 333 ms
  const page = await a('GET', '/v1/rooms?limit=150')
  expect(page.status).toBe(200)
  expect(page.body.rooms).toHaveLength(150)
  expect(remaining(page)).toBe(4) // 150 rooms: 2 tokens
  const members = await a('GET', `/v1/rooms/${big}/members?limit=150`)
  expect(members.body.members).toHaveLength(150)
  expect(remaining(members)).toBeGreaterThanOrEqual(2) // 150 members: 2 tokens
  expect(remaining(members)).toBeLessThanOrEqual(3)
  const small = await a('GET', '/v1/rooms?limit=50')
  expect(small.body.rooms).toHaveLength(50)
  expect(remaining(small)).toBe(remaining(members) - 1) // 50 rooms: 1 token
})

test('a room-list page also pays for the caller\'s memberships of rooms over 100 members (read on every page)', async () => {
  const t = await s.newTenant()
  const a = t.as('alice')
  for (let i = 0; i < 98; i += 14) await Promise.all(Array.from({ length: 14 }, () => roomWith(t, 'alice', ['bob'])))
  for (const p of ['q', 'r', 's']) expect((await a('POST', '/v1/rooms', { body: { type: 'group', members: users(p, 100) } })).status).toBe(201)
  await setRate(t, 3) // burst 6
  const page = await a('GET', '/v1/rooms?limit=98')
  expect(page.body.rooms).toHaveLength(98)
  expect(remaining(page)).toBe(4) // 98 rooms on the page + 3 large memberships = 101 items: 2 tokens
})

test('a history page of 150 messages costs 2 tokens; a notification to a room of 250 members costs 3 (rate 3/s)', async () => {
  const t = await s.newTenant()
  const room = (await t.as('alice')('POST', '/v1/rooms', { body: { type: 'group', members: users('n', 249) } })).body.room_id as string
  await seed(t, 'alice', room, 150)
  await setRate(t, 3) // burst 6; a token refills every 333 ms
  const page = await t.as('alice')('GET', `/v1/rooms/${room}/messages?limit=150`)
  expect(page.status).toBe(200)
  expect(page.body.messages).toHaveLength(150)
  expect(remaining(page)).toBe(4)
  const sent = await t.as('alice')('POST', '/v1/notify', { body: { topic: 'news', payload: { a: 1 }, targets: { room_id: room } } })
  expect(sent.status).toBe(202)
  expect(sent.body.recipients).toBe(250)
  expect(remaining(sent)).toBe(1) // 4 - 3
  // refused before anything is stored: no notification reaches the room's members
  await setRate(t, 1) // burst 2; the next take finds about one token
  const refused = await t.as('alice')('POST', '/v1/notify', { body: { topic: 'news', payload: { a: 2 }, targets: { room_id: room } } })
  expectError(refused, 429, 'RATE_LIMIT_EXCEEDED')
  await setRate(t, 1000) // the WebSocket upgrade below pays a token too (the gate left less than one)
  advance(1000) // a second passes: the bucket refills at its new rate
  const c = await WsClient.connect(s.wsUrl, t.headers('n7'))
  try {
    expect((await c.next('notification', 5000)).payload).toEqual({ a: 1 })
    await expectNone(c, 'notification')
  } finally {
    c.close()
  }
})

/** Frames between two points of a socket's log. */
const between = (c: WsClient, from: number) => c.log.slice(from)

test('a WS sync over 300 messages is charged 3 tokens to the tenant bucket', async () => {
  const t = await s.newTenant()
  const room = await roomWith(t, 'alice', ['bob'])
  await seed(t, 'alice', room, 300)
  const c = await WsClient.connect(s.wsUrl, t.headers('bob'))
  try {
    await c.next('sync.done', 10_000, (f) => f.room_id === undefined)
    await setRate(t, 10) // burst 20; the sync below is the first take at that rate
    const from = c.log.length
    const done = await c.request({ type: 'sync', room_id: room, after_seq: 0 }, 'sync.done', 10_000)
    expect(done.type).toBe('sync.done')
    expect(between(c, from).filter((f: Frame) => f.type === 'message')).toHaveLength(300)
    const r = await t.as('alice')('GET', '/v1/rooms')
    // 20 - 3 (sync) - 1 (this GET), plus at most one refilled token; an upgrade charge (1) may come on top
    expect(remaining(r)).toBeGreaterThanOrEqual(15)
    expect(remaining(r)).toBeLessThanOrEqual(17)
  } finally {
    c.close()
  }
})

test('a WS sync the bucket cannot pay gets RATE_LIMIT_EXCEEDED and streams nothing', async () => {
  const t = await s.newTenant()
  const room = await roomWith(t, 'alice', ['bob'])
  await seed(t, 'alice', room, 300)
  const c = await WsClient.connect(s.wsUrl, t.headers('bob'))
  try {
    await c.next('sync.done', 10_000, (f) => f.room_id === undefined)
    await setRate(t, 1) // burst 2: the first sync (3 tokens) empties it into debt
    expect((await c.request({ type: 'sync', room_id: room, after_seq: 0 }, 'sync.done', 10_000)).type).toBe('sync.done')
    const from = c.log.length
    const refused = await c.request({ type: 'sync', room_id: room, after_seq: 0 }, 'sync.done', 10_000)
    expect(refused).toMatchObject({ type: 'error', code: 'RATE_LIMIT_EXCEEDED' })
    expect(between(c, from).filter((f: Frame) => f.type === 'message')).toEqual([])
    expectError(await t.as('alice')('GET', '/v1/rooms'), 429, 'RATE_LIMIT_EXCEEDED') // the debt is the tenant's
  } finally {
    c.close()
  }
})

test('a sync with nothing after the cursor costs one token', async () => {
  const t = await s.newTenant()
  const room = await roomWith(t, 'alice', ['bob'])
  await seed(t, 'alice', room, 120)
  const c = await WsClient.connect(s.wsUrl, t.headers('bob'))
  try {
    await c.next('sync.done', 10_000, (f) => f.room_id === undefined)
    await setRate(t, 10)
    expect((await c.request({ type: 'sync', room_id: room, after_seq: 120 }, 'sync.done')).type).toBe('sync.done')
    expect((await c.request({ type: 'sync', room_id: room, after_seq: 100 }, 'sync.done')).type).toBe('sync.done')
    const r = await t.as('alice')('GET', '/v1/rooms')
    expect(remaining(r)).toBeGreaterThanOrEqual(17) // 20 - 1 - 1 - 1
    expect(remaining(r)).toBeLessThanOrEqual(18)
  } finally {
    c.close()
  }
})
