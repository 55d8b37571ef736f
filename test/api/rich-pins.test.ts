// Pins (SPEC §11.6): who pins, idempotency, the 50-pin cap, order, deleted messages, access.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { startTestServer, type TestServer, type TestTenant } from '../support/server'
import { expectError, room, send } from './helpers'
import { asMessage, groupWithMessages, msgPath, pinPath } from './rich-helpers'

let s: TestServer
let t: TestTenant
beforeAll(async () => {
  s = await startTestServer()
  t = await s.newTenant()
})
afterAll(() => s.stop())

describe('pinning', () => {
  test('the owner or an admin pins in a group (a member: 403); the list is newest pin first; unpin and repeats change nothing more', async () => {
    const { roomId, ids } = await groupWithMessages(t.as, 3)
    expect((await t.as('alice')('POST', `/v1/rooms/${roomId}/members`, { body: { user_ids: ['dave'], role: 'admin' } })).status).toBe(200)
    const p = await t.as('alice')('PUT', pinPath(roomId, ids[1]))
    expect(p.status).toBe(200)
    expect(asMessage(p.body)).toMatchObject({ message_id: ids[1], pinned_by: 'alice', pinned_at: expect.any(String), rev: 1 })
    expectError(await t.as('bob')('PUT', pinPath(roomId, ids[0])), 403, 'FORBIDDEN')
    expectError(await t.as('bob')('DELETE', pinPath(roomId, ids[1])), 403, 'FORBIDDEN')
    expectError(await t.as('carol')('PUT', pinPath(roomId, ids[0])), 403, 'FORBIDDEN')
    expect((await t.as('dave')('PUT', pinPath(roomId, ids[0]))).body).toMatchObject({ pinned_by: 'dave', rev: 2 })
    expect((await t.as('alice')('PUT', pinPath(roomId, ids[2]))).status).toBe(200)
    const again = await t.as('dave')('PUT', pinPath(roomId, ids[1]))
    expect(again.body).toEqual((await t.as('bob')('GET', msgPath(roomId, ids[1]))).body)
    expect(again.body).toMatchObject({ pinned_by: 'alice', rev: 1 })

    const list = await t.as('bob')('GET', pinPath(roomId)) // members read the pins
    expect(list.status).toBe(200)
    expect(list.body.messages.map((m: any) => m.message_id)).toEqual([ids[2], ids[0], ids[1]])
    list.body.messages.forEach(asMessage)

    const un = await t.as('dave')('DELETE', pinPath(roomId, ids[0]))
    expect(un.status).toBe(200)
    expect(un.body).toMatchObject({ pinned_at: null, pinned_by: null, rev: 4 })
    const unAgain = await t.as('dave')('DELETE', pinPath(roomId, ids[0]))
    expect(unAgain.body).toEqual(un.body)
    expect((await t.as('bob')('GET', pinPath(roomId))).body.messages.map((m: any) => m.message_id)).toEqual([ids[2], ids[1]])
    expect((await t.as('bob')('GET', `/v1/rooms/${roomId}`)).body.last_rev).toBe(4)
  })

  test('in a dm either member pins; in a channel a plain member may not', async () => {
    const dm = await room(t.as('alice'), 'dm', ['bob'])
    const m = await send(t.as('alice'), dm.room_id, 'hi')
    expect((await t.as('bob')('PUT', pinPath(dm.room_id, m.message_id))).body).toMatchObject({ pinned_by: 'bob' })
    expect((await t.as('alice')('DELETE', pinPath(dm.room_id, m.message_id))).body).toMatchObject({ pinned_by: null })
    const c = await room(t.as('alice'), 'channel')
    const cm = await send(t.as('alice'), c.room_id, 'news')
    expect((await t.as('bob')('POST', `/v1/rooms/${c.room_id}/join`)).status).toBe(200)
    expectError(await t.as('bob')('PUT', pinPath(c.room_id, cm.message_id)), 403, 'FORBIDDEN')
    expect((await t.as('alice')('PUT', pinPath(c.room_id, cm.message_id))).status).toBe(200)
  })

  test('at most 50 pins per room: the 51st is 409 until one is unpinned', async () => {
    const { roomId, ids } = await groupWithMessages(t.as, 51)
    for (let i = 0; i < 50; i++) expect((await t.as('alice')('PUT', pinPath(roomId, ids[i]))).status).toBe(200)
    expectError(await t.as('alice')('PUT', pinPath(roomId, ids[50])), 409, 'CONFLICT')
    expect((await t.as('alice')('GET', pinPath(roomId))).body.messages).toHaveLength(50)
    expect((await t.as('alice')('DELETE', pinPath(roomId, ids[0]))).status).toBe(200)
    expect((await t.as('alice')('PUT', pinPath(roomId, ids[50]))).status).toBe(200)
    expect((await t.as('alice')('GET', pinPath(roomId))).body.messages[0].message_id).toBe(ids[50])
  })

  test('a deleted message is 409 and loses its pin', async () => {
    const { roomId, ids } = await groupWithMessages(t.as, 2)
    await t.as('alice')('PUT', pinPath(roomId, ids[0]))
    expect((await t.as('alice')('DELETE', msgPath(roomId, ids[0]))).status).toBe(204)
    expect((await t.as('alice')('GET', msgPath(roomId, ids[0]))).body).toMatchObject({ pinned_at: null, pinned_by: null })
    expect((await t.as('alice')('GET', pinPath(roomId))).body).toEqual({ messages: [] })
    expectError(await t.as('alice')('PUT', pinPath(roomId, ids[0])), 409, 'CONFLICT')
    expectError(await t.as('alice')('DELETE', pinPath(roomId, ids[0])), 409, 'CONFLICT')
  })

  test('access: group non-members and other tenants 404, channel non-members 403, unknown message 404', async () => {
    const { roomId, ids } = await groupWithMessages(t.as, 1)
    const other = await s.newTenant()
    for (const [method, path] of [['PUT', pinPath(roomId, ids[0])], ['DELETE', pinPath(roomId, ids[0])], ['GET', pinPath(roomId)]] as const) {
      expectError(await t.as('mallory')(method, path), 404, 'NOT_FOUND')
      expectError(await other.as('alice')(method, path), 404, 'NOT_FOUND')
    }
    expectError(await t.as('alice')('PUT', pinPath(roomId, 'msg_nope')), 404, 'NOT_FOUND')
    const c = await room(t.as('alice'), 'channel')
    const cm = await send(t.as('alice'), c.room_id, 'x')
    expectError(await t.as('mallory')('GET', pinPath(c.room_id)), 403, 'FORBIDDEN')
    expectError(await t.as('mallory')('PUT', pinPath(c.room_id, cm.message_id)), 403, 'FORBIDDEN')
  })
})
