// Live chat over WebSocket: messages, fan-out, REST-originated events, membership, acks, reads (SPEC §5).

import { afterAll, beforeAll, expect, test } from 'bun:test'
import { startTestServer, type TestServer } from '../support/server'
import { WsClient } from '../support/ws'
import { alive, expectNone, NO_REDELIVERY, ready, restSend, roomWith } from './helpers'

let s: TestServer
beforeAll(async () => (s = await startTestServer(NO_REDELIVERY)))
afterAll(() => s.stop())

test('two users chat live; the sender gets message.sent and its own echo', async () => {
  const t = await s.newTenant()
  const room = await roomWith(t, 'alice', ['bob'])
  const alice = await ready(s.wsUrl, t.headers('alice'))
  const bob = await ready(s.wsUrl, t.headers('bob'))
  const sent = await alice.request({ type: 'send_message', room_id: room, content: 'hi bob', meta: { k: 1 } }, 'message.sent')
  expect(sent).toMatchObject({ room_id: room, seq: 1 })
  expect(sent.message_id).toMatch(/^msg_/)
  expect(typeof sent.created_at).toBe('string')
  const got = await bob.next('message')
  expect(got).toMatchObject({ room_id: room, seq: 1, content: 'hi bob', meta: { k: 1 }, sender_id: 'alice', message_id: sent.message_id })
  expect(got).toMatchObject({ edited_at: null, deleted_at: null, client_msg_id: null, created_at: sent.created_at })
  expect((await alice.next('message')).message_id).toBe(sent.message_id)

  const reply = await bob.request({ type: 'send_message', room_id: room, content: 'hi alice' }, 'message.sent')
  expect(reply.seq).toBe(2)
  expect(await alice.next('message')).toMatchObject({ seq: 2, content: 'hi alice', sender_id: 'bob' })
  alice.close()
  bob.close()
})

test("multi-device fan-out reaches every device, the sender's other device included", async () => {
  const t = await s.newTenant()
  const room = await roomWith(t, 'alice', ['bob'])
  const phone = await ready(s.wsUrl, t.headers('alice'))
  const laptop = await ready(s.wsUrl, t.headers('alice'))
  const bob1 = await ready(s.wsUrl, t.headers('bob'))
  const bob2 = await ready(s.wsUrl, t.headers('bob'))
  const sent = await phone.request({ type: 'send_message', room_id: room, content: 'from phone' }, 'message.sent')
  for (const c of [phone, laptop, bob1, bob2]) expect((await c.next('message')).message_id).toBe(sent.message_id)
  // exactly once per device
  await expectNone(laptop, 'message', 150)
  for (const c of [phone, laptop, bob1, bob2]) expect(c.log.filter((f) => f.type === 'message').length).toBe(1)
  for (const c of [phone, laptop, bob1, bob2]) c.close()
})

test('REST sends, edits and deletes arrive live as message / message.updated / message.deleted', async () => {
  const t = await s.newTenant()
  const room = await roomWith(t, 'alice', ['bob'])
  const bob = await ready(s.wsUrl, t.headers('bob'))
  const ack = await restSend(t, 'alice', room, 'over rest')
  expect(await bob.next('message')).toMatchObject({ message_id: ack.message_id, seq: 1, content: 'over rest' })

  const edit = await t.as('alice')('PATCH', `/v1/rooms/${room}/messages/${ack.message_id}`, { body: { content: 'edited', meta: { e: true } } })
  expect(edit.status).toBe(200)
  const upd = await bob.next('message.updated')
  expect(upd).toMatchObject({ message_id: ack.message_id, room_id: room, seq: 1, content: 'edited', meta: { e: true }, sender_id: 'alice' })
  expect(upd.edited_at).toBe(edit.body.edited_at)
  expect(upd.edited_at).not.toBeNull()

  const del = await t.as('alice')('DELETE', `/v1/rooms/${room}/messages/${ack.message_id}`)
  expect(del.status).toBe(204)
  const gone = await bob.next('message.deleted')
  expect(gone).toMatchObject({ message_id: ack.message_id, seq: 1, content: '', meta: null })
  expect(gone.deleted_at).not.toBeNull()
  // deleting again is a 204 no-op and publishes nothing
  expect((await t.as('alice')('DELETE', `/v1/rooms/${room}/messages/${ack.message_id}`)).status).toBe(204)
  await expectNone(bob, 'message.deleted', 150)
  bob.close()
})

test('member.joined / member.left reach the room; a removed user stops receiving it', async () => {
  const t = await s.newTenant()
  const room = await roomWith(t, 'alice', ['bob'])
  const alice = await ready(s.wsUrl, t.headers('alice'))
  const bob = await ready(s.wsUrl, t.headers('bob'))
  const bob2 = await ready(s.wsUrl, t.headers('bob'))
  const carol = await ready(s.wsUrl, t.headers('carol'))

  const add = await t.as('alice')('POST', `/v1/rooms/${room}/members`, { body: { user_ids: ['carol'] } })
  expect(add.status).toBe(200)
  const joined = { type: 'member.joined', room_id: room, user_id: 'carol', role: 'member' }
  for (const c of [alice, bob, bob2, carol]) expect(await c.next('member.joined')).toEqual(joined)

  expect((await t.as('alice')('DELETE', `/v1/rooms/${room}/members/bob`)).status).toBe(204)
  const left = { type: 'member.left', room_id: room, user_id: 'bob', role: 'member' }
  for (const c of [alice, bob, bob2, carol]) expect(await c.next('member.left')).toEqual(left)

  const after = await restSend(t, 'alice', room, 'bob is gone')
  for (const c of [alice, carol]) expect((await c.next('message')).message_id).toBe(after.message_id)
  await expectNone(bob, 'message', 200)
  await expectNone(bob2, 'message', 0)
  // nor can bob act on the room over WS any more
  const err = await bob.request({ type: 'send_message', room_id: room, content: 'still here?' }, 'message.sent')
  expect(err.type).toBe('error')
  expect(['NOT_FOUND', 'FORBIDDEN']).toContain(err.code)
  for (const c of [alice, bob, bob2, carol]) c.close()
})

test('leaving a channel yourself: your connections get member.left, then nothing from it', async () => {
  const t = await s.newTenant()
  const room = await roomWith(t, 'alice', ['bob'], 'channel')
  const bob = await ready(s.wsUrl, t.headers('bob'))
  expect((await t.as('bob')('DELETE', `/v1/rooms/${room}/members/bob`)).status).toBe(204)
  expect(await bob.next('member.left')).toMatchObject({ room_id: room, user_id: 'bob' })
  await restSend(t, 'alice', room, 'after bob left')
  await expectNone(bob, 'message', 200)
  bob.close()
})

test('a member added (or joining) mid-session receives live at once', async () => {
  const t = await s.newTenant()
  const group = await roomWith(t, 'alice', [])
  const channel = await roomWith(t, 'alice', [], 'channel')
  const dave = await ready(s.wsUrl, t.headers('dave'))
  expect((await t.as('alice')('POST', `/v1/rooms/${group}/members`, { body: { user_ids: ['dave'] } })).status).toBe(200)
  await dave.next('member.joined', 3000, (f) => f.room_id === group)
  const m1 = await restSend(t, 'alice', group, 'welcome dave')
  expect((await dave.next('message')).message_id).toBe(m1.message_id)

  expect((await t.as('dave')('POST', `/v1/rooms/${channel}/join`)).status).toBe(200)
  expect(await dave.next('member.joined', 3000, (f) => f.room_id === channel)).toMatchObject({ user_id: 'dave', role: 'member' })
  const m2 = await restSend(t, 'alice', channel, 'hello channel')
  expect((await dave.next('message')).message_id).toBe(m2.message_id)

  // a room created mid-session is live for its members at once, no reconnect
  const dm = await roomWith(t, 'alice', ['dave'], 'dm')
  const m3 = await restSend(t, 'alice', dm, 'dm hello')
  expect((await dave.next('message')).message_id).toBe(m3.message_id)
  dave.close()
})

test('ack → ack.received to the acking connection; the ack is stored', async () => {
  const t = await s.newTenant()
  const room = await roomWith(t, 'alice', ['bob'])
  await restSend(t, 'alice', room, 'one')
  await restSend(t, 'alice', room, 'two')
  const bob = await ready(s.wsUrl, t.headers('bob'))
  const bob2 = await ready(s.wsUrl, t.headers('bob'))
  const r = await bob.request({ type: 'ack', room_id: room, seq: 2 }, 'ack.received')
  expect(r).toMatchObject({ type: 'ack.received', room_id: room, user_id: 'bob', seq: 2 })
  // never backwards
  expect((await bob.request({ type: 'ack', room_id: room, seq: 1 }, 'ack.received')).seq).toBe(2)
  // above last_seq is a validation error, and the socket stays up
  const bad = await bob.request({ type: 'ack', room_id: room, seq: 99 }, 'ack.received')
  expect(bad).toMatchObject({ type: 'error', code: 'VALIDATION_ERROR' })
  const members = await t.as('bob')('GET', `/v1/rooms/${room}/members`)
  expect(members.body.members.find((m: any) => m.user_id === 'bob').last_ack).toBe(2)
  await expectNone(bob2, 'ack.received', 100)
  bob.close()
  bob2.close()
})

test('read → read.updated to the reader\'s other connections and, with read_receipts, to the room', async () => {
  const t = await s.newTenant()
  const room = await roomWith(t, 'alice', ['bob'])
  await restSend(t, 'alice', room, 'read me')
  const bob = await ready(s.wsUrl, t.headers('bob'))
  const bob2 = await ready(s.wsUrl, t.headers('bob'))
  const alice = await ready(s.wsUrl, t.headers('alice'))
  const direct = await bob.request({ type: 'read', room_id: room, seq: 1 }, 'read.updated')
  expect(direct).toMatchObject({ room_id: room, user_id: 'bob', seq: 1 })
  const expected = { type: 'read.updated', room_id: room, user_id: 'bob', seq: 1 }
  expect(await bob2.next('read.updated')).toEqual(expected)
  expect(await alice.next('read.updated')).toEqual(expected)
  const members = await t.as('alice')('GET', `/v1/rooms/${room}/members`)
  expect(members.body.members.find((m: any) => m.user_id === 'bob')).toMatchObject({ last_read: 1, last_ack: 1 })
  for (const c of [alice, bob, bob2]) c.close()
})

test('read_receipts off: read.updated reaches only the reader\'s connections', async () => {
  const t = await s.newTenant({ features: { read_receipts: false } })
  const room = await roomWith(t, 'alice', ['bob'])
  await restSend(t, 'alice', room, 'read me')
  const bob = await ready(s.wsUrl, t.headers('bob'))
  const bob2 = await ready(s.wsUrl, t.headers('bob'))
  const alice = await ready(s.wsUrl, t.headers('alice'))
  bob.send({ type: 'read', room_id: room, seq: 1 })
  expect(await bob2.next('read.updated')).toEqual({ type: 'read.updated', room_id: room, user_id: 'bob', seq: 1 })
  expect(await bob.next('read.updated')).toMatchObject({ user_id: 'bob', seq: 1 })
  await expectNone(alice, 'read.updated', 200)
  for (const c of [alice, bob, bob2]) c.close()
})

test('ping → pong echoing request_id; a ping without one gets a bare pong', async () => {
  const t = await s.newTenant()
  const c = await ready(s.wsUrl, t.headers('alice'))
  c.send({ type: 'ping', request_id: 'req-42' })
  expect(await c.next('pong')).toEqual({ type: 'pong', request_id: 'req-42' })
  c.send({ type: 'ping' })
  expect(await c.next('pong')).toEqual({ type: 'pong' })
  c.close()
})

test('a ping is a barrier: its pong comes after the answers to every frame sent before it', async () => {
  const t = await s.newTenant()
  const room = await roomWith(t, 'alice', ['bob'])
  const c = await ready(s.wsUrl, t.headers('alice'))
  // sends wait for their group commit; a ping right behind them must not overtake their answers
  for (let i = 0; i < 5; i++) c.send({ type: 'send_message', room_id: room, content: `m${i}`, request_id: `s${i}` })
  c.send({ type: 'ping', request_id: 'after-sends' })
  await c.next('pong')
  const answered = c.log.filter((f) => f.type === 'message.sent' || f.type === 'pong').map((f) => f.request_id)
  expect(answered).toEqual(['s0', 's1', 's2', 's3', 's4', 'after-sends'])
  c.close()
})

test('client_msg_id replay over WS returns the same message and seq, publishes nothing again', async () => {
  const t = await s.newTenant()
  const room = await roomWith(t, 'alice', ['bob'])
  const alice = await ready(s.wsUrl, t.headers('alice'))
  const bob = await ready(s.wsUrl, t.headers('bob'))
  const frame = { type: 'send_message', room_id: room, content: 'once', client_msg_id: 'c-1' }
  const first = await alice.request(frame, 'message.sent')
  const again = await alice.request({ ...frame, content: 'ignored' }, 'message.sent')
  expect(again).toMatchObject({ message_id: first.message_id, seq: first.seq, created_at: first.created_at })
  expect(await bob.next('message')).toMatchObject({ message_id: first.message_id, content: 'once', client_msg_id: 'c-1' })
  await expectNone(bob, 'message', 200)
  // the replay used no seq: the next message is seq 2
  expect((await alice.request({ type: 'send_message', room_id: room, content: 'next' }, 'message.sent')).seq).toBe(2)
  // over REST the same id answers 200 with the original
  const rest = await t.as('alice')('POST', `/v1/rooms/${room}/messages`, { body: { content: 'x', client_msg_id: 'c-1' } })
  expect(rest.status).toBe(200)
  expect(rest.body.message_id).toBe(first.message_id)
  await alive(alice)
  alice.close()
  bob.close()
})
