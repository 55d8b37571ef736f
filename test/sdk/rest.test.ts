// The SDK's REST client against the real server: every tenant endpoint, with an API key (server
// side) and with a user token (browser side), typed from the service's own schemas.

import { afterAll, beforeAll, expect, test } from 'bun:test'
import { ChatApiError, RestClient } from '../../sdk/src'
import type { Message, Room } from '../../sdk/src/types'
import { startTestServer, type TestServer, type TestTenant } from '../support/server'

let s: TestServer
let t: TestTenant
let alice: RestClient
let bob: RestClient

beforeAll(async () => {
  s = await startTestServer()
  t = await s.newTenant()
  alice = new RestClient({ baseUrl: s.url, apiKey: t.api_key, userId: 'alice' })
  const { token, expires_at } = await alice.createToken({ user_id: 'bob', ttl_s: 600 })
  expect(Date.parse(expires_at)).toBeGreaterThan(Date.now())
  bob = new RestClient({ baseUrl: () => Promise.resolve(s.url), token: () => token })
})
afterAll(() => s.stop())

test('rooms, channels and members', async () => {
  const group: Room = await alice.createRoom({ type: 'group', members: ['bob'], name: 'team', metadata: { topic: 'x' } })
  expect(group).toMatchObject({ type: 'group', name: 'team', member_count: 2, last_seq: 0 })
  expect(await bob.getRoom(group.room_id)).toEqual(group)
  expect((await alice.updateRoom(group.room_id, { name: 'team 2' })).name).toBe('team 2')
  const dm = await bob.createRoom({ type: 'dm', members: ['alice'] })
  expect(await alice.createRoom({ type: 'dm', members: ['bob'] })).toEqual(dm) // idempotent per pair
  const chan = await alice.createRoom({ type: 'channel', members: [], name: 'general' })
  expect((await bob.listChannels()).channels.map((c) => c.room_id)).toContain(chan.room_id)
  expect(await bob.joinRoom(chan.room_id)).toMatchObject({ user_id: 'bob', role: 'member' })
  const added = await alice.addMembers(group.room_id, { user_ids: ['carol'] })
  expect(added.members.map((m) => m.user_id)).toEqual(['carol'])
  expect((await alice.listMembers(group.room_id)).members.map((m) => m.user_id).sort()).toEqual(['alice', 'bob', 'carol'])
  await alice.removeMember(group.room_id, 'carol')
  expect((await bob.listMembers(group.room_id, { limit: 10 })).members.length).toBe(2)
  const rooms = await bob.listRooms({ limit: 10 })
  expect(rooms.rooms.map((r) => r.room_id).sort()).toEqual([group.room_id, dm.room_id, chan.room_id].sort())
  expect(rooms.next_cursor).toBeNull()
})

test('messages, acks, read markers and presence', async () => {
  const room = await alice.createRoom({ type: 'group', members: ['bob'] })
  const sent = await alice.sendMessage(room.room_id, { content: 'one', client_msg_id: 'cm-1' })
  expect(sent.seq).toBe(1)
  expect(await alice.sendMessage(room.room_id, { content: 'ignored', client_msg_id: 'cm-1' })).toEqual(sent) // safe retry
  await alice.sendMessage(room.room_id, { content: 'two', meta: { kind: 'note' } })
  const page = await bob.listMessages(room.room_id, { after_seq: 0, limit: 10 })
  expect(page.messages.map((m: Message) => m.content)).toEqual(['one', 'two'])
  expect(page.has_more).toBe(false)
  expect((await bob.listMessages(room.room_id, { before_seq: 2 })).messages.map((m) => m.seq)).toEqual([1])
  expect((await bob.getMessage(room.room_id, sent.message_id)).content).toBe('one')
  expect((await alice.editMessage(room.room_id, sent.message_id, { content: 'uno' })).edited_at).not.toBeNull()
  await alice.deleteMessage(room.room_id, sent.message_id)
  expect((await bob.getMessage(room.room_id, sent.message_id)).deleted_at).not.toBeNull()
  expect(await bob.ack(room.room_id, 1)).toEqual({ room_id: room.room_id, last_ack: 1 })
  expect(await bob.markRead(room.room_id, 2)).toEqual({ room_id: room.room_id, last_read: 2 })
  const p = await bob.presence(['alice', 'bob'])
  expect(p.presence.map((x) => [x.user_id, x.status])).toEqual([
    ['alice', 'offline'],
    ['bob', 'offline'],
  ])
})

test('search: a sent message is found within 2 s, with its snippet; bad input is a ChatApiError', async () => {
  const room = await alice.createRoom({ type: 'group', members: ['bob'] })
  const t0 = performance.now()
  await alice.sendMessage(room.room_id, { content: 'the <heron> waits' })
  let r = await bob.search({ q: 'heron', limit: 5 })
  while (!r.results.length && performance.now() - t0 < 2000) r = await bob.search({ q: 'heron', limit: 5 })
  expect(r.results.map((x) => [x.room_id, x.message.content, x.snippet])).toEqual([[room.room_id, 'the <heron> waits', 'the &lt;<mark>heron</mark>&gt; waits']])
  expect(r.next_cursor).toBeNull()
  const e = await bob.search({ q: '*' }).catch((x) => x)
  expect(e).toBeInstanceOf(ChatApiError)
  expect({ status: e.status, code: e.code, field: e.field }).toEqual({ status: 400, code: 'VALIDATION_ERROR', field: 'q' })
})

test('notifications and subscriptions; what a user token may not do', async () => {
  const sub = await bob.subscribe({ topic: 'news' })
  expect(sub).toMatchObject({ topic: 'news', endpoint: null })
  expect((await bob.listSubscriptions()).subscriptions.map((x) => x.subscription_id)).toEqual([sub.subscription_id])
  const n = await alice.notify({ topic: 'news', payload: { a: 1 }, targets: { topic_subscribers: true, user_ids: ['carol'] } })
  expect(n.recipients).toBe(2)
  await bob.unsubscribe(sub.subscription_id)
  expect((await bob.listSubscriptions()).subscriptions).toEqual([])
  for (const call of [() => bob.createToken({ user_id: 'x' }), () => bob.notify({ topic: 'news', payload: {}, targets: { user_ids: ['a'] } })]) {
    const e = await call().catch((e) => e)
    expect(e).toBeInstanceOf(ChatApiError)
    expect(e).toMatchObject({ code: 'FORBIDDEN', status: 403, source: 'rest' })
  }
})

test('errors carry code, status, field, request id and Retry-After', async () => {
  const e1 = await alice.listRooms({ limit: 500 }).catch((e) => e)
  expect(e1).toMatchObject({ code: 'VALIDATION_ERROR', status: 400, field: 'limit' })
  const wrong = new RestClient({ baseUrl: s.url, apiKey: 'sk_wrong', userId: 'alice' })
  const e2 = await wrong.listRooms().catch((e) => e)
  expect(e2).toMatchObject({ code: 'AUTHENTICATION_ERROR', status: 401 })
  expect(e2.requestId).toMatch(/^req_/)
  const slow = await s.newTenant({ rate_limit_per_sec: 1 })
  const limited = new RestClient({ baseUrl: s.url, apiKey: slow.api_key, userId: 'u' })
  let e3: ChatApiError | undefined
  for (let i = 0; i < 5 && !e3; i++) e3 = await limited.listRooms().then(() => undefined, (e) => e)
  expect(e3).toMatchObject({ code: 'RATE_LIMIT_EXCEEDED', status: 429 })
  expect(e3!.retryAfterS).toBeGreaterThanOrEqual(1)
  const down = new RestClient({ baseUrl: 'http://127.0.0.1:1', apiKey: 'sk_x', userId: 'u' })
  expect(await down.listRooms().catch((e) => e)).toMatchObject({ name: 'ChatClientError', code: 'NETWORK_ERROR' })
})
