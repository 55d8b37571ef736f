// The change feed over REST (SPEC §11.1): GET …/changes, last_rev and first_seq on the room, and a
// client that was away catching up with both cursors (seq for new messages, rev for changes).

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { startTestServer, type TestServer, type TestTenant } from '../support/server'
import { expectError, room, send } from './helpers'
import { asMessage, groupWithMessages, msgPath, pinPath, reactionPath } from './rich-helpers'
import type { Message } from '../../src/schemas/message'

let s: TestServer
let t: TestTenant
beforeAll(async () => {
  s = await startTestServer()
  t = await s.newTenant()
})
afterAll(() => s.stop())

const changes = (user: string, roomId: string, q = '') => t.as(user)('GET', `/v1/rooms/${roomId}/changes${q}`)

describe('GET /v1/rooms/{room_id}/changes', () => {
  test('each changed message once, current state, ascending rev; new messages are not changes; paging by the last rev', async () => {
    const { roomId, ids } = await groupWithMessages(t.as, 4)
    expect((await t.as('bob')('GET', `/v1/rooms/${roomId}`)).body).toMatchObject({ last_seq: 4, last_rev: 0, first_seq: 1 })
    expect((await changes('bob', roomId)).body).toEqual({ messages: [], last_rev: 0, has_more: false })
    await t.as('bob')('PUT', reactionPath(roomId, ids[0], '👍')) // rev 1
    await t.as('alice')('PATCH', msgPath(roomId, ids[1]), { body: { content: 'edited' } }) // rev 2
    await t.as('alice')('PUT', pinPath(roomId, ids[2])) // rev 3
    await t.as('carol')('PUT', reactionPath(roomId, ids[0], '👀')) // rev 4: message 1 again
    await send(t.as('alice'), roomId, 'new, not a change')
    const all = await changes('bob', roomId)
    expect(all.status).toBe(200)
    expect(all.body.last_rev).toBe(4)
    expect(all.body.has_more).toBe(false)
    expect(all.body.messages.map((m: Message) => [m.message_id, m.rev])).toEqual([[ids[1], 2], [ids[2], 3], [ids[0], 4]])
    all.body.messages.forEach(asMessage)
    expect(all.body.messages[0].content).toBe('edited')
    expect(all.body.messages[2].reactions.map((r: { key: string }) => r.key)).toEqual(['👍', '👀'])

    const p1 = await changes('bob', roomId, '?limit=2')
    expect(p1.body).toMatchObject({ last_rev: 4, has_more: true })
    expect(p1.body.messages.map((m: Message) => m.rev)).toEqual([2, 3])
    const p2 = await changes('bob', roomId, `?after_rev=${p1.body.messages[1].rev}&limit=2`)
    expect(p2.body).toMatchObject({ last_rev: 4, has_more: false })
    expect(p2.body.messages.map((m: Message) => m.rev)).toEqual([4])
    expect((await changes('bob', roomId, '?after_rev=4')).body).toEqual({ messages: [], last_rev: 4, has_more: false })
    expect((await changes('bob', roomId, '?after_rev=99')).body).toEqual({ messages: [], last_rev: 4, has_more: false })
    expect((await t.as('bob')('GET', '/v1/rooms')).body.rooms.find((r: any) => r.room_id === roomId)).toMatchObject({ last_rev: 4, first_seq: 1 })
  })

  test('bad after_rev or limit is 400 on that field; non-members 404 (group) / 403 (channel); other tenants 404', async () => {
    const { roomId } = await groupWithMessages(t.as, 1)
    for (const bad of ['-1', 'abc', '1.5', '9999999999999999'])
      expectError(await changes('bob', roomId, `?after_rev=${bad}`), 400, 'VALIDATION_ERROR', 'after_rev')
    expectError(await changes('bob', roomId, '?limit=201'), 400, 'VALIDATION_ERROR', 'limit')
    expectError(await changes('mallory', roomId), 404, 'NOT_FOUND')
    expectError(await (await s.newTenant()).as('bob')('GET', `/v1/rooms/${roomId}/changes`), 404, 'NOT_FOUND')
    const c = await room(t.as('alice'), 'channel')
    expectError(await changes('mallory', c.room_id), 403, 'FORBIDDEN')
    expectError(await changes('bob', 'room_nope'), 404, 'NOT_FOUND')
  })
})

describe('a client away from a room catches up over REST', () => {
  test('B reads and leaves; A edits, deletes, reacts, pins and replies; B with after_seq + after_rev ends with exactly A\'s state', async () => {
    const { roomId, ids } = await groupWithMessages(t.as, 6)
    const b = t.as('bob')
    // B reads the room and keeps both cursors
    const held = new Map<string, Message>()
    const page = await b('GET', msgPath(roomId))
    for (const m of page.body.messages) held.set(m.message_id, m)
    const r0 = (await b('GET', `/v1/rooms/${roomId}`)).body
    let lastSeq = r0.last_seq
    let lastRev = r0.last_rev
    expect([lastSeq, lastRev]).toEqual([6, 0])

    // B is away; A changes five messages
    const a = t.as('alice')
    expect((await a('PATCH', msgPath(roomId, ids[0]), { body: { content: 'edited by A', mentions: ['bob'] } })).status).toBe(200)
    expect((await a('DELETE', msgPath(roomId, ids[1]))).status).toBe(204)
    expect((await a('PUT', reactionPath(roomId, ids[2], '🎉'))).status).toBe(200)
    expect((await a('PUT', pinPath(roomId, ids[3]))).status).toBe(200)
    await send(a, roomId, 'a reply', { parent_id: ids[4] })

    // B comes back: new messages by seq, changes by rev, each applied only when newer
    const fresh = await b('GET', msgPath(roomId, '', `?after_seq=${lastSeq}`))
    for (const m of fresh.body.messages) held.set(m.message_id, m)
    lastSeq = Math.max(lastSeq, ...fresh.body.messages.map((m: Message) => m.seq))
    let after = lastRev
    for (let round = 0; round < 10; round++) {
      const c = await b('GET', `/v1/rooms/${roomId}/changes?after_rev=${after}&limit=2`)
      for (const m of c.body.messages as Message[]) if (m.rev > (held.get(m.message_id)?.rev ?? -1)) held.set(m.message_id, m)
      if (!c.body.has_more) {
        lastRev = c.body.last_rev
        break
      }
      after = c.body.messages[c.body.messages.length - 1].rev
    }
    expect(lastRev).toBe(5)

    const truth = (await a('GET', msgPath(roomId))).body.messages as Message[]
    expect([...held.values()].sort((x, y) => x.seq - y.seq)).toEqual(truth)
    expect(truth.map((m) => [m.seq, m.rev])).toEqual([[1, 1], [2, 2], [3, 3], [4, 4], [5, 5], [6, 0], [7, 0]])
    expect(truth[1]).toMatchObject({ content: '', deleted_at: expect.any(String) })
    expect(truth[4]).toMatchObject({ reply_count: 1 })
    expect(truth[6]).toMatchObject({ parent_id: ids[4] })
  })
})
