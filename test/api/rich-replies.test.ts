// Replies (SPEC §11.3): parent_id on send, the parent's reply change, the replies list, top_level=true.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { startTestServer, type TestServer, type TestTenant } from '../support/server'
import { expectError, ISO_MS, room, send } from './helpers'
import { asMessage, groupWithMessages, msgPath } from './rich-helpers'

let s: TestServer
let t: TestTenant
beforeAll(async () => {
  s = await startTestServer()
  t = await s.newTenant()
})
afterAll(() => s.stop())

const seqs = (r: { body: { messages: { seq: number }[] } }) => r.body.messages.map((m) => m.seq)

describe('sending a reply', () => {
  test('takes the next seq; the parent counts it (reply_count, last_reply_at) with a new rev; the reply reads back with parent_id', async () => {
    const { roomId, ids } = await groupWithMessages(t.as, 2)
    const r = await t.as('bob')('POST', msgPath(roomId), { body: { content: 'in thread', parent_id: ids[0] } })
    expect(r.status).toBe(201)
    expect(Object.keys(r.body).sort()).toEqual(['created_at', 'message_id', 'room_id', 'seq'])
    expect(r.body.seq).toBe(3)
    const reply = asMessage((await t.as('carol')('GET', msgPath(roomId, r.body.message_id))).body)
    expect(reply).toMatchObject({ parent_id: ids[0], seq: 3, rev: 0, reply_count: 0 })
    const parent = asMessage((await t.as('carol')('GET', msgPath(roomId, ids[0]))).body)
    expect(parent).toMatchObject({ reply_count: 1, last_reply_at: r.body.created_at, rev: 1, parent_id: null })
    expect(parent.last_reply_at).toMatch(ISO_MS)
    // acks, unread counts and history are unchanged by threading
    expect((await t.as('bob')('GET', '/v1/rooms')).body.rooms[0]).toMatchObject({ last_seq: 3, last_rev: 1, unread_count: 0 })
    expect((await t.as('carol')('GET', '/v1/rooms')).body.rooms[0]).toMatchObject({ unread_count: 3 })
    expect(seqs(await t.as('carol')('GET', msgPath(roomId)))).toEqual([1, 2, 3])
    const second = await send(t.as('alice'), roomId, 'again', { parent_id: ids[0] })
    expect((await t.as('carol')('GET', msgPath(roomId, ids[0]))).body).toMatchObject({ reply_count: 2, last_reply_at: second.created_at, rev: 2 })
  })

  test('an unknown parent, a reply as parent, or another room\'s message is 400 on parent_id; a deleted parent is 409; nothing is stored', async () => {
    const { roomId, ids } = await groupWithMessages(t.as, 2)
    const other = await room(t.as('alice'), 'group', ['bob'])
    const elsewhere = await send(t.as('alice'), other.room_id, 'x')
    const reply = await send(t.as('bob'), roomId, 'r', { parent_id: ids[0] })
    const bob = t.as('bob')
    for (const parent_id of ['msg_nope', reply.message_id, elsewhere.message_id])
      expectError(await bob('POST', msgPath(roomId), { body: { content: 'x', parent_id } }), 400, 'VALIDATION_ERROR', 'parent_id')
    expectError(await bob('POST', msgPath(roomId), { body: { content: 'x', parent_id: '' } }), 400, 'VALIDATION_ERROR', 'parent_id')
    expectError(await bob('POST', msgPath(roomId), { body: { content: 'x', parent_id: 7 } }), 400, 'VALIDATION_ERROR', 'parent_id')
    expect((await t.as('alice')('DELETE', msgPath(roomId, ids[1]))).status).toBe(204)
    expectError(await bob('POST', msgPath(roomId), { body: { content: 'x', parent_id: ids[1] } }), 409, 'CONFLICT')
    // none of the refused sends took a seq
    expect((await send(bob, roomId, 'next')).seq).toBe(4)
    expect((await t.as('alice')('GET', msgPath(roomId, ids[0]))).body.reply_count).toBe(1)
  })

  test('a non-member is refused before the parent is looked at (404 group, 403 channel; other tenant 404)', async () => {
    const { roomId, ids } = await groupWithMessages(t.as, 1)
    expectError(await t.as('mallory')('POST', msgPath(roomId), { body: { content: 'x', parent_id: 'msg_nope' } }), 404, 'NOT_FOUND')
    const other = await s.newTenant()
    expectError(await other.as('alice')('POST', msgPath(roomId), { body: { content: 'x', parent_id: ids[0] } }), 404, 'NOT_FOUND')
    const c = await room(t.as('alice'), 'channel')
    const top = await send(t.as('alice'), c.room_id, 'top')
    expectError(await t.as('mallory')('POST', msgPath(c.room_id), { body: { content: 'x', parent_id: top.message_id } }), 403, 'FORBIDDEN')
  })
})

describe('GET …/messages/{message_id}/replies', () => {
  test('pages the thread with history\'s rules: ascending, after_seq forward, before_seq back, newest page by default', async () => {
    const { roomId, ids } = await groupWithMessages(t.as, 1)
    const replySeqs: number[] = []
    for (let i = 0; i < 5; i++) {
      await send(t.as('alice'), roomId, `noise ${i}`)
      replySeqs.push((await send(t.as('bob'), roomId, `reply ${i}`, { parent_id: ids[0] })).seq)
    }
    const path = (q: string) => msgPath(roomId, ids[0], `/replies${q}`)
    const all = await t.as('carol')('GET', path(''))
    expect(all.status).toBe(200)
    expect(seqs(all)).toEqual(replySeqs)
    expect(all.body.has_more).toBe(false)
    all.body.messages.forEach(asMessage)
    expect(await t.as('carol')('GET', path('?limit=2'))).toMatchObject({ body: { has_more: true } })
    expect(seqs(await t.as('carol')('GET', path('?limit=2')))).toEqual(replySeqs.slice(3))
    expect(seqs(await t.as('carol')('GET', path(`?after_seq=${replySeqs[1]}&limit=2`)))).toEqual(replySeqs.slice(2, 4))
    expect(seqs(await t.as('carol')('GET', path(`?before_seq=${replySeqs[2]}`)))).toEqual(replySeqs.slice(0, 2))
    expect((await t.as('carol')('GET', path(`?after_seq=${replySeqs[4]}`))).body).toEqual({ messages: [], has_more: false })
    expectError(await t.as('carol')('GET', path('?after_seq=1&before_seq=5')), 400, 'VALIDATION_ERROR', 'before_seq')
    expectError(await t.as('carol')('GET', path('?limit=201')), 400, 'VALIDATION_ERROR', 'limit')
    expectError(await t.as('carol')('GET', path('?after_seq=-1')), 400, 'VALIDATION_ERROR', 'after_seq')
    // a message with no replies, an unknown one, a non-member, another tenant
    expect((await t.as('carol')('GET', msgPath(roomId, all.body.messages[0].message_id, '/replies'))).body).toEqual({ messages: [], has_more: false })
    expectError(await t.as('carol')('GET', msgPath(roomId, 'msg_nope', '/replies')), 404, 'NOT_FOUND')
    expectError(await t.as('mallory')('GET', path('')), 404, 'NOT_FOUND')
    expectError(await (await s.newTenant()).as('carol')('GET', path('')), 404, 'NOT_FOUND')
  })

  test('history with top_level=true leaves replies out, pages included; top_level=false or absent keeps them', async () => {
    const { roomId, ids } = await groupWithMessages(t.as, 3)
    for (let i = 0; i < 4; i++) await send(t.as('bob'), roomId, `r${i}`, { parent_id: ids[i % 3] })
    await send(t.as('alice'), roomId, 'top 4')
    const h = (q: string) => t.as('carol')('GET', msgPath(roomId, '', q))
    expect(seqs(await h('?top_level=true'))).toEqual([1, 2, 3, 8])
    expect(seqs(await h('?top_level=true&limit=2'))).toEqual([3, 8])
    expect((await h('?top_level=true&limit=2')).body.has_more).toBe(true)
    expect(seqs(await h('?top_level=true&after_seq=2&limit=1'))).toEqual([3])
    expect(seqs(await h('?top_level=true&before_seq=3'))).toEqual([1, 2])
    expect(seqs(await h('?top_level=false'))).toEqual([1, 2, 3, 4, 5, 6, 7, 8])
    expect(seqs(await h(''))).toEqual([1, 2, 3, 4, 5, 6, 7, 8])
    expectError(await h('?top_level=yes'), 400, 'VALIDATION_ERROR', 'top_level')
  })
})
