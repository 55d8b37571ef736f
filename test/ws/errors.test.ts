// Bad frames, limits and isolation over WebSocket (SPEC §2 rate limits, §5, §10; TESTING C3, C4, C7).

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { startTestServer, type TestServer } from '../support/server'
import { WsClient, type Frame } from '../support/ws'
import { alive, expectNone, ready, restSend, roomWith } from './helpers'

let s: TestServer
beforeAll(async () => (s = await startTestServer()))
afterAll(() => s.stop())

/** Sends a raw frame and returns the next error frame. */
async function errorFor(c: WsClient, raw: string | Uint8Array) {
  c.ws.send(raw)
  return c.next('error')
}

describe('bad frames get an error frame and the socket stays up', () => {
  const rows: [string, string, string | undefined][] = [
    ['invalid JSON', '{"type": "ping"', undefined],
    ['plain text', 'hello', undefined],
    ['a JSON array', '[{"type":"ping"}]', undefined],
    ['a JSON number', '42', undefined],
    ['a JSON string', '"ping"', undefined],
    ['JSON null', 'null', undefined],
    ['no type', '{"content":"x"}', 'type'],
    ['a non-string type', '{"type":7}', 'type'],
    ['an unknown type', '{"type":"launch_missiles"}', 'type'],
    ['a server frame type', '{"type":"message.sent"}', 'type'],
    ['a prototype key as type', '{"type":"__proto__"}', 'type'],
    ['send_message without room_id', '{"type":"send_message","content":"hi"}', 'room_id'],
    ['send_message with empty content', '{"type":"send_message","room_id":"room_x","content":""}', 'content'],
    ['send_message with meta not an object', '{"type":"send_message","room_id":"room_x","content":"a","meta":[1]}', 'meta'],
    ['send_message with a bad client_msg_id', '{"type":"send_message","room_id":"room_x","content":"a","client_msg_id":"a b"}', 'client_msg_id'],
    ['ack with a negative seq', '{"type":"ack","room_id":"room_x","seq":-1}', 'seq'],
    ['ack with a string seq', '{"type":"ack","room_id":"room_x","seq":"3"}', 'seq'],
    ['read with a fractional seq', '{"type":"read","room_id":"room_x","seq":1.5}', 'seq'],
    ['sync without after_seq', '{"type":"sync","room_id":"room_x"}', 'after_seq'],
    ['request_id over 64 chars', JSON.stringify({ type: 'ping', request_id: 'r'.repeat(65) }), 'request_id'],
    ['request_id not a string', '{"type":"ping","request_id":5}', 'request_id'],
  ]
  for (const [name, raw, field] of rows)
    test(name, async () => {
      const t = await s.newTenant()
      const c = await ready(s.wsUrl, t.headers('alice'))
      const err = await errorFor(c, raw)
      expect(err.code).toBe('VALIDATION_ERROR')
      expect(err.field).toBe(field)
      expect(typeof err.message).toBe('string')
      expect(err.message.length).toBeLessThan(200) // a sentence, no schema dump
      expect(err.request_id).toBeUndefined()
      await alive(c)
      c.close()
    })

  test('a binary frame is refused the same way', async () => {
    const t = await s.newTenant()
    const c = await ready(s.wsUrl, t.headers('alice'))
    const err = await errorFor(c, new TextEncoder().encode('{"type":"ping"}'))
    expect(err.code).toBe('VALIDATION_ERROR')
    await alive(c)
    c.close()
  })

  test('a valid request_id is echoed on the error', async () => {
    const t = await s.newTenant()
    const c = await ready(s.wsUrl, t.headers('alice'))
    const err = await errorFor(c, JSON.stringify({ type: 'nope', request_id: 'q1' }))
    expect(err).toMatchObject({ code: 'VALIDATION_ERROR', field: 'type', request_id: 'q1' })
    const bad = await c.request({ type: 'send_message', room_id: 'room_x', content: 'x'.repeat(17 * 1024) }, 'message.sent')
    expect(bad).toMatchObject({ type: 'error', code: 'VALIDATION_ERROR', field: 'content' }) // max_message_bytes, 60 KiB-class frame
    await alive(c)
    c.close()
  })
})

test('a frame over MAX_WS_FRAME_BYTES closes the connection with 1009; others are unaffected', async () => {
  const t = await s.newTenant()
  const c = await ready(s.wsUrl, t.headers('alice'))
  const other = await ready(s.wsUrl, t.headers('alice'))
  c.send({ type: 'ping', pad: 'x'.repeat(65 * 1024) })
  expect((await c.closed()).code).toBe(1009)
  await alive(other)
  // just under the limit is a normal frame
  other.send({ type: 'ping', request_id: 'big', pad: 'x'.repeat(60 * 1024) })
  expect(await other.next('pong')).toEqual({ type: 'pong', request_id: 'big' })
  other.close()
})

test('sending to a room you are not in → NOT_FOUND (group), FORBIDDEN (channel); nothing stored', async () => {
  const t = await s.newTenant()
  const group = await roomWith(t, 'alice', ['bob'])
  const channel = await roomWith(t, 'alice', ['bob'], 'channel')
  const eve = await ready(s.wsUrl, t.headers('eve'))
  const bob = await ready(s.wsUrl, t.headers('bob'))
  expect(await eve.request({ type: 'send_message', room_id: group, content: 'x' }, 'message.sent')).toMatchObject({ type: 'error', code: 'NOT_FOUND' })
  expect(await eve.request({ type: 'send_message', room_id: channel, content: 'x' }, 'message.sent')).toMatchObject({ type: 'error', code: 'FORBIDDEN' })
  expect(await eve.request({ type: 'send_message', room_id: 'room_doesnotexist', content: 'x' }, 'message.sent')).toMatchObject({ code: 'NOT_FOUND' })
  expect(await eve.request({ type: 'ack', room_id: group, seq: 0 }, 'ack.received')).toMatchObject({ type: 'error', code: 'NOT_FOUND' })
  expect(await eve.request({ type: 'read', room_id: channel, seq: 0 }, 'read.updated')).toMatchObject({ type: 'error', code: 'FORBIDDEN' })
  await expectNone(bob, 'message', 100)
  for (const r of [group, channel]) expect((await t.as('alice')('GET', `/v1/rooms/${r}`)).body.last_seq).toBe(0)
  await alive(eve)
  eve.close()
  bob.close()
})

describe('rate limits (WS_MSG_RATE=5, burst 10)', () => {
  let r: TestServer
  beforeAll(async () => (r = await startTestServer({ WS_MSG_RATE: '5' })))
  afterAll(() => r.stop())

  test('a connection past its frame budget gets RATE_LIMIT_EXCEEDED and those frames are not processed', async () => {
    const t = await r.newTenant()
    const c = await ready(r.wsUrl, t.headers('alice'))
    for (let i = 0; i < 30; i++) c.send({ type: 'ping', request_id: `p${i}` })
    const got: Frame[] = []
    while (got.length < 30) got.push(await nextAny(c))
    const pongs = got.filter((f) => f.type === 'pong')
    const limited = got.filter((f) => f.type === 'error')
    expect(limited.length).toBeGreaterThanOrEqual(15)
    expect(pongs.length).toBeGreaterThanOrEqual(10)
    expect(pongs.length).toBeLessThanOrEqual(12)
    for (const e of limited) expect(e).toMatchObject({ code: 'RATE_LIMIT_EXCEEDED' })
    expect(limited.every((e) => typeof e.request_id === 'string')).toBe(true)
    // another connection of the same user has its own budget
    const c2 = await ready(r.wsUrl, t.headers('alice'))
    await alive(c2)
    c.close()
    c2.close()
  })

  test('rate-limited send_message frames store nothing', async () => {
    const t = await r.newTenant()
    const room = await roomWith(t, 'alice', ['bob'])
    const c = await ready(r.wsUrl, t.headers('alice'))
    for (let i = 0; i < 20; i++) c.send({ type: 'send_message', room_id: room, content: `m${i}`, request_id: `s${i}` })
    const got: Frame[] = []
    while (got.length < 20) got.push(await nextAny(c, (f) => f.type === 'message.sent' || f.type === 'error'))
    const sent = got.filter((f) => f.type === 'message.sent')
    expect(got.filter((f) => f.type === 'error').every((e) => e.code === 'RATE_LIMIT_EXCEEDED')).toBe(true)
    expect(sent.length).toBeLessThan(20)
    expect((await t.as('alice')('GET', `/v1/rooms/${room}`)).body.last_seq).toBe(sent.length)
    c.close()
  })

  test("the tenant's rate_limit_per_sec also bounds send_message frames", async () => {
    const t = await r.newTenant({ rate_limit_per_sec: 2 }) // burst 4: one spent on the room, one on the upgrade
    const room = await roomWith(t, 'alice', ['bob'])
    const c = await ready(r.wsUrl, t.headers('alice'))
    for (let i = 0; i < 8; i++) c.send({ type: 'send_message', room_id: room, content: `m${i}`, request_id: `s${i}` })
    const got: Frame[] = []
    while (got.length < 8) got.push(await nextAny(c, (f) => f.type === 'message.sent' || f.type === 'error'))
    const refused = got.filter((f) => f.type === 'error')
    expect(refused.length).toBeGreaterThanOrEqual(3)
    for (const e of refused) expect(e.code).toBe('RATE_LIMIT_EXCEEDED')
    c.close()
  })
})

/** The next frame of any type (matching pred), from the queue or the wire. */
function nextAny(c: WsClient, pred: (f: Frame) => boolean = () => true, ms = 5000): Promise<Frame> {
  const i = c.frames.findIndex(pred)
  if (i >= 0) return Promise.resolve(c.frames.splice(i, 1)[0])
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timed out waiting for a frame')), ms)
    const onMsg = () => {
      const j = c.frames.findIndex(pred)
      if (j < 0) return
      clearTimeout(timer)
      c.ws.removeEventListener('message', onMsg)
      resolve(c.frames.splice(j, 1)[0])
    }
    c.ws.addEventListener('message', onMsg)
  })
}

test("tenant B's sockets never see anything of tenant A, even with the same user ids", async () => {
  const a = await s.newTenant()
  const b = await s.newTenant()
  const roomA = await roomWith(a, 'alice', ['bob'])
  const roomB = await roomWith(b, 'alice', ['bob'])
  const bAlice = await ready(s.wsUrl, b.headers('alice'))
  const bBob = await ready(s.wsUrl, b.headers('bob'))
  const bobOnline = await bAlice.next('presence.update', 3000, (f) => f.user_id === 'bob')
  expect(bobOnline).toMatchObject({ user_id: 'bob', status: 'online' }) // b's own
  // Barrier: b's own presence frames go through the broker (Redis when shared) and may arrive late,
  // there even as an echo to the user's own socket (docs/scaling.md). A typing start and stop each
  // way takes the same path after them, so once it has arrived both logs are settled.
  for (const [from, to] of [
    [bBob, bAlice],
    [bAlice, bBob],
  ]) {
    from.send({ type: 'typing.start', room_id: roomB })
    await from.request({ type: 'ping' }, 'pong') // a barrier: the start is handled before the stop
    from.send({ type: 'typing.stop', room_id: roomB })
    await to.next('typing', 3000, (f) => f.action === 'stop')
  }
  const mark = [bAlice.log.length, bBob.log.length]
  const aBob = await ready(s.wsUrl, a.headers('bob'))
  const aAlice = await ready(s.wsUrl, a.headers('alice'))
  // a's traffic: presence, messages over WS and REST, typing, reads, membership, edits, deletes
  const m = await aAlice.request({ type: 'send_message', room_id: roomA, content: 'for tenant a' }, 'message.sent')
  await restSend(a, 'bob', roomA, 'rest in a')
  aAlice.send({ type: 'typing.start', room_id: roomA })
  aBob.send({ type: 'read', room_id: roomA, seq: 2 })
  await a.as('alice')('POST', `/v1/rooms/${roomA}/members`, { body: { user_ids: ['carol'] } })
  await a.as('alice')('PATCH', `/v1/rooms/${roomA}/messages/${m.message_id}`, { body: { content: 'edited' } })
  await a.as('alice')('DELETE', `/v1/rooms/${roomA}/messages/${m.message_id}`)
  aAlice.close()
  await aBob.next('member.joined')
  await aBob.next('message.deleted') // a's members got it all; b's got none of it
  await expectNone(bAlice, '*', 400) // past the 300 ms presence grace of aAlice's close
  expect(bAlice.log.slice(mark[0])).toEqual([])
  expect(bBob.log.slice(mark[1])).toEqual([])
  // nor can b's users reach a's room by id
  for (const [frame, reply] of [
    [{ type: 'send_message', room_id: roomA, content: 'x' }, 'message.sent'],
    [{ type: 'sync', room_id: roomA, after_seq: 0 }, 'sync.done'],
    [{ type: 'typing.start', room_id: roomA }, 'typing'],
    [{ type: 'ack', room_id: roomA, seq: 1 }, 'ack.received'],
  ] as const)
    expect(await bAlice.request(frame, reply)).toMatchObject({ type: 'error', code: 'NOT_FOUND' })
  expect(bAlice.log.some((f) => f.type === 'message')).toBe(false)
  // b's own room still works
  await bAlice.request({ type: 'send_message', room_id: roomB, content: 'b only' }, 'message.sent')
  expect((await bBob.next('message')).content).toBe('b only')
  expect(aBob.log.some((f) => f.room_id === roomB)).toBe(false)
  for (const c of [bAlice, bBob, aBob]) c.close()
})
