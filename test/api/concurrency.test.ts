// SPEC §1/§6: per-room seq is 1..N with no gap or repeat under concurrent sends (group commit), checked via history.

import { afterAll, beforeAll, expect, test } from 'bun:test'
import { startTestServer, type TestServer } from '../support/server'
import { room, type As } from './helpers'

let s: TestServer
beforeAll(async () => (s = await startTestServer()))
afterAll(() => s.stop())

const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1)

/** The whole history of a room, paged forward with after_seq. */
async function history(as: As, roomId: string) {
  const all: any[] = []
  for (let after = 0; ; ) {
    const r = await as('GET', `/v1/rooms/${roomId}/messages?after_seq=${after}&limit=200`)
    expect(r.status).toBe(200)
    all.push(...r.body.messages)
    if (!r.body.has_more) return all
    after = all[all.length - 1].seq
  }
}

test('300 concurrent sends from 6 users: seqs exactly 1..300, each ack matching its stored row', async () => {
  const t = await s.newTenant()
  const users = ['u1', 'u2', 'u3', 'u4', 'u5', 'u6']
  const g = await room(t.as('u1'), 'group', users)
  const sends = range(300).map((i) => {
    const user = users[i % users.length]
    return t.as(user)('POST', `/v1/rooms/${g.room_id}/messages`, { body: { content: `${user}#${i}` } }).then((r) => ({ r, user, i }))
  })
  const results = await Promise.all(sends)
  expect(results.filter(({ r }) => r.status !== 201).map(({ r }) => r.status)).toEqual([])
  expect(results.map(({ r }) => r.body.seq).sort((a, b) => a - b)).toEqual(range(300))

  const h = await history(t.as('u2'), g.room_id)
  expect(h.map((m) => m.seq)).toEqual(range(300))
  expect(new Set(h.map((m) => m.message_id)).size).toBe(300)
  const bySeq = new Map(h.map((m) => [m.seq, m]))
  for (const { r, user, i } of results) {
    expect(bySeq.get(r.body.seq)).toMatchObject({ message_id: r.body.message_id, sender_id: user, content: `${user}#${i}` })
  }
  expect((await t.as('u1')('GET', `/v1/rooms/${g.room_id}`)).body.last_seq).toBe(300)
})

test('concurrent senders each keep their own order; three rooms at once each get 1..N', async () => {
  const t = await s.newTenant()
  const users = ['a', 'b', 'c', 'd']
  const rooms = [await room(t.as('a'), 'group', users), await room(t.as('a'), 'group', users), await room(t.as('a'), 'channel', users)]
  const chain = async (user: string, roomId: string) => {
    for (let i = 0; i < 25; i++) {
      const r = await t.as(user)('POST', `/v1/rooms/${roomId}/messages`, { body: { content: String(i) } })
      expect(r.status).toBe(201)
    }
  }
  await Promise.all(rooms.flatMap((g) => users.map((u) => chain(u, g.room_id))))
  for (const g of rooms) {
    const h = await history(t.as('b'), g.room_id)
    expect(h.map((m) => m.seq)).toEqual(range(100))
    for (const u of users) expect(h.filter((m) => m.sender_id === u).map((m) => Number(m.content))).toEqual(range(25).map((i) => i - 1))
  }
})

test('concurrent duplicates of 100 client_msg_ids burn no seq: 100 messages, each pair answered alike', async () => {
  const t = await s.newTenant()
  const g = await room(t.as('alice'), 'group', ['bob'])
  const reqs = range(200).map((i) => {
    const id = `cm-${(i - 1) % 100}`
    const user = (i - 1) % 100 < 50 ? 'alice' : 'bob'
    return t.as(user)('POST', `/v1/rooms/${g.room_id}/messages`, { body: { content: `try ${i}`, client_msg_id: id } }).then((r) => ({ id, r }))
  })
  const results = await Promise.all(reqs)
  expect(results.filter(({ r }) => r.status === 201)).toHaveLength(100)
  expect(results.filter(({ r }) => r.status === 200)).toHaveLength(100)
  const byId = new Map<string, string>()
  for (const { id, r } of results) {
    if (byId.has(id)) expect(r.body.message_id).toBe(byId.get(id)!)
    else byId.set(id, r.body.message_id)
  }
  const h = await history(t.as('bob'), g.room_id)
  expect(h.map((m) => m.seq)).toEqual(range(100))
  expect(new Set(h.map((m) => m.client_msg_id)).size).toBe(100)
})
