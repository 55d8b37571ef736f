// SPEC §11 list reads pay like the others (issue 13 item 4): a change-feed page, a reactor page and a
// WS `sync … after_rev` cost one token per started 100 items. Observed through X-RateLimit-Remaining.

import { afterAll, beforeAll, expect, test } from 'bun:test'
import { startTestServer, type TestServer, type TestTenant } from '../support/server'
import type { CallResult } from '../support/http'
import { WsClient } from '../support/ws'
import { NO_REDELIVERY, restSend, roomWith } from '../ws/helpers'

let s: TestServer
// The server's clock stands still, so no bucket refills between the requests of a test: what each
// request cost is read off X-RateLimit-Remaining exactly, however slowly a loaded machine runs them.
const frozenAt = Date.now()
beforeAll(async () => (s = await startTestServer(NO_REDELIVERY, { clock: { now: () => frozenAt } })))
afterAll(() => s.stop())

const remaining = (r: CallResult) => Number(r.headers.get('x-ratelimit-remaining'))

async function setRate(t: TestTenant, rate: number) {
  expect((await s.admin('PATCH', `/v1/admin/tenants/${t.tenant_id}`, { body: { config: { rate_limit_per_sec: rate } } })).status).toBe(200)
}

/** A room with `n` messages, each changed once by a reaction (so `n` changes), while the rate is still big. */
async function changedRoom(t: TestTenant, n: number) {
  const room = await roomWith(t, 'alice', ['bob'])
  const ids: string[] = []
  for (let i = 0; i < n; i += 10)
    ids.push(...(await Promise.all(Array.from({ length: Math.min(10, n - i) }, (_, k) => restSend(t, 'alice', room, `m${i + k}`)))).map((m) => m.message_id))
  for (let i = 0; i < n; i += 10)
    await Promise.all(ids.slice(i, i + 10).map((id) => t.as('bob')('PUT', `/v1/rooms/${room}/messages/${id}/reactions/%F0%9F%91%8D`)))
  return { room, ids }
}

test('a change-feed page of 150 messages costs 2 tokens; a reactor page of 150 reactions too (rate 3/s)', async () => {
  const t = await s.newTenant()
  const { room, ids } = await changedRoom(t, 150)
  const users = Array.from({ length: 150 }, (_, i) => `fan${i}`)
  expect((await t.as('alice')('POST', `/v1/rooms/${room}/members`, { body: { user_ids: users } })).status).toBe(200)
  for (let i = 0; i < users.length; i += 10)
    await Promise.all(users.slice(i, i + 10).map((u) => t.as(u)('PUT', `/v1/rooms/${room}/messages/${ids[0]}/reactions/ok`)))
  await setRate(t, 3) // burst 6; a token refills every 333 ms
  const page = await t.as('alice')('GET', `/v1/rooms/${room}/changes?limit=150`)
  expect(page.status).toBe(200)
  expect(page.body.messages).toHaveLength(150)
  expect(remaining(page)).toBe(4)
  const reactors = await t.as('alice')('GET', `/v1/rooms/${room}/messages/${ids[0]}/reactions?key=ok&limit=150`)
  expect(reactors.status).toBe(200)
  expect(reactors.body.reactions).toHaveLength(150)
  // 4 - 2, plus at most one refilled token meanwhile
  expect(remaining(reactors)).toBeGreaterThanOrEqual(2)
  expect(remaining(reactors)).toBeLessThanOrEqual(3)
})

test('a WS sync after_rev over 300 changes is charged 3 tokens to the tenant bucket', async () => {
  const t = await s.newTenant()
  const { room } = await changedRoom(t, 300)
  const c = await WsClient.connect(s.wsUrl, t.headers('bob'))
  try {
    await c.next('sync.done', 10_000, (f) => f.room_id === undefined)
    await setRate(t, 10) // burst 20; the sync below is the first take at that rate
    const from = c.log.length
    const done = await c.request({ type: 'sync', room_id: room, after_rev: 0 }, 'sync.done', 10_000)
    expect(done.type).toBe('sync.done')
    expect(c.log.slice(from).filter((f) => f.type === 'message.updated')).toHaveLength(300)
    const r = await t.as('alice')('GET', '/v1/rooms')
    // 20 - 3 (sync) - 1 (this GET), plus at most one refilled token
    expect(remaining(r)).toBeGreaterThanOrEqual(15)
    expect(remaining(r)).toBeLessThanOrEqual(17)
  } finally {
    c.close()
  }
})
