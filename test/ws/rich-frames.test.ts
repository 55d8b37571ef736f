// Live frames of SPEC §11 over WebSocket: every change to a message reaches the room as
// message.updated / message.deleted with its rev and `change`; replies and mentions over send_message.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { startTestServer, type TestServer, type TestTenant } from '../support/server'
import { alive, expectNone, NO_REDELIVERY, ready, restSend, roomWith } from './helpers'

let s: TestServer
let t: TestTenant
beforeAll(async () => {
  s = await startTestServer(NO_REDELIVERY)
  t = await s.newTenant()
})
afterAll(() => s.stop())

const react = (user: string, room: string, id: string, key: string, method = 'PUT') =>
  t.as(user)(method, `/v1/rooms/${room}/messages/${id}/reactions/${encodeURIComponent(key)}`)

describe('message.updated and message.deleted frames', () => {
  test('reactions, pins, edits, replies and deletes each reach the room once, with rev and change; a repeat sends nothing', async () => {
    const room = await roomWith(t, 'alice', ['bob'])
    const m = await restSend(t, 'alice', room, 'hello')
    const bob = await ready(s.wsUrl, t.headers('bob'))
    bob.drain('message') // the initial sync's copy of `m`

    expect((await react('alice', room, m.message_id, '👍')).status).toBe(200)
    const added = await bob.next('message.updated')
    expect(added).toMatchObject({ message_id: m.message_id, rev: 1, change: { kind: 'reaction.added', user_id: 'alice', key: '👍' } })
    expect(added.reactions).toEqual([{ key: '👍', count: 1, user_ids: ['alice'] }])

    expect((await react('alice', room, m.message_id, '👍')).status).toBe(200) // nothing changes: no frame
    expect((await react('alice', room, m.message_id, 'nope', 'DELETE')).status).toBe(200)
    await expectNone(bob, 'message.updated')

    await react('alice', room, m.message_id, '👍', 'DELETE')
    expect(await bob.next('message.updated')).toMatchObject({ rev: 2, reactions: [], change: { kind: 'reaction.removed', user_id: 'alice', key: '👍' } })

    await t.as('alice')('PUT', `/v1/rooms/${room}/pins/${m.message_id}`)
    expect(await bob.next('message.updated')).toMatchObject({ rev: 3, pinned_by: 'alice', change: { kind: 'pinned', user_id: 'alice' } })
    await t.as('alice')('DELETE', `/v1/rooms/${room}/pins/${m.message_id}`)
    const unpinned = await bob.next('message.updated')
    expect(unpinned).toMatchObject({ rev: 4, pinned_at: null, change: { kind: 'unpinned', user_id: 'alice' } })
    expect(unpinned.change).not.toHaveProperty('key')

    await t.as('alice')('PATCH', `/v1/rooms/${room}/messages/${m.message_id}`, { body: { content: 'edited' } })
    expect(await bob.next('message.updated')).toMatchObject({ rev: 5, content: 'edited', change: { kind: 'edited', user_id: 'alice' } })

    const reply = await restSend(t, 'bob', room, 'a reply', { parent_id: m.message_id })
    expect(await bob.next('message')).toMatchObject({ message_id: reply.message_id, parent_id: m.message_id, rev: 0 })
    expect(await bob.next('message.updated')).toMatchObject({ message_id: m.message_id, rev: 6, reply_count: 1, change: { kind: 'reply', user_id: 'bob' } })

    await t.as('alice')('DELETE', `/v1/rooms/${room}/messages/${m.message_id}`)
    expect(await bob.next('message.deleted')).toMatchObject({ rev: 7, content: '', change: { kind: 'deleted', user_id: 'alice' } })
    await t.as('alice')('DELETE', `/v1/rooms/${room}/messages/${m.message_id}`) // again: nothing
    await expectNone(bob, 'message.deleted')
    bob.close()
  })
})

describe('send_message with parent_id and mentions', () => {
  test('a reply over WebSocket is stored as over REST; the room gets the message and the parent change', async () => {
    const room = await roomWith(t, 'alice', ['bob'])
    const top = await restSend(t, 'alice', room, 'top')
    const alice = await ready(s.wsUrl, t.headers('alice'))
    const bob = await ready(s.wsUrl, t.headers('bob'))
    const sent = await bob.request({ type: 'send_message', room_id: room, content: '@alice yes', parent_id: top.message_id, mentions: ['alice'] }, 'message.sent')
    expect(sent).toMatchObject({ type: 'message.sent', room_id: room, seq: 2 })
    expect(await alice.next('message', 3000, (f) => f.room_id === room)).toMatchObject({ seq: 2, parent_id: top.message_id, mentions: ['alice'] })
    expect(await alice.next('message.updated')).toMatchObject({ message_id: top.message_id, reply_count: 1, change: { kind: 'reply', user_id: 'bob' } })
    expect((await t.as('alice')('GET', '/v1/rooms')).body.rooms.find((r: { room_id: string }) => r.room_id === room).unread_mentions).toBe(1)
    alice.close()
    bob.close()
  })

  test('a bad parent or mention is an error frame on that field; a deleted parent is CONFLICT; the socket stays up', async () => {
    const room = await roomWith(t, 'alice', ['bob'])
    const top = await restSend(t, 'alice', room, 'top')
    const reply = await restSend(t, 'alice', room, 'reply', { parent_id: top.message_id })
    const bob = await ready(s.wsUrl, t.headers('bob'))
    const send = (extra: Record<string, unknown>) => bob.request({ type: 'send_message', room_id: room, content: 'x', ...extra }, 'message.sent')
    expect(await send({ parent_id: reply.message_id })).toMatchObject({ type: 'error', code: 'VALIDATION_ERROR', field: 'parent_id' })
    expect(await send({ parent_id: 'msg_nope' })).toMatchObject({ type: 'error', code: 'VALIDATION_ERROR', field: 'parent_id' })
    expect(await send({ mentions: ['stranger'] })).toMatchObject({ type: 'error', code: 'VALIDATION_ERROR', field: 'mentions' })
    expect(await send({ mentions: 'alice' })).toMatchObject({ type: 'error', code: 'VALIDATION_ERROR', field: 'mentions' })
    await t.as('alice')('DELETE', `/v1/rooms/${room}/messages/${top.message_id}`)
    expect(await send({ parent_id: top.message_id })).toMatchObject({ type: 'error', code: 'CONFLICT' })
    await alive(bob)
    expect(await send({})).toMatchObject({ type: 'message.sent', seq: 3 })
    bob.close()
  })
})
