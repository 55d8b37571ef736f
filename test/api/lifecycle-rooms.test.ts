// DELETE /v1/rooms/{room_id} (SPEC §15): the owner of a group or channel deletes it; it is gone for
// everyone at once (404), members get `room.deleted`, the webhook fires, and a background job
// removes its rows. Runs on SQLite and, in the PG+Redis pass, on PostgreSQL with Redis.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { startTestServer, type TestServer, type TestTenant } from '../support/server'
import { ready, roomWith, restSend, expectNone } from '../ws/helpers'
import { Receiver, until } from '../delivery/helpers'
import { expectError } from './helpers'

let s: TestServer
let rx: Receiver
beforeAll(async () => {
  s = await startTestServer({ ALLOW_HTTP_WEBHOOKS: '1', ACK_TIMEOUT_MS: '600000' })
  rx = new Receiver()
})
afterAll(async () => {
  rx.stop()
  await s.stop()
})

const del = (t: TestTenant, user: string, room: string) => t.as(user)('DELETE', `/v1/rooms/${room}`)

describe('DELETE /v1/rooms/{room_id}', () => {
  test('the owner deletes a group: 204, members get room.deleted, then 404 for everyone at once, webhook room.deleted', async () => {
    const t = await s.newTenant({ webhook_url: rx.url('/room-deleted'), webhook_events: ['room.deleted'] })
    const room = await roomWith(t, 'alice', ['bob', 'carol'])
    const keep = await roomWith(t, 'alice', ['bob'])
    await restSend(t, 'bob', room, 'hello')
    const bob = await ready(s.wsUrl, t.headers('bob'))
    const r = await del(t, 'alice', room)
    expect(r.status).toBe(204)
    expect(r.body).toBeNull()
    expect(await bob.next('room.deleted')).toEqual({ type: 'room.deleted', room_id: room })
    for (const u of ['alice', 'bob', 'carol']) {
      expectError(await t.as(u)('GET', `/v1/rooms/${room}`), 404, 'NOT_FOUND')
      expectError(await t.as(u)('GET', `/v1/rooms/${room}/messages`), 404, 'NOT_FOUND')
      expectError(await t.as(u)('GET', `/v1/rooms/${room}/members`), 404, 'NOT_FOUND')
      expectError(await t.as(u)('POST', `/v1/rooms/${room}/messages`, { body: { content: 'late' } }), 404, 'NOT_FOUND')
      expect((await t.as(u)('GET', '/v1/rooms')).body.rooms.map((x: { room_id: string }) => x.room_id)).not.toContain(room)
    }
    // over the socket too (the membership cache of the send path knows it is gone)
    const sent = await bob.request({ type: 'send_message', room_id: room, content: 'late' }, 'message.sent')
    expect(sent).toMatchObject({ type: 'error', code: 'NOT_FOUND' })
    expect((await t.as('bob')('GET', `/v1/rooms/${keep}`)).status).toBe(200)
    expectError(await del(t, 'alice', room), 404, 'NOT_FOUND') // deleting again: it is gone

    const [hit] = await rx.waitFor(1, (h) => h.path === '/room-deleted' && h.json?.type === 'room.deleted')
    expect(hit.json.tenant_id).toBe(t.tenant_id)
    expect(hit.json.data).toMatchObject({ room_id: room, type: 'group', member_count: 3, last_seq: 1 })
    const audit = (await s.call('GET', '/v1/moderation/audit', { headers: { 'x-api-key': t.api_key } })).body.entries
    expect(audit.filter((e: { action: string }) => e.action === 'room.delete')).toEqual([
      expect.objectContaining({ actor: 'alice', action: 'room.delete', target: room, data: { job_id: expect.stringMatching(/^job_/) } }),
    ])

    // the rows go in the background; nothing of them is left once the job is done
    await until('room rows removed', async () => ((await s.handle.store.members.get(room, 'carol')) === null ? true : undefined))
    expect(await s.handle.store.messages.after(room, 0, 10)).toEqual([])
    for (const u of ['alice', 'bob', 'carol']) expect(await s.handle.store.members.get(room, u)).toBeNull()
    expect((await s.handle.store.messages.after(keep, 0, 10)).length).toBe(0) // untouched (it had none)
    expect(await s.handle.store.members.get(keep, 'bob')).not.toBeNull()
    bob.close()
  })

  test('a channel: its members get room.deleted and nothing more of it; joining it is 404', async () => {
    const t = await s.newTenant()
    const ch = await roomWith(t, 'alice', ['bob'], 'channel')
    const bob = await ready(s.wsUrl, t.headers('bob'))
    expect((await del(t, 'alice', ch)).status).toBe(204)
    await bob.next('room.deleted', 3000, (f) => f.room_id === ch)
    expectError(await t.as('dave')('POST', `/v1/rooms/${ch}/join`), 404, 'NOT_FOUND')
    expect((await t.as('dave')('GET', '/v1/channels')).body.channels).toEqual([])
    await expectNone(bob, 'message', 200, (f) => f.room_id === ch)
    bob.close()
  })

  test('its bans, mutes and reports go with the job; another room\'s stay', async () => {
    const t = await s.newTenant()
    const app = (method: string, path: string) => s.call(method, path, { headers: { 'x-api-key': t.api_key } })
    const room = await roomWith(t, 'alice', ['bob', 'carol'])
    const keep = await roomWith(t, 'alice', ['bob', 'carol'])
    for (const r of [room, keep]) {
      expect((await t.as('alice')('POST', `/v1/rooms/${r}/bans`, { body: { user_id: 'carol' } })).status).toBe(201)
      expect((await t.as('alice')('POST', `/v1/rooms/${r}/mutes`, { body: { user_id: 'bob' } })).status).toBe(201)
      expect((await t.as('bob')('POST', '/v1/reports', { body: { room_id: r, user_id: 'alice', reason: 'other' } })).status).toBe(201)
    }
    expect((await app('GET', '/v1/moderation/reports')).body.reports).toHaveLength(2)
    expect((await del(t, 'alice', room)).status).toBe(204)
    await until('room rows removed', async () => ((await s.handle.store.members.get(room, 'alice')) === null && (await s.handle.store.members.get(room, 'bob')) === null ? true : undefined))
    const now = new Date().toISOString()
    expect((await s.handle.store.moderation.roomBans(room, now, 10)).rows).toEqual([])
    expect((await s.handle.store.moderation.roomMutes(room, now, 10)).rows).toEqual([])
    expect((await s.handle.store.moderation.roomBans(keep, now, 10)).rows.map((b) => b.user_id)).toEqual(['carol'])
    expect((await s.handle.store.moderation.roomMutes(keep, now, 10)).rows.map((m) => m.user_id)).toEqual(['bob'])
    expect((await app('GET', '/v1/moderation/reports')).body.reports.map((x: { room_id: string }) => x.room_id)).toEqual([keep])
  })

  test('who may delete: a dm is 403, a member or admin 403, a non-member of a group 404, of a channel 403, another tenant 404', async () => {
    const t = await s.newTenant()
    const other = await s.newTenant()
    const dm = (await t.as('alice')('POST', '/v1/rooms', { body: { type: 'dm', members: ['bob'] } })).body.room_id
    const group = await roomWith(t, 'alice', ['bob'])
    expect((await t.as('alice')('POST', `/v1/rooms/${group}/members`, { body: { user_ids: ['carol'], role: 'admin' } })).status).toBe(200)
    const ch = await roomWith(t, 'alice', [], 'channel')
    expectError(await del(t, 'alice', dm), 403, 'FORBIDDEN')
    expectError(await del(t, 'bob', dm), 403, 'FORBIDDEN')
    expectError(await del(t, 'bob', group), 403, 'FORBIDDEN')
    expectError(await del(t, 'carol', group), 403, 'FORBIDDEN')
    expectError(await del(t, 'eve', group), 404, 'NOT_FOUND')
    expectError(await del(t, 'eve', ch), 403, 'FORBIDDEN')
    expectError(await del(other, 'alice', group), 404, 'NOT_FOUND')
    expectError(await del(t, 'alice', 'room_nope'), 404, 'NOT_FOUND')
    expectError(await s.call('DELETE', `/v1/rooms/${group}`), 401, 'AUTHENTICATION_ERROR')
    for (const id of [dm, group, ch]) expect((await t.as('alice')('GET', `/v1/rooms/${id}`)).status).toBe(200) // all still there
  })
})

describe('search and a deleted room', () => {
  test('its messages are not found from the moment it is deleted, while its rows are still being removed', async () => {
    // A slow purge (one row a second) keeps the rows in place for the whole test.
    const slow = await startTestServer({ ACK_TIMEOUT_MS: '600000' }, { lifecycle: { batch: 1, rowsPerSec: 1 } })
    try {
      const t = await slow.newTenant()
      const room = await roomWith(t, 'alice', ['bob'])
      const keep = await roomWith(t, 'alice', ['bob'])
      for (let i = 0; i < 10; i++) await restSend(t, 'alice', room, `zebra ${i}`)
      await restSend(t, 'alice', keep, 'zebra kept')
      const found = async () => (await t.as('bob')('GET', '/v1/search?q=zebra&limit=50')).body.results.map((x: { room_id: string }) => x.room_id)
      await until('all indexed', async () => ((await found()).length === 11 ? true : undefined), 5000, 20)
      expect((await del(t, 'alice', room)).status).toBe(204)
      expect(await found()).toEqual([keep])
      expectError(await t.as('bob')('GET', `/v1/search?q=zebra&room_id=${room}`), 404, 'NOT_FOUND')
      expect((await slow.handle.store.messages.after(room, 0, 10)).length).toBeGreaterThan(5) // still stored: the scope, not the purge, hid it
    } finally {
      await slow.stop()
    }
  })
})
