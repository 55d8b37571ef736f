// Many connections syncing at once under the per-turn budget of connect work (ws/turn-budget.ts):
// with a budget of one slice per turn, every connection still gets its whole backlog once, in seq
// order, then sync.done, then live frames; connections that close while waiting their turn do not
// hold up the others; REST answers while the syncs are in progress; the waiting gauge drains to 0.

import { afterAll, beforeAll, expect, test } from 'bun:test'
import { startTestServer, type TestServer } from '../support/server'
import { WsClient } from '../support/ws'
import { NO_REDELIVERY, restSend, roomWith } from './helpers'

let s: TestServer
beforeAll(async () => (s = await startTestServer({ ...NO_REDELIVERY, WS_MSG_RATE: '5000' }, { connectStepsPerTurn: 1 })))
afterAll(() => s.stop())

const BACKLOG = 230 // three sync pages of 100
const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1)

test('a storm of connections with backlogs: each gets seq 1..N once, in order, then sync.done and live frames', async () => {
  const t = await s.newTenant()
  const members = Array.from({ length: 16 }, (_, i) => `m${i}`)
  const room = await roomWith(t, 'alice', members)
  const room2 = await roomWith(t, 'alice', members) // a second room to read per connection
  for (const n of range(BACKLOG)) await restSend(t, 'alice', room, `c${n}`)
  for (const n of range(3)) await restSend(t, 'alice', room2, `d${n}`)

  // Some connect and leave at once: they take their turn closed and must not stall the rest.
  const quitters = await Promise.all(members.slice(0, 4).map((u) => WsClient.connect(s.wsUrl, t.headers(u))))
  for (const q of quitters) q.close()
  const clients = await Promise.all(members.map((u) => WsClient.connect(s.wsUrl, t.headers(u))))
  // While the syncs stream, a REST call is answered.
  expect((await t.as('alice')('GET', `/v1/rooms/${room}`)).status).toBe(200)
  for (const c of clients) await c.next('sync.done', 20_000, (f) => f.room_id === undefined)

  for (const c of clients) {
    const upTo = c.log.findIndex((f) => f.type === 'sync.done')
    const synced = c.log.slice(0, upTo).filter((f) => f.type === 'message')
    expect(synced.filter((f) => f.room_id === room).map((f) => f.seq)).toEqual(range(BACKLOG))
    expect(synced.filter((f) => f.room_id === room2).map((f) => f.content)).toEqual(['d1', 'd2', 'd3'])
  }
  const metrics = await (await fetch(`${s.url}/metrics`)).text()
  expect(metrics).toMatch(/^chatapi_ws_sync_waiting 0$/m)

  const live = await restSend(t, 'alice', room, 'live')
  for (const c of clients) expect(await c.next('message', 5000, (f) => f.message_id === live.message_id)).toMatchObject({ seq: BACKLOG + 1 })
  for (const c of clients) c.close()
}, 60_000)
