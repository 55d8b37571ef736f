// Moderation over WebSocket (SPEC §14): a tenant ban closes the user's sockets with 1008 (and only
// theirs); a room ban sends member.left and the room stops reaching the banned user; a mute, a
// read-only room, a blocked dm and the blocklist answer send_message with an error frame.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { startTestServer, type TestServer } from '../support/server'
import { alive, expectNone, NO_REDELIVERY, ready, restSend, roomWith } from './helpers'

let s: TestServer
beforeAll(async () => {
  s = await startTestServer(NO_REDELIVERY)
})
afterAll(() => s.stop())

describe('tenant bans', () => {
  test("every socket of the banned user closes with 1008 'user banned', key and token alike; other users stay connected", async () => {
    const t = await s.newTenant()
    const token = (await t.as('x')('POST', '/v1/tokens', { body: { user_id: 'bob' } })).body.token
    const bobKey = await ready(s.wsUrl, t.headers('bob'))
    const bobToken = await ready(`${s.wsUrl}?token=${token}`, {})
    const alice = await ready(s.wsUrl, t.headers('alice'))
    const r = await s.call('POST', '/v1/moderation/bans', { headers: { 'x-api-key': t.api_key }, body: { user_id: 'bob' } })
    expect(r.status).toBe(201)
    expect(await bobKey.closed()).toEqual({ code: 1008, reason: 'user banned' })
    expect(await bobToken.closed()).toEqual({ code: 1008, reason: 'user banned' })
    await alive(alice)
    // Bob of another tenant is someone else.
    const other = await s.newTenant()
    const otherBob = await ready(s.wsUrl, other.headers('bob'))
    expect((await s.call('POST', '/v1/moderation/bans', { headers: { 'x-api-key': t.api_key }, body: { user_id: 'bob', reason: 'again' } })).status).toBe(201)
    await alive(otherBob)
    alice.close()
    otherBob.close()
  })
})

describe('room bans', () => {
  test('the room gets member.left for the banned user, who gets it too and then no more of the room', async () => {
    const t = await s.newTenant()
    const room = await roomWith(t, 'alice', ['bob', 'carol'], 'channel')
    const alice = await ready(s.wsUrl, t.headers('alice'))
    const bob = await ready(s.wsUrl, t.headers('bob'))
    expect((await t.as('alice')('POST', `/v1/rooms/${room}/bans`, { body: { user_id: 'bob' } })).status).toBe(201)
    expect(await alice.next('member.left', 3000, (f) => f.user_id === 'bob')).toEqual({ type: 'member.left', room_id: room, user_id: 'bob', role: 'member' })
    expect(await bob.next('member.left', 3000, (f) => f.user_id === 'bob')).toMatchObject({ room_id: room })
    const m = await restSend(t, 'carol', room, 'after the ban')
    expect((await alice.next('message')).message_id).toBe(m.message_id)
    await expectNone(bob, 'message')
    // A banned user's send_message into the room is refused like any non-member's.
    const refused = await bob.request({ type: 'send_message', room_id: room, content: 'let me in' }, 'message.sent')
    expect(refused).toMatchObject({ type: 'error', code: 'FORBIDDEN' })
    alice.close()
    bob.close()
  })
})

describe('send_message refusals are error frames, the socket stays up', () => {
  test('a muted member, a plain member of a read-only room, a blocked dm: FORBIDDEN', async () => {
    const t = await s.newTenant()
    const group = await roomWith(t, 'alice', ['bob'])
    const dm = await roomWith(t, 'bob', ['carol'], 'dm')
    const bob = await ready(s.wsUrl, t.headers('bob'))
    expect((await t.as('alice')('POST', `/v1/rooms/${group}/mutes`, { body: { user_id: 'bob' } })).status).toBe(201)
    const muted = await bob.request({ type: 'send_message', room_id: group, content: 'x' }, 'message.sent')
    expect(muted).toMatchObject({ type: 'error', code: 'FORBIDDEN', message: expect.stringContaining('muted') })
    expect((await t.as('alice')('DELETE', `/v1/rooms/${group}/mutes/bob`)).status).toBe(204)
    expect((await t.as('alice')('PATCH', `/v1/rooms/${group}`, { body: { read_only: true } })).status).toBe(200)
    const readOnly = await bob.request({ type: 'send_message', room_id: group, content: 'x' }, 'message.sent')
    expect(readOnly).toMatchObject({ type: 'error', code: 'FORBIDDEN', message: expect.stringContaining('read-only') })
    expect((await t.as('carol')('PUT', '/v1/blocks/bob')).status).toBe(200)
    const blocked = await bob.request({ type: 'send_message', room_id: dm, content: 'x' }, 'message.sent')
    expect(blocked).toMatchObject({ type: 'error', code: 'FORBIDDEN' })
    expect((await t.as('carol')('DELETE', '/v1/blocks/bob')).status).toBe(204)
    expect((await bob.request({ type: 'send_message', room_id: dm, content: 'friends again' }, 'message.sent')).type).toBe('message.sent')
    bob.close()
  })

  test('the blocklist: CONTENT_REJECTED with the request_id; a masked message reaches the room masked', async () => {
    const t = await s.newTenant({ blocklist: { terms: ['darn'], action: 'reject' } })
    const group = await roomWith(t, 'alice', ['bob'])
    const alice = await ready(s.wsUrl, t.headers('alice'))
    const bob = await ready(s.wsUrl, t.headers('bob'))
    const refused = await alice.request({ type: 'send_message', room_id: group, content: 'ＤＡＲＮ it' }, 'message.sent')
    expect(refused).toMatchObject({ type: 'error', code: 'CONTENT_REJECTED', request_id: expect.any(String) })
    await alive(alice)
    await s.admin('PATCH', `/v1/admin/tenants/${t.tenant_id}`, { body: { config: { blocklist: { terms: ['darn'], action: 'mask' } } } })
    alice.close()
    // A new connection reads the changed config (an open one is refreshed shortly after the change).
    const again = await ready(s.wsUrl, t.headers('alice'))
    expect((await again.request({ type: 'send_message', room_id: group, content: 'oh darn' }, 'message.sent')).type).toBe('message.sent')
    expect((await bob.next('message')).content).toBe('oh ****')
    again.close()
    bob.close()
  })
})
