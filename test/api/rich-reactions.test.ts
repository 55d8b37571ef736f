// Reactions (SPEC §11.4): add/remove (idempotent), the key rule, caps, the reactor list, access.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { startTestServer, type TestServer, type TestTenant } from '../support/server'
import { expectError, room, send } from './helpers'
import { asMessage, groupWithMessages, msgPath, reactionPath } from './rich-helpers'

let s: TestServer
let t: TestTenant
beforeAll(async () => {
  s = await startTestServer()
  t = await s.newTenant()
})
afterAll(() => s.stop())

describe('PUT and DELETE …/reactions/{key}', () => {
  test('adds a reaction with a new rev; a repeat answers 200 with nothing changed; DELETE removes it (also when absent)', async () => {
    const { roomId, ids } = await groupWithMessages(t.as, 1)
    const put = await t.as('bob')('PUT', reactionPath(roomId, ids[0], '👍'))
    expect(put.status).toBe(200)
    const m = asMessage(put.body)
    expect(m).toMatchObject({ message_id: ids[0], rev: 1, reactions: [{ key: '👍', count: 1, user_ids: ['bob'] }] })
    expect((await t.as('alice')('GET', `/v1/rooms/${roomId}`)).body.last_rev).toBe(1)

    const again = await t.as('bob')('PUT', reactionPath(roomId, ids[0], '👍'))
    expect(again.status).toBe(200)
    expect(again.body).toEqual(put.body) // no new rev
    expect((await t.as('alice')('GET', `/v1/rooms/${roomId}`)).body.last_rev).toBe(1)

    await t.as('carol')('PUT', reactionPath(roomId, ids[0], '+1'))
    const both = await t.as('alice')('PUT', reactionPath(roomId, ids[0], '👍'))
    expect(both.body.reactions).toEqual([
      { key: '👍', count: 2, user_ids: ['bob', 'alice'] },
      { key: '+1', count: 1, user_ids: ['carol'] },
    ])
    expect(both.body.rev).toBe(3)

    const del = await t.as('bob')('DELETE', reactionPath(roomId, ids[0], '👍'))
    expect(del.status).toBe(200)
    expect(asMessage(del.body)).toMatchObject({ rev: 4, reactions: [{ key: '👍', count: 1, user_ids: ['alice'] }, { key: '+1', count: 1, user_ids: ['carol'] }] })
    const none = await t.as('bob')('DELETE', reactionPath(roomId, ids[0], '👍'))
    expect(none.status).toBe(200)
    expect(none.body).toEqual(del.body)
    // the message reads back the same through GET and history
    expect((await t.as('carol')('GET', msgPath(roomId, ids[0]))).body).toEqual(del.body)
    expect((await t.as('carol')('GET', msgPath(roomId))).body.messages[0]).toEqual(del.body)
  })

  test('keys: emoji sequences and shortcodes up to 64 bytes; whitespace, control characters and longer keys are 400 on key', async () => {
    const { roomId, ids } = await groupWithMessages(t.as, 1)
    const bob = t.as('bob')
    const family = '👨‍👩‍👧' // joined with U+200D, a format character, not a control one
    const max = '👍'.repeat(16) // 64 bytes
    for (const key of [family, max, ':tada:', 'ok_hand', '❤️']) {
      const r = await bob('PUT', reactionPath(roomId, ids[0], key))
      expect(r.status).toBe(200)
      expect(r.body.reactions.map((x: { key: string }) => x.key)).toContain(key)
    }
    for (const key of ['a b', ' x', 'x\t', '\u00a0', 'x\u3000y', 'x\u0007', '\u007f', 'x\u2028', '👍'.repeat(16) + 'a', 'a'.repeat(65)]) {
      expectError(await bob('PUT', reactionPath(roomId, ids[0], key)), 400, 'VALIDATION_ERROR', 'key')
      expectError(await bob('DELETE', reactionPath(roomId, ids[0], key)), 400, 'VALIDATION_ERROR', 'key')
    }
    expectError(await bob('PUT', msgPath(roomId, ids[0], '/reactions/%E0%A4%A')), 400, 'VALIDATION_ERROR', 'key') // not UTF-8
    expectError(await bob('GET', msgPath(roomId, ids[0], `/reactions?key=${encodeURIComponent('a b')}`)), 400, 'VALIDATION_ERROR', 'key')
  })

  test('at most 25 distinct keys: a 26th is 409, an existing key still takes reactors', async () => {
    const { roomId, ids } = await groupWithMessages(t.as, 1)
    for (let i = 0; i < 25; i++) expect((await t.as('bob')('PUT', reactionPath(roomId, ids[0], `k${i}`))).status).toBe(200)
    expectError(await t.as('carol')('PUT', reactionPath(roomId, ids[0], 'k25')), 409, 'CONFLICT')
    const r = await t.as('carol')('PUT', reactionPath(roomId, ids[0], 'k3'))
    expect(r.status).toBe(200)
    expect(r.body.reactions).toHaveLength(25)
    expect(r.body.reactions[3]).toEqual({ key: 'k3', count: 2, user_ids: ['bob', 'carol'] })
  })

  test('a deleted message is 409 for both; its reactions are gone', async () => {
    const { roomId, ids } = await groupWithMessages(t.as, 1)
    await t.as('bob')('PUT', reactionPath(roomId, ids[0], '👍'))
    expect((await t.as('alice')('DELETE', msgPath(roomId, ids[0]))).status).toBe(204)
    expect((await t.as('bob')('GET', msgPath(roomId, ids[0]))).body).toMatchObject({ reactions: [], deleted_at: expect.any(String) })
    expectError(await t.as('bob')('PUT', reactionPath(roomId, ids[0], '👍')), 409, 'CONFLICT')
    expectError(await t.as('bob')('DELETE', reactionPath(roomId, ids[0], '👍')), 409, 'CONFLICT')
    expect((await t.as('bob')('GET', msgPath(roomId, ids[0], '/reactions'))).body).toEqual({ reactions: [], next_cursor: null })
  })
})

describe('the reactor list', () => {
  test('user_ids lists the first 25 reactors; GET …/reactions pages them all, earliest first, optionally one key', async () => {
    const { roomId, ids } = await groupWithMessages(t.as, 1, 'channel')
    const users = Array.from({ length: 30 }, (_, i) => `fan${String(i).padStart(2, '0')}`)
    for (const u of users) {
      expect((await t.as(u)('POST', `/v1/rooms/${roomId}/join`)).status).toBe(200)
      expect((await t.as(u)('PUT', reactionPath(roomId, ids[0], '🔥'))).status).toBe(200)
    }
    await t.as('bob')('PUT', reactionPath(roomId, ids[0], '👀'))
    const m = (await t.as('alice')('GET', msgPath(roomId, ids[0]))).body
    expect(m.reactions).toEqual([
      { key: '🔥', count: 30, user_ids: users.slice(0, 25) },
      { key: '👀', count: 1, user_ids: ['bob'] },
    ])
    // a listed reactor leaves: the next earliest takes the place
    await t.as(users[0])('DELETE', reactionPath(roomId, ids[0], '🔥'))
    expect((await t.as('alice')('GET', msgPath(roomId, ids[0]))).body.reactions[0]).toEqual({ key: '🔥', count: 29, user_ids: users.slice(1, 26) })

    const seen: { user_id: string; key: string; created_at: string }[] = []
    let cursor: string | null = null
    let pages = 0
    do {
      const r = await t.as('alice')('GET', msgPath(roomId, ids[0], `/reactions?limit=12${cursor ? `&cursor=${cursor}` : ''}`))
      expect(r.status).toBe(200)
      seen.push(...r.body.reactions)
      cursor = r.body.next_cursor
      pages++
    } while (cursor && pages < 10)
    expect(pages).toBe(3)
    expect(seen.map((r) => r.user_id)).toEqual([...users.slice(1), 'bob'])
    expect(seen[seen.length - 1]).toEqual({ user_id: 'bob', key: '👀', created_at: expect.stringMatching(/Z$/) })
    const onlyEyes = await t.as('alice')('GET', msgPath(roomId, ids[0], `/reactions?key=${encodeURIComponent('👀')}`))
    expect(onlyEyes.body).toEqual({ reactions: [{ user_id: 'bob', key: '👀', created_at: seen[seen.length - 1].created_at }], next_cursor: null })
    expectError(await t.as('alice')('GET', msgPath(roomId, ids[0], '/reactions?limit=0')), 400, 'VALIDATION_ERROR', 'limit')
    expectError(await t.as('alice')('GET', msgPath(roomId, ids[0], '/reactions?cursor=nope')), 400, 'VALIDATION_ERROR', 'cursor')
  })
})

describe('access', () => {
  test('group non-members and other tenants get 404, channel non-members 403, an unknown message 404', async () => {
    const { roomId, ids } = await groupWithMessages(t.as, 1)
    const other = await s.newTenant()
    for (const [method, path] of [
      ['PUT', reactionPath(roomId, ids[0], '👍')],
      ['DELETE', reactionPath(roomId, ids[0], '👍')],
      ['GET', msgPath(roomId, ids[0], '/reactions')],
    ] as const) {
      expectError(await t.as('mallory')(method, path), 404, 'NOT_FOUND')
      expectError(await other.as('alice')(method, path), 404, 'NOT_FOUND')
    }
    expectError(await t.as('bob')('PUT', reactionPath(roomId, 'msg_nope', '👍')), 404, 'NOT_FOUND')
    const c = await room(t.as('alice'), 'channel')
    const cm = await send(t.as('alice'), c.room_id, 'hi')
    expectError(await t.as('mallory')('PUT', reactionPath(c.room_id, cm.message_id, '👍')), 403, 'FORBIDDEN')
    expectError(await t.as('mallory')('GET', msgPath(c.room_id, cm.message_id, '/reactions')), 403, 'FORBIDDEN')
    // a message id of another room of the same tenant is not found in this one
    expectError(await t.as('alice')('PUT', reactionPath(c.room_id, ids[0], '👍')), 404, 'NOT_FOUND')
  })
})
