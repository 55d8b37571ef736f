// Messages happy paths (SPEC §4 Messages): send, client_msg_id replay, history paging, get, edit, delete.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { startTestServer, type TestServer } from '../support/server'
import { Value } from '@sinclair/typebox/value'
import { Message, MessagePage } from '../../src/schemas/message'
import { expectError, ISO_MS, room, send, type As } from './helpers'

let s: TestServer
beforeAll(async () => (s = await startTestServer()))
afterAll(() => s.stop())

const path = (roomId: string, q = '') => `/v1/rooms/${roomId}/messages${q}`
const seqs = (r: { body: { messages: { seq: number }[] } }) => r.body.messages.map((m) => m.seq)

describe('POST messages', () => {
  test('201 with exactly {message_id, room_id, seq, created_at}; seqs count up; the message reads back', async () => {
    const t = await s.newTenant()
    const a = t.as('alice')
    const g = await room(a, 'group', ['bob'])
    const r = await a('POST', path(g.room_id), { body: { content: 'hello', meta: { k: [1, 2] } } })
    expect(r.status).toBe(201)
    expect(Object.keys(r.body).sort()).toEqual(['created_at', 'message_id', 'room_id', 'seq'])
    expect(r.body).toMatchObject({ room_id: g.room_id, seq: 1 })
    expect(r.body.message_id).toMatch(/^msg_[0-9A-Za-z]{16,}$/)
    expect(r.body.created_at).toMatch(ISO_MS)
    expect((await send(t.as('bob'), g.room_id, 'second')).seq).toBe(2)

    const one = await t.as('bob')('GET', path(g.room_id, `/${r.body.message_id}`))
    expect(one.status).toBe(200)
    expect(one.body).toEqual({
      message_id: r.body.message_id,
      room_id: g.room_id,
      seq: 1,
      sender_id: 'alice',
      content: 'hello',
      meta: { k: [1, 2] },
      client_msg_id: null,
      created_at: r.body.created_at,
      edited_at: null,
      deleted_at: null,
      rev: 0,
      parent_id: null,
      reply_count: 0,
      last_reply_at: null,
      mentions: [],
      attachments: [],
      reactions: [],
      pinned_at: null,
      pinned_by: null,
    })
    expect((await a('GET', `/v1/rooms/${g.room_id}`)).body.last_seq).toBe(2)
  })

  test('a replayed client_msg_id: 200 with the original ack, no new seq, new content ignored', async () => {
    const t = await s.newTenant()
    const a = t.as('alice')
    const g = await room(a, 'group', ['bob'])
    const first = await a('POST', path(g.room_id), { body: { content: 'original', client_msg_id: 'c-1' } })
    expect(first.status).toBe(201)
    const again = await a('POST', path(g.room_id), { body: { content: 'changed', client_msg_id: 'c-1' } })
    expect(again.status).toBe(200)
    expect(again.body).toEqual(first.body)
    const stored = await a('GET', path(g.room_id, `/${first.body.message_id}`))
    expect(stored.body).toMatchObject({ content: 'original', client_msg_id: 'c-1' })
    expect((await a('GET', `/v1/rooms/${g.room_id}`)).body.last_seq).toBe(1)
    // the key is per sender and room: another sender or another room gets a new message
    expect((await t.as('bob')('POST', path(g.room_id), { body: { content: 'b', client_msg_id: 'c-1' } })).status).toBe(201)
    const g2 = await room(a, 'group')
    expect((await a('POST', path(g2.room_id), { body: { content: 'x', client_msg_id: 'c-1' } })).status).toBe(201)
  })

  test('parallel retries of one client_msg_id store one message', async () => {
    const t = await s.newTenant()
    const a = t.as('alice')
    const g = await room(a, 'group')
    const rs = await Promise.all(Array.from({ length: 8 }, () => a('POST', path(g.room_id), { body: { content: 'x', client_msg_id: 'same' } })))
    expect(rs.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 201])
    expect(new Set(rs.map((r) => r.body.message_id)).size).toBe(1)
    expect(seqs(await a('GET', path(g.room_id)))).toEqual([1])
  })

  test('a channel non-member may not send (403)', async () => {
    const t = await s.newTenant()
    const c = await room(t.as('alice'), 'channel')
    expectError(await t.as('zed')('POST', path(c.room_id), { body: { content: 'x' } }), 403, 'FORBIDDEN')
    expectError(await t.as('zed')('GET', path(c.room_id)), 403, 'FORBIDDEN')
  })
})

describe('GET messages (history)', () => {
  let t: Awaited<ReturnType<TestServer['newTenant']>>
  let a: As
  let id: string
  beforeAll(async () => {
    t = await s.newTenant()
    a = t.as('alice')
    id = (await room(a, 'group', ['bob'])).room_id
    for (let i = 1; i <= 7; i++) await send(i % 2 ? a : t.as('bob'), id, `m${i}`)
  })

  test.each([
    ['', [1, 2, 3, 4, 5, 6, 7], false],
    ['?limit=3', [5, 6, 7], true],
    ['?limit=7', [1, 2, 3, 4, 5, 6, 7], false],
    ['?before_seq=5&limit=3', [2, 3, 4], true],
    ['?before_seq=4&limit=3', [1, 2, 3], false],
    ['?before_seq=1', [], false],
    ['?before_seq=100&limit=2', [6, 7], true],
    ['?after_seq=0&limit=3', [1, 2, 3], true],
    ['?after_seq=3&limit=3', [4, 5, 6], true],
    ['?after_seq=4&limit=3', [5, 6, 7], false],
    ['?after_seq=7', [], false],
    ['?after_seq=2&limit=200', [3, 4, 5, 6, 7], false],
  ])('%s → seqs %p, has_more %p', async (q, want, more) => {
    const r = await a('GET', path(id, q))
    expect(r.status).toBe(200)
    expect(seqs(r)).toEqual(want)
    expect(r.body.has_more).toBe(more)
  })

  test('messages carry the full shape, ascending', async () => {
    const r = await t.as('bob')('GET', path(id, '?limit=2'))
    expect(r.body.messages.map((m: any) => [m.seq, m.sender_id, m.content])).toEqual([
      [6, 'bob', 'm6'],
      [7, 'alice', 'm7'],
    ])
  })
})

describe('history pages keep the MessagePage contract (the route skips the per-request response check)', () => {
  test('edited, deleted, meta and client_msg_id rows: every page matches the schema exactly, with no extra fields', async () => {
    const t = await s.newTenant()
    const a = t.as('alice')
    const id = (await room(a, 'group', ['bob'])).room_id
    const first = await a('POST', path(id), { body: { content: 'with meta', meta: { n: 1, tags: ['x'] }, client_msg_id: 'c-1' } })
    await send(t.as('bob'), id, 'plain')
    const third = await send(a, id, 'to edit')
    const fourth = await send(a, id, 'to delete')
    expect((await a('PATCH', path(id, `/${third.message_id}`), { body: { content: 'edited' } })).status).toBe(200)
    expect((await a('DELETE', path(id, `/${fourth.message_id}`))).status).toBe(204)
    for (const q of ['', '?limit=2', '?before_seq=4&limit=2', '?after_seq=1&limit=2', '?after_seq=0&limit=200']) {
      const r = await t.as('bob')('GET', path(id, q))
      expect(r.status).toBe(200)
      expect(r.headers.get('content-type')).toStartWith('application/json')
      expect(r.headers.get('x-request-id')).toBeTruthy()
      expect(r.headers.get('x-ratelimit-limit')).toBeTruthy()
      expect(Value.Check(MessagePage, r.body)).toBe(true)
      expect(Object.keys(r.body).sort()).toEqual(['has_more', 'messages'])
      for (const m of r.body.messages) expect(Object.keys(m).sort()).toEqual(Object.keys(Message.properties).sort())
    }
    const all = (await a('GET', path(id))).body.messages
    expect(all[0]).toMatchObject({ message_id: first.body.message_id, meta: { n: 1, tags: ['x'] }, client_msg_id: 'c-1', room_id: id })
    expect(all[2]).toMatchObject({ content: 'edited', edited_at: expect.stringMatching(ISO_MS) })
    expect(all[3]).toMatchObject({ content: '', meta: null, deleted_at: expect.stringMatching(ISO_MS) })
  })

  test('a non-member gets 404 for a group and 403 for a channel, as before the membership cache', async () => {
    const t = await s.newTenant()
    const a = t.as('alice')
    const g = (await room(a, 'group', ['bob'])).room_id
    const ch = (await room(a, 'channel', [])).room_id
    expectError(await t.as('eve')('GET', path(g)), 404, 'NOT_FOUND')
    expectError(await t.as('eve')('GET', path(ch)), 403, 'FORBIDDEN')
    expectError(await t.as('eve')('GET', path('room_doesnotexist0000000')), 404, 'NOT_FOUND')
    // a member who read once (now cached) and is then removed loses access at once
    expect((await t.as('bob')('GET', path(g))).status).toBe(200)
    expect((await a('DELETE', `/v1/rooms/${g}/members/bob`)).status).toBe(204)
    expectError(await t.as('bob')('GET', path(g)), 404, 'NOT_FOUND')
  })
})

describe('PATCH and DELETE a message', () => {
  test('only the sender edits: content changes, meta kept, edited_at set; others get 403', async () => {
    const t = await s.newTenant()
    const a = t.as('alice')
    const g = await room(a, 'group', ['bob'])
    const m = await send(t.as('bob'), g.room_id, 'draft', { meta: { v: 1 } })
    const r = await t.as('bob')('PATCH', path(g.room_id, `/${m.message_id}`), { body: { content: 'final' } })
    expect(r.status).toBe(200)
    expect(r.body).toMatchObject({ message_id: m.message_id, seq: m.seq, content: 'final', meta: { v: 1 }, deleted_at: null })
    expect(r.body.edited_at).toMatch(ISO_MS)
    const meta = await t.as('bob')('PATCH', path(g.room_id, `/${m.message_id}`), { body: { meta: { v: 2 } } })
    expect(meta.body).toMatchObject({ content: 'final', meta: { v: 2 } })
    expectError(await a('PATCH', path(g.room_id, `/${m.message_id}`), { body: { content: 'owner edit' } }), 403, 'FORBIDDEN')
    expect((await a('GET', path(g.room_id, `/${m.message_id}`))).body.content).toBe('final')
  })

  test('delete by the sender: 204, tombstone keeps its seq, content "" meta null deleted_at set; again 204; edit 409', async () => {
    const t = await s.newTenant()
    const a = t.as('alice')
    const g = await room(a, 'group')
    await send(a, g.room_id, 'before')
    const m = await send(a, g.room_id, 'secret', { meta: { x: 1 } })
    await send(a, g.room_id, 'after')
    expect((await a('DELETE', path(g.room_id, `/${m.message_id}`))).status).toBe(204)
    const got = await a('GET', path(g.room_id, `/${m.message_id}`))
    expect(got.body).toMatchObject({ seq: 2, content: '', meta: null, sender_id: 'alice' })
    expect(got.body.deleted_at).toMatch(ISO_MS)
    const h = await a('GET', path(g.room_id))
    expect(h.body.messages.map((x: any) => [x.seq, x.content])).toEqual([
      [1, 'before'],
      [2, ''],
      [3, 'after'],
    ])
    expect((await a('DELETE', path(g.room_id, `/${m.message_id}`))).status).toBe(204)
    expect((await a('GET', path(g.room_id, `/${m.message_id}`))).body.deleted_at).toBe(got.body.deleted_at)
    expectError(await a('PATCH', path(g.room_id, `/${m.message_id}`), { body: { content: 'back' } }), 409, 'CONFLICT')
  })

  test("the owner or an admin deletes anyone's message; a plain member only their own", async () => {
    const t = await s.newTenant()
    const a = t.as('alice')
    const g = await room(a, 'group', ['bob', 'carol'])
    await a('POST', `/v1/rooms/${g.room_id}/members`, { body: { user_ids: ['adam'], role: 'admin' } })
    const m1 = await send(t.as('bob'), g.room_id, 'one')
    const m2 = await send(t.as('bob'), g.room_id, 'two')
    expectError(await t.as('carol')('DELETE', path(g.room_id, `/${m1.message_id}`)), 403, 'FORBIDDEN')
    expect((await a('GET', path(g.room_id, `/${m1.message_id}`))).body.deleted_at).toBeNull()
    expect((await a('DELETE', path(g.room_id, `/${m1.message_id}`))).status).toBe(204)
    expect((await t.as('adam')('DELETE', path(g.room_id, `/${m2.message_id}`))).status).toBe(204)
    const h = await a('GET', path(g.room_id))
    expect(h.body.messages.every((x: any) => x.content === '' && x.deleted_at)).toBe(true)
  })

  test('an unknown message id, or one from another room, is 404', async () => {
    const t = await s.newTenant()
    const a = t.as('alice')
    const g1 = await room(a, 'group')
    const g2 = await room(a, 'group')
    const m = await send(a, g1.room_id, 'x')
    for (const [method, body] of [['GET'], ['PATCH', { content: 'y' }], ['DELETE']] as const) {
      expectError(await a(method, path(g2.room_id, `/${m.message_id}`), { body }), 404, 'NOT_FOUND')
      expectError(await a(method, path(g1.room_id, '/msg_doesnotexist0000000000'), { body }), 404, 'NOT_FOUND')
    }
  })
})
