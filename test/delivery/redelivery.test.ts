// Redelivery (SPEC §6, §10): a connected member whose ack lags for ACK_TIMEOUT_MS gets the messages
// again RETRY_MAX_ATTEMPTS times, then a `message` dead letter that clears once the ack passes it.

import { afterAll, beforeAll, expect, test } from 'bun:test'
import { startTestServer, type TestServer, type TestTenant } from '../support/server'
import { ready, restSend, roomWith } from '../ws/helpers'
import type { WsClient } from '../support/ws'
import { deadLetters, until } from './helpers'

const ACK_TIMEOUT_MS = 200
const RETRY_MAX_ATTEMPTS = 2
let s: TestServer
beforeAll(async () => (s = await startTestServer({ ACK_TIMEOUT_MS: String(ACK_TIMEOUT_MS), RETRY_BASE_MS: '20', RETRY_MAX_ATTEMPTS: String(RETRY_MAX_ATTEMPTS) })))
afterAll(() => s.stop())

const messageLetters = (t: TestTenant) => deadLetters(s, { tenant_id: t.tenant_id, kind: 'message' })
/** Every `message` frame received so far with this id (consumed or not). */
const copies = (c: WsClient, messageId: string) => c.log.filter((f) => f.type === 'message' && f.message_id === messageId)

test('a member who never acks gets the messages again, then a `message` dead letter; acking past it clears it', async () => {
  const t = await s.newTenant()
  const room = await roomWith(t, 'alice', ['bob'])
  const bob = await ready(s.wsUrl, t.headers('bob'))
  const m1 = await restSend(t, 'alice', room, 'one')
  const m2 = await restSend(t, 'alice', room, 'two')
  const live = await bob.next('message', 2000, (f) => f.message_id === m1.message_id)
  const sentAt = bob.receivedAt.get(live)! // the delivery the ack timeout runs from (a loaded machine may take a while to get here)
  await bob.next('message', 2000, (f) => f.message_id === m2.message_id)

  // Redelivery: the same message_id again (clients dedupe by it), from the ack, in seq order.
  const again = await bob.next('message', 3000, (f) => f.message_id === m1.message_id)
  expect(Date.now() - sentAt).toBeGreaterThanOrEqual(ACK_TIMEOUT_MS - 20)
  expect(again).toEqual(live)
  await bob.next('message', 2000, (f) => f.message_id === m2.message_id)

  const [dl] = await until('the message dead letter', async () => {
    const l = await messageLetters(t)
    return l.length ? l : undefined
  })
  expect(dl).toMatchObject({ kind: 'message', tenant_id: t.tenant_id, target: 'bob', ref_id: room, from_seq: 1, to_seq: 2, attempts: 1 + RETRY_MAX_ATTEMPTS })
  expect(Object.keys(dl).sort()).toEqual(['attempts', 'created_at', 'from_seq', 'id', 'kind', 'last_attempt_at', 'last_error', 'ref_id', 'target', 'tenant_id', 'to_seq'])
  // 1 live copy + RETRY_MAX_ATTEMPTS redeliveries, and nothing more once it is a dead letter.
  await Bun.sleep(ACK_TIMEOUT_MS) // bounded: proving no further redelivery
  expect(copies(bob, m1.message_id)).toHaveLength(1 + RETRY_MAX_ATTEMPTS)
  expect(copies(bob, m2.message_id)).toHaveLength(1 + RETRY_MAX_ATTEMPTS)

  // Acking part of the range keeps it; acking past to_seq makes it disappear.
  await bob.request({ type: 'ack', room_id: room, seq: 1 }, 'ack.received')
  await Bun.sleep(50) // bounded: a few sweeps
  expect(await messageLetters(t)).toHaveLength(1)
  const acked = await bob.request({ type: 'ack', room_id: room, seq: 2 }, 'ack.received')
  expect(acked.seq).toBe(2)
  await until('the dead letter to clear', async () => ((await messageLetters(t)).length === 0 ? true : undefined))
  bob.close()
}, 10_000)

test('a member who acks promptly gets no redelivery and no dead letter', async () => {
  const t = await s.newTenant()
  const room = await roomWith(t, 'alice', ['carol'])
  const carol = await ready(s.wsUrl, t.headers('carol'))
  const m = await restSend(t, 'alice', room, 'hi')
  const f = await carol.next('message', 2000, (x) => x.message_id === m.message_id)
  await carol.request({ type: 'ack', room_id: room, seq: f.seq }, 'ack.received')
  await Bun.sleep(ACK_TIMEOUT_MS * 3) // bounded: proving absence
  expect(copies(carol, m.message_id)).toHaveLength(1)
  expect(await messageLetters(t)).toEqual([])
  carol.close()
})

test('REST acks count too, and each member is tracked on their own', async () => {
  const t = await s.newTenant()
  const room = await roomWith(t, 'alice', ['bob', 'carol'])
  const [bob, carol] = [await ready(s.wsUrl, t.headers('bob')), await ready(s.wsUrl, t.headers('carol'))]
  const m = await restSend(t, 'alice', room, 'hello')
  await carol.next('message', 2000, (x) => x.message_id === m.message_id)
  expect((await t.as('carol')('POST', '/v1/acks', { body: { room_id: room, seq: m.seq } })).status).toBe(200)
  await bob.next('message', 2000, (x) => x.message_id === m.message_id)
  await bob.next('message', 3000, (x) => x.message_id === m.message_id) // bob did not ack: redelivered
  const [dl] = await until('bob’s dead letter', async () => {
    const l = await messageLetters(t)
    return l.length ? l : undefined
  })
  expect(dl).toMatchObject({ target: 'bob', ref_id: room, from_seq: 1, to_seq: 1 })
  expect(copies(carol, m.message_id)).toHaveLength(1)
  bob.close()
  carol.close()
})

test('a disconnected member is not redelivered to (they sync on connect); the sender is never behind', async () => {
  const t = await s.newTenant()
  const room = await roomWith(t, 'alice', ['dora'])
  const alice = await ready(s.wsUrl, t.headers('alice'))
  const sent = await alice.request({ type: 'send_message', room_id: room, content: 'x' }, 'message.sent')
  await alice.next('message', 2000, (f) => f.message_id === sent.message_id) // the sender's echo
  await Bun.sleep(ACK_TIMEOUT_MS * 3) // bounded: proving absence
  expect(copies(alice, sent.message_id)).toHaveLength(1) // sending moved alice's own ack
  expect(await messageLetters(t)).toEqual([]) // dora is offline: not tracked

  const dora = await ready(s.wsUrl, t.headers('dora'))
  expect(copies(dora, sent.message_id)).toHaveLength(1) // the connect-time sync
  alice.close()
  dora.close()
})

test('admin retry of a `message` dead letter → 202 and the member gets the messages again', async () => {
  const t = await s.newTenant()
  const room = await roomWith(t, 'alice', ['bob'])
  const bob = await ready(s.wsUrl, t.headers('bob'))
  const m = await restSend(t, 'alice', room, 'retry me')
  const [dl] = await until('the dead letter', async () => {
    const l = await messageLetters(t)
    return l.length ? l : undefined
  })
  const before = copies(bob, m.message_id).length
  expect(before).toBe(1 + RETRY_MAX_ATTEMPTS)
  expect((await s.admin('POST', `/v1/admin/dead-letters/${dl.id}/retry`)).status).toBe(202)
  await until('a redelivered copy', () => (copies(bob, m.message_id).length > before ? true : undefined), 2000)
  await bob.request({ type: 'ack', room_id: room, seq: m.seq }, 'ack.received')
  await until('the dead letter to clear', async () => ((await messageLetters(t)).length === 0 ? true : undefined))
  bob.close()
})
