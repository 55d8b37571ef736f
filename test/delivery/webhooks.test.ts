// Tenant webhooks (SPEC §6, §10): Standard Webhooks signatures, offline_user_ids, event `data`
// shapes, and the webhook_events filter — against a local receiver on port 0.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { startTestServer, type TestServer, type TestTenant } from '../support/server'
import { onSqlite } from '../support/storage'
import { ready, expectNone } from '../ws/helpers'
import { ISO_MS } from '../api/helpers'
import { expectSigned, Receiver, until } from './helpers'

const ALL_EVENTS = [
  'message.created', 'message.updated', 'message.deleted', 'reaction.added', 'reaction.removed', 'message.pinned', 'message.unpinned',
  'room.created', 'member.added', 'member.removed', 'notification.created',
]
const MESSAGE_KEYS = [
  'attachments', 'client_msg_id', 'content', 'created_at', 'deleted_at', 'edited_at', 'last_reply_at', 'mentions', 'message_id', 'meta',
  'parent_id', 'pinned_at', 'pinned_by', 'reactions', 'reply_count', 'rev', 'room_id', 'sender_id', 'seq',
]
const ROOM_KEYS = ['created_at', 'first_seq', 'last_rev', 'last_seq', 'member_count', 'metadata', 'name', 'read_only', 'room_id', 'type', 'unique_key']

let s: TestServer
let rx: Receiver
beforeAll(async () => {
  s = await startTestServer({ ALLOW_HTTP_WEBHOOKS: '1' })
  rx = new Receiver()
})
afterAll(async () => {
  rx.stop()
  await s.stop()
})

/** A tenant whose webhooks go to their own path on the receiver (so tests never see each other's hits). */
async function hookedTenant(path: string, events: string[] = ALL_EVENTS): Promise<TestTenant> {
  return s.newTenant({ webhook_url: rx.url(path), webhook_events: events })
}
const on = (path: string, type: string) => (h: { path: string; json: any }) => h.path === path && h.json?.type === type

describe('message.created', () => {
  test('is signed with the tenant secret and lists only the members without a live connection', async () => {
    const t = await hookedTenant('/created')
    const room = (await t.as('alice')('POST', '/v1/rooms', { body: { type: 'group', members: ['bob', 'carol'] } })).body.room_id
    const bob = await ready(s.wsUrl, t.headers('bob')) // connected: not offline
    const sent = await t.as('alice')('POST', `/v1/rooms/${room}/messages`, { body: { content: 'hello', meta: { k: 1 }, client_msg_id: 'c-1' } })
    expect(sent.status).toBe(201)
    await bob.next('message')

    const [hit] = await rx.waitFor(1, on('/created', 'message.created'))
    expectSigned(hit, t.webhook_secret)
    expect(hit.headers.get('content-type')).toStartWith('application/json')
    expect(hit.headers.get('webhook-id')).not.toBe(sent.body.message_id)

    const evt = hit.json
    expect(Object.keys(evt).sort()).toEqual(['data', 'tenant_id', 'timestamp', 'type'])
    expect(evt.tenant_id).toBe(t.tenant_id)
    expect(evt.timestamp).toMatch(ISO_MS)
    expect(Object.keys(evt.data).sort()).toEqual([...MESSAGE_KEYS, 'offline_user_ids'].sort())
    expect(evt.data).toMatchObject({
      message_id: sent.body.message_id,
      room_id: room,
      seq: 1,
      sender_id: 'alice',
      content: 'hello',
      meta: { k: 1 },
      client_msg_id: 'c-1',
      edited_at: null,
      deleted_at: null,
    })
    expect(evt.data.offline_user_ids.sort()).toEqual(['alice', 'carol'])
    bob.close()
  })

  test('a signature made with another secret, or over another body, does not verify', async () => {
    const t = await hookedTenant('/tamper')
    const other = await s.newTenant()
    const room = (await t.as('alice')('POST', '/v1/rooms', { body: { type: 'group', members: ['bob'] } })).body.room_id
    await t.as('alice')('POST', `/v1/rooms/${room}/messages`, { body: { content: 'x' } })
    const [hit] = await rx.waitFor(1, on('/tamper', 'message.created'))
    expectSigned(hit, t.webhook_secret)
    expect(() => expectSigned(hit, other.webhook_secret)).toThrow()
    expect(() => expectSigned({ ...hit, body: hit.body.replace('"x"', '"y"') }, t.webhook_secret)).toThrow()
  })
})

describe('event data shapes (SPEC §10)', () => {
  test('room.created, member.added/removed (join and leave too), message.updated and message.deleted', async () => {
    const path = '/shapes'
    const t = await hookedTenant(path)
    const alice = t.as('alice')
    const created = await alice('POST', '/v1/rooms', { body: { type: 'group', members: ['bob'], name: 'team', metadata: { a: 1 } } })
    expect(created.status).toBe(201)
    const room = created.body.room_id

    const [rc] = await rx.waitFor(1, on(path, 'room.created'))
    expectSigned(rc, t.webhook_secret)
    expect(Object.keys(rc.json.data).sort()).toEqual(ROOM_KEYS)
    expect(rc.json.data).toEqual(created.body)

    expect((await alice('POST', `/v1/rooms/${room}/members`, { body: { user_ids: ['carol'], role: 'admin' } })).status).toBe(200)
    const [added] = await rx.waitFor(1, on(path, 'member.added'))
    expect(added.json.data).toEqual({ room_id: room, user_id: 'carol', role: 'admin' })

    expect((await alice('DELETE', `/v1/rooms/${room}/members/carol`)).status).toBe(204)
    const [removed] = await rx.waitFor(1, on(path, 'member.removed'))
    expect(removed.json.data).toEqual({ room_id: room, user_id: 'carol', role: 'admin' })

    // Joining and leaving a channel count as added and removed.
    const channel = (await alice('POST', '/v1/rooms', { body: { type: 'channel', members: [], name: 'news' } })).body.room_id
    expect((await t.as('dave')('POST', `/v1/rooms/${channel}/join`)).status).toBe(200)
    expect((await t.as('dave')('DELETE', `/v1/rooms/${channel}/members/dave`)).status).toBe(204)
    const joinLeave = (type: string) => (h: { path: string; json: any }) => on(path, type)(h) && h.json.data.room_id === channel
    expect((await rx.waitFor(1, joinLeave('member.added')))[0].json.data).toEqual({ room_id: channel, user_id: 'dave', role: 'member' })
    expect((await rx.waitFor(1, joinLeave('member.removed')))[0].json.data).toEqual({ room_id: channel, user_id: 'dave', role: 'member' })

    const sent = (await alice('POST', `/v1/rooms/${room}/messages`, { body: { content: 'v1' } })).body
    const edited = await alice('PATCH', `/v1/rooms/${room}/messages/${sent.message_id}`, { body: { content: 'v2', meta: { e: true } } })
    expect(edited.status).toBe(200)
    const [upd] = await rx.waitFor(1, on(path, 'message.updated'))
    expectSigned(upd, t.webhook_secret)
    expect(Object.keys(upd.json.data).sort()).toEqual([...MESSAGE_KEYS, 'change'].sort()) // no offline_user_ids, no frame `type`
    expect(upd.json.data).toEqual({ ...edited.body, change: { kind: 'edited', user_id: 'alice' } })
    expect(upd.json.data.edited_at).toMatch(ISO_MS)

    expect((await alice('DELETE', `/v1/rooms/${room}/messages/${sent.message_id}`)).status).toBe(204)
    const [del] = await rx.waitFor(1, on(path, 'message.deleted'))
    expect(Object.keys(del.json.data).sort()).toEqual([...MESSAGE_KEYS, 'change'].sort())
    expect(del.json.data).toMatchObject({ message_id: sent.message_id, seq: sent.seq, content: '', meta: null, change: { kind: 'deleted', user_id: 'alice' } })
    expect(del.json.data.deleted_at).toMatch(ISO_MS)

    // Every event has its own webhook-id.
    const ids = rx.matching((h) => h.path === path).map((h) => h.headers.get('webhook-id'))
    expect(new Set(ids).size).toBe(ids.length)
  })

  test('SPEC §11.7: reaction.added/removed carry {room_id, message_id, seq, rev, user_id, key}; message.pinned/unpinned the message; a reply is the parent\'s message.updated; one webhook per change', async () => {
    const path = '/rich'
    const t = await hookedTenant(path)
    const alice = t.as('alice')
    const room = (await alice('POST', '/v1/rooms', { body: { type: 'group', members: ['bob'] } })).body.room_id
    const sent = (await alice('POST', `/v1/rooms/${room}/messages`, { body: { content: 'react to me' } })).body
    const msg = `/v1/rooms/${room}/messages/${sent.message_id}`
    expect((await t.as('bob')('PUT', `${msg}/reactions/${encodeURIComponent('👍')}`)).status).toBe(200) // rev 1
    expect((await t.as('bob')('DELETE', `${msg}/reactions/${encodeURIComponent('👍')}`)).status).toBe(200) // rev 2
    const pinned = await alice('PUT', `/v1/rooms/${room}/pins/${sent.message_id}`) // rev 3
    const unpinned = await alice('DELETE', `/v1/rooms/${room}/pins/${sent.message_id}`) // rev 4
    expect([pinned.status, unpinned.status]).toEqual([200, 200])
    const reply = (await t.as('bob')('POST', `/v1/rooms/${room}/messages`, { body: { content: 'r', parent_id: sent.message_id } })).body // parent rev 5

    const [added] = await rx.waitFor(1, on(path, 'reaction.added'))
    expectSigned(added, t.webhook_secret)
    expect(added.json.data).toEqual({ room_id: room, message_id: sent.message_id, seq: sent.seq, rev: 1, user_id: 'bob', key: '👍' })
    const [removed] = await rx.waitFor(1, on(path, 'reaction.removed'))
    expect(removed.json.data).toEqual({ room_id: room, message_id: sent.message_id, seq: sent.seq, rev: 2, user_id: 'bob', key: '👍' })
    const [pin] = await rx.waitFor(1, on(path, 'message.pinned'))
    expect(Object.keys(pin.json.data).sort()).toEqual(MESSAGE_KEYS)
    expect(pin.json.data).toEqual(pinned.body)
    const [unpin] = await rx.waitFor(1, on(path, 'message.unpinned'))
    expect(unpin.json.data).toEqual(unpinned.body)
    expect(unpin.json.data).toMatchObject({ rev: 4, pinned_at: null, pinned_by: null })
    const isReply = (h: { path: string; json: any }) => on(path, 'message.updated')(h) && h.json.data.change?.kind === 'reply'
    const [parent] = await rx.waitFor(1, isReply)
    expect(parent.json.data).toMatchObject({ message_id: sent.message_id, rev: 5, reply_count: 1, change: { kind: 'reply', user_id: 'bob' } })
    const [created] = await rx.waitFor(1, (h) => on(path, 'message.created')(h) && h.json.data.message_id === reply.message_id)
    expect(created.json.data).toMatchObject({ parent_id: sent.message_id, rev: 0, mentions: [], attachments: [] })
    // the reaction and pin changes did not also go out as message.updated
    expect(rx.matching((h) => on(path, 'message.updated')(h)).map((h) => h.json.data.change.kind)).toEqual(['reply'])
  })

  test('notification.created carries the notification', async () => {
    const t = await hookedTenant('/ntf', ['notification.created'])
    const r = await t.as('app')('POST', '/v1/notify', { body: { topic: 'orders', payload: { n: 1 }, targets: { user_ids: ['bob'] } } })
    expect(r.status).toBe(202)
    const [hit] = await rx.waitFor(1, on('/ntf', 'notification.created'))
    expect(hit.json.data).toEqual({ notification_id: r.body.notification_id, topic: 'orders', payload: { n: 1 }, created_at: r.body.created_at })
  })
})

describe('webhook_events filter', () => {
  test('only the listed events are sent', async () => {
    const path = '/filtered'
    const t = await hookedTenant(path, ['message.deleted'])
    const alice = t.as('alice')
    const room = (await alice('POST', '/v1/rooms', { body: { type: 'group', members: ['bob'] } })).body.room_id
    await alice('POST', `/v1/rooms/${room}/members`, { body: { user_ids: ['carol'] } })
    await alice('DELETE', `/v1/rooms/${room}/members/carol`)
    const m = (await alice('POST', `/v1/rooms/${room}/messages`, { body: { content: 'a' } })).body
    await alice('PATCH', `/v1/rooms/${room}/messages/${m.message_id}`, { body: { content: 'b' } })
    await alice('DELETE', `/v1/rooms/${room}/messages/${m.message_id}`)
    await alice('POST', '/v1/notify', { body: { topic: 't', payload: {}, targets: { user_ids: ['bob'] } } })

    await rx.waitFor(1, on(path, 'message.deleted'))
    await Bun.sleep(300) // bounded: nothing else may follow
    expect(rx.matching((h) => h.path === path).map((h) => h.json.type)).toEqual(['message.deleted'])
  })

  test('a tenant without webhook_url, or with an empty webhook_events, gets no calls', async () => {
    const none = await s.newTenant({ webhook_events: ALL_EVENTS })
    const empty = await hookedTenant('/empty', [])
    for (const t of [none, empty]) {
      const room = (await t.as('alice')('POST', '/v1/rooms', { body: { type: 'group', members: ['bob'] } })).body.room_id
      await t.as('alice')('POST', `/v1/rooms/${room}/messages`, { body: { content: 'quiet' } })
    }
    await Bun.sleep(300) // bounded: proving absence
    expect(rx.matching((h) => h.path === '/empty' || h.json?.tenant_id === none.tenant_id)).toEqual([])
  })

  test('changing webhook_events applies at once', async () => {
    const path = '/changed'
    const t = await hookedTenant(path, ['room.created'])
    const patched = await s.admin('PATCH', `/v1/admin/tenants/${t.tenant_id}`, { body: { config: { webhook_events: ['message.created'] } } })
    expect(patched.status).toBe(200)
    const room = (await t.as('alice')('POST', '/v1/rooms', { body: { type: 'group', members: ['bob'] } })).body.room_id
    await t.as('alice')('POST', `/v1/rooms/${room}/messages`, { body: { content: 'now' } })
    await rx.waitFor(1, on(path, 'message.created'))
    expect(rx.matching((h) => h.path === path).map((h) => h.json.type)).toEqual(['message.created'])
  })
})

test('the receiver sees the sender of a WS send as connected (not offline)', async () => {
  const t = await hookedTenant('/ws-sender', ['message.created'])
  const room = (await t.as('alice')('POST', '/v1/rooms', { body: { type: 'dm', members: ['bob'] } })).body.room_id
  const alice = await ready(s.wsUrl, t.headers('alice'))
  const sent = await alice.request({ type: 'send_message', room_id: room, content: 'via ws' }, 'message.sent')
  expect(sent.type).toBe('message.sent')
  const [hit] = await rx.waitFor(1, on('/ws-sender', 'message.created'))
  expect(hit.json.data.offline_user_ids).toEqual(['bob'])
  await expectNone(alice, 'error', 50)
  alice.close()
})

// Per-endpoint fairness is exact on SQLite (the outbox query leaves busy endpoints out); on
// PostgreSQL the worker's leased read-ahead makes it best effort (docs/scaling.md).
test.skipIf(!onSqlite)("a slow endpoint does not hold up another tenant's webhooks", async () => {
  let slowMs = 1500
  rx.delay = (path) => (path === '/slow' ? slowMs : 0)
  try {
    const slow = await hookedTenant('/slow', ['message.created'])
    const fast = await hookedTenant('/fast', ['message.created'])
    const slowRoom = (await slow.as('alice')('POST', '/v1/rooms', { body: { type: 'group', members: ['bob'] } })).body.room_id
    const fastRoom = (await fast.as('alice')('POST', '/v1/rooms', { body: { type: 'group', members: ['bob'] } })).body.room_id
    await Promise.all(Array.from({ length: 40 }, (_, i) => slow.as('alice')('POST', `/v1/rooms/${slowRoom}/messages`, { body: { content: `s${i}` } })))
    await until('the slow endpoint to be called', () => (rx.arrived.includes('/slow') ? true : undefined))
    const sentAt = Date.now()
    await fast.as('alice')('POST', `/v1/rooms/${fastRoom}/messages`, { body: { content: 'quick' } })
    const [hit] = await rx.waitFor(1, on('/fast', 'message.created'), 5000)
    expect(hit.json.data.content).toBe('quick')
    expect(hit.at - sentAt).toBeLessThan(slowMs) // not queued behind the slow endpoint's backlog
  } finally {
    slowMs = 0 // let the backlog drain quickly
  }
}, 15_000)
