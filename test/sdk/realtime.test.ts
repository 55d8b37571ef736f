// The SDK's realtime client against the real server (in process): order under fast sends, dedupe
// under redelivery, gaps filled by sync, truncated syncs followed, typing, presence, read markers,
// notifications, and typed errors.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { ChatApiError, ChatClient, ChatClientError, type ChatClientOptions } from '../../sdk/src'
import { startTestServer, type TestServer, type TestTenant } from '../support/server'
import { CheckedWebSocket, frameViolation } from '../support/frame-check'
import { FAST, range, record, seqsOf, type Recorder } from './helpers'

let s: TestServer
let t: TestTenant
const open: ChatClient[] = []

beforeAll(async () => {
  s = await startTestServer({ SYNC_MAX_PER_ROOM: '5' })
  t = await s.newTenant()
})
afterAll(async () => {
  for (const c of open) c.close()
  await s.stop()
})

/** A key-authenticated client (server side), recorded. */
function asKey(user: string, o: Partial<ChatClientOptions> = {}): Recorder {
  const c = new ChatClient({ baseUrl: s.url, apiKey: t.api_key, userId: user, ...FAST, ...o })
  open.push(c)
  return record(c)
}

/** A token-authenticated client (as a browser would be), recorded. */
async function asToken(user: string, o: Partial<ChatClientOptions> = {}): Promise<Recorder> {
  const { token } = await asKey('minter').client.rest.createToken({ user_id: user })
  const c = new ChatClient({ baseUrl: s.url, token, ...FAST, ...o })
  open.push(c)
  return record(c)
}

let n = 0
const uniq = (p: string) => `${p}${++n}-${Math.random().toString(36).slice(2, 6)}`

async function groupOf(owner: Recorder, others: string[]) {
  const room = await owner.client.rest.createRoom({ type: 'group', members: others, name: 'g' })
  return room.room_id
}

describe('order and delivery', () => {
  test('fast sends: every message once, in seq order, in the order they were sent', async () => {
    const alice = asKey(uniq('alice'))
    const bob = await asToken(uniq('bob'))
    const room = await groupOf(alice, [(await bob.client.connect()).user_id])
    await alice.client.connect()
    const N = 150
    const acks = await Promise.all(range(1, N).map((i) => alice.client.send(room, `m${i}`)))
    expect(acks.map((a) => a.seq)).toEqual(range(1, N)) // sent in call order, stored in call order
    const got = await bob.waitMessages(N, room)
    expect(got.map((m) => m.seq)).toEqual(range(1, N))
    expect(got.map((m) => m.content)).toEqual(range(1, N).map((i) => `m${i}`))
    expect(new Set(got.map((m) => m.message_id)).size).toBe(N)
    // The sender sees its own messages too, once each, in order.
    expect(seqsOf(await alice.waitMessages(N, room), room)).toEqual(range(1, N))
    expect(alice.errors).toEqual([])
    expect(bob.errors).toEqual([])
  }, 30_000)

  test('redelivery of unacked messages is deduplicated (autoAck off), and a manual ack stops it', async () => {
    const alice = asKey(uniq('alice'))
    const bobId = uniq('bob')
    const bob = asKey(bobId, { autoAck: false })
    const room = await groupOf(alice, [bobId])
    await bob.client.connect()
    for (const i of range(1, 5)) await alice.client.rest.sendMessage(room, { content: `r${i}` })
    await bob.waitMessages(5, room)
    // ACK_TIMEOUT_MS is 200 in tests: the server redelivers from bob's ack (0) with backoff.
    const deadline = Date.now() + 5000
    while (bob.client.duplicatesDropped < 5 && Date.now() < deadline) await Bun.sleep(50)
    expect(bob.client.duplicatesDropped).toBeGreaterThanOrEqual(5)
    expect(seqsOf(bob.messages, room)).toEqual(range(1, 5))
    bob.client.ack(room, 5)
    await bob.waitFor('ack', (a) => a.room_id === room && a.seq === 5)
    const { members } = await bob.client.rest.listMembers(room)
    expect(members.find((m) => m.user_id === bobId)?.last_ack).toBe(5)
  })

  test('a gap (another device moved the ack) is filled by sync, in order', async () => {
    const alice = asKey(uniq('alice'))
    const bobId = uniq('bob')
    // A WebSocket the test can cut, as a network drop would, and a base URL that holds the
    // reconnect until the test lets it through.
    let current: WebSocket | null = null
    class CuttableWebSocket extends CheckedWebSocket {
      constructor(url: string, init?: unknown) {
        super(url, init as never)
        current = this
      }
    }
    let gate: Promise<void> = Promise.resolve()
    let openGate = () => {}
    const bob = asKey(bobId, {
      WebSocket: CuttableWebSocket as never,
      baseUrl: async () => {
        await gate
        return s.url
      },
    })
    const room = await groupOf(alice, [bobId])
    const roomSyncs: number[] = []
    bob.client.on('frame', (f) => f.type === 'sync.done' && f.room_id === room && roomSyncs.push(Date.now()))
    await bob.client.connect()
    for (const i of range(1, 3)) await alice.client.rest.sendMessage(room, { content: `g${i}` })
    await bob.waitMessages(3, room)
    await bob.waitFor('ack', (a) => a.room_id === room && a.seq === 3)
    const firstConnection = bob.client.connectionId
    gate = new Promise((r) => (openGate = r))
    current!.close()
    await bob.waitFor('disconnected')
    for (const i of range(4, 8)) await alice.client.rest.sendMessage(room, { content: `g${i}` })
    // bob's other device acks up to 6: the server's sync on reconnect starts at 7.
    const other = asKey(bobId)
    await other.client.rest.ack(room, 6)
    openGate()
    await bob.waitFor('synced', (e) => e.connection_id !== firstConnection, 10_000)
    const got = await bob.waitMessages(8, room)
    expect(got.map((m) => m.seq)).toEqual(range(1, 8))
    expect(got.map((m) => m.content)).toEqual(range(1, 8).map((i) => `g${i}`))
    // The gap was asked for with an explicit sync (its sync.done follows the messages it carried).
    const deadline = Date.now() + 3000
    while (!roomSyncs.length && Date.now() < deadline) await Bun.sleep(10)
    expect(roomSyncs.length).toBeGreaterThanOrEqual(1)
  }, 20_000)

  test('a backlog over SYNC_MAX_PER_ROOM (5 here) arrives complete and in order', async () => {
    const alice = asKey(uniq('alice'))
    const bobId = uniq('bob')
    const room = await groupOf(alice, [bobId])
    for (const i of range(1, 17)) await alice.client.rest.sendMessage(room, { content: `b${i}` })
    const bob = asKey(bobId)
    const truncated: unknown[] = []
    bob.client.on('frame', (f) => f.type === 'sync.truncated' && truncated.push(f))
    await bob.client.connect()
    const got = await bob.waitMessages(17, room)
    expect(got.map((m) => m.seq)).toEqual(range(1, 17))
    expect(truncated.length).toBeGreaterThanOrEqual(1)
    await bob.waitFor('ack', (a) => a.room_id === room && a.seq === 17)
  })
})

describe('typing, presence, read markers, edits, notifications', () => {
  test('typing start and stop reach the other member, never the typist', async () => {
    const aliceId = uniq('alice')
    const alice = asKey(aliceId, { typingIdleMs: 300 })
    const bob = await asToken(uniq('bob'))
    const bobInfo = await bob.client.connect()
    const room = await groupOf(alice, [bobInfo.user_id])
    await alice.client.connect()
    alice.client.typing(room)
    alice.client.typing(room) // one start for a burst of keystrokes
    const start = await bob.waitFor('typing', (e) => e.room_id === room && e.action === 'start')
    expect(start.user_id).toBe(aliceId)
    const stop = await bob.waitFor('typing', (e) => e.room_id === room && e.action === 'stop')
    expect(stop.user_id).toBe(aliceId)
    expect(alice.events.filter((e) => e.type === 'typing')).toEqual([])
    expect(bob.events.filter((e) => e.type === 'typing' && (e.payload as { action: string }).action === 'start').length).toBe(1)
  })

  test('presence: online when a member connects, offline after the grace period', async () => {
    const alice = asKey(uniq('alice'))
    const carolId = uniq('carol')
    await groupOf(alice, [carolId])
    await alice.client.connect()
    const carol = asKey(carolId)
    await carol.client.connect()
    await alice.waitFor('presence', (p) => p.user_id === carolId && p.status === 'online')
    expect(alice.client.presenceOf(carolId)).toBe('online')
    carol.client.close()
    await alice.waitFor('presence', (p) => p.user_id === carolId && p.status === 'offline', 5000)
    expect(alice.client.presenceOf(carolId)).toBe('offline')
  })

  test('markRead moves the read marker (unread_count drops to 0)', async () => {
    const alice = asKey(uniq('alice'))
    const bob = await asToken(uniq('bob'))
    const bobId = (await bob.client.connect()).user_id
    const room = await groupOf(alice, [bobId])
    for (const i of range(1, 4)) await alice.client.rest.sendMessage(room, { content: `x${i}` })
    await bob.waitMessages(4, room)
    expect((await bob.client.rest.listRooms()).rooms.find((r) => r.room_id === room)?.unread_count).toBe(4)
    const r = await bob.client.markRead(room)
    expect(r).toEqual({ room_id: room, user_id: bobId, seq: 4 })
    expect((await bob.client.rest.listRooms()).rooms.find((r) => r.room_id === room)?.unread_count).toBe(0)
    await bob.waitFor('read', (e) => e.room_id === room && e.seq === 4)
  })

  test('edits and deletes arrive as message.updated / message.deleted', async () => {
    const alice = asKey(uniq('alice'))
    const bobId = uniq('bob')
    const bob = asKey(bobId)
    const room = await groupOf(alice, [bobId])
    await bob.client.connect()
    const sent = await alice.client.rest.sendMessage(room, { content: 'first' })
    await bob.waitMessages(1, room)
    await alice.client.rest.editMessage(room, sent.message_id, { content: 'second' })
    const upd = await bob.waitFor('message.updated', (m) => m.message_id === sent.message_id)
    expect(upd.content).toBe('second')
    expect(upd.edited_at).not.toBeNull()
    await alice.client.rest.deleteMessage(room, sent.message_id)
    const del = await bob.waitFor('message.deleted', (m) => m.message_id === sent.message_id)
    expect(del.deleted_at).not.toBeNull()
    expect(bob.messages.length).toBe(1)
  })

  test('notifications are delivered once and acked automatically', async () => {
    const server = asKey(uniq('backend'))
    const bobId = uniq('bob')
    const bob = asKey(bobId)
    await bob.client.connect()
    const r = await server.client.rest.notify({ topic: 'orders.shipped', payload: { order: 7 }, targets: { user_ids: [bobId] } })
    const got = await bob.waitFor('notification', (x) => x.notification_id === r.notification_id)
    expect(got.payload).toEqual({ order: 7 })
    // Acked: a new connection of bob's gets no pending notification.
    const again = asKey(bobId)
    const frames: string[] = []
    again.client.on('frame', (f) => f.type === 'notification' && frames.push(f.notification_id))
    await Bun.sleep(100)
    await again.client.connect()
    await Bun.sleep(150)
    expect(frames).toEqual([])
  })
})

describe('typed errors', () => {
  test('error frames reject the request they answer, with the SPEC §3 code', async () => {
    const alice = asKey(uniq('alice'))
    await alice.client.connect()
    const e1 = await alice.client.send('room_doesnotexist', 'hi').catch((e) => e)
    expect(e1).toBeInstanceOf(ChatApiError)
    expect(e1).toMatchObject({ code: 'NOT_FOUND', source: 'ws' })
    expect(typeof e1.requestId).toBe('string')

    const room = await groupOf(alice, [uniq('bob')])
    const e2 = await alice.client.send(room, '').catch((e) => e)
    expect(e2).toMatchObject({ name: 'ChatApiError', code: 'VALIDATION_ERROR', field: 'content' })

    const chan = (await asKey(uniq('owner')).client.rest.createRoom({ type: 'channel', members: [], name: 'c' })).room_id
    const e3 = await alice.client.send(chan, 'hello').catch((e) => e)
    expect(e3).toMatchObject({ code: 'FORBIDDEN' })
    // The connection is still fine.
    await expect(alice.client.send(room, 'still up')).resolves.toMatchObject({ room_id: room, seq: 1 })
  })

  test('an error frame that answers no request is emitted as an error event', async () => {
    const alice = asKey(uniq('alice'))
    const room = await groupOf(alice, [uniq('bob')])
    await alice.client.connect()
    alice.client.ack(room, 99) // past the room's last seq
    const deadline = Date.now() + 3000
    while (!alice.errors.length && Date.now() < deadline) await Bun.sleep(20)
    expect(alice.errors[0]).toBeInstanceOf(ChatApiError)
    expect(alice.errors[0]).toMatchObject({ code: 'VALIDATION_ERROR', source: 'ws' })
  })

  test('REST errors are ChatApiError with status, code, field and request id', async () => {
    const alice = asKey(uniq('alice'))
    const e1 = await alice.client.rest.getRoom('room_nope').catch((e) => e)
    expect(e1).toMatchObject({ name: 'ChatApiError', code: 'NOT_FOUND', status: 404, source: 'rest' })
    expect(e1.requestId).toMatch(/^req_/)
    const e2 = await alice.client.rest.createRoom({ type: 'nope' as never, members: [] }).catch((e) => e)
    expect(e2).toMatchObject({ code: 'VALIDATION_ERROR', status: 400, field: 'type' })
    const bob = await asToken(uniq('bob'))
    const e3 = await bob.client.rest.notify({ topic: 'x', payload: {}, targets: { user_ids: ['a'] } }).catch((e) => e)
    expect(e3).toMatchObject({ code: 'FORBIDDEN', status: 403 })
  })

  test('a refused token rejects connect() with AUTHENTICATION_ERROR and stops retrying', async () => {
    const c = new ChatClient({ baseUrl: s.url, token: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.bad', ...FAST })
    open.push(c)
    const e = await c.connect().catch((e) => e)
    expect(e).toBeInstanceOf(ChatApiError)
    expect(e).toMatchObject({ code: 'AUTHENTICATION_ERROR', status: 401 })
    expect(c.state).toBe('closed')
  })

  test('requests after close() reject with ChatClientError CLOSED; unanswered ones time out', async () => {
    const alice = asKey(uniq('alice'), { requestTimeoutMs: 200 })
    const room = await groupOf(alice, [uniq('bob')])
    // Never connected: the send waits for a connection, then times out.
    const e1 = await alice.client.send(room, 'x').catch((e) => e)
    expect(e1).toBeInstanceOf(ChatClientError)
    expect(e1).toMatchObject({ code: 'TIMEOUT' })
    expect(e1.details.clientMsgId).toBeString()
    alice.client.close()
    const e2 = await alice.client.send(room, 'y').catch((e) => e)
    expect(e2).toMatchObject({ name: 'ChatClientError', code: 'CLOSED' })
  })

  test('an API key is refused in a browser', () => {
    const g = globalThis as Record<string, unknown>
    g.window = {}
    g.document = {}
    try {
      expect(() => new ChatClient({ baseUrl: s.url, apiKey: t.api_key, userId: 'u' })).toThrow(/never be used in a browser/)
    } finally {
      delete g.window
      delete g.document
    }
  })
})

test('the README example runs as written (token function, events, send, markRead)', async () => {
  const backend = asKey(uniq('backend'))
  const me = uniq('reader')
  const room = await groupOf(backend, [me])
  const myBackend = { chatToken: async () => (await backend.client.rest.createToken({ user_id: me })).token }
  const lines: string[] = []
  const chat = new ChatClient({ baseUrl: s.url, token: () => myBackend.chatToken() })
  open.push(chat)
  // Not part of the example: what it receives matches the frame schemas.
  const invalidFrames: string[] = []
  chat.on('frame', (f) => {
    const why = frameViolation(f)
    if (why) invalidFrames.push(why)
  })
  chat.on('message', (m) => lines.push(`[${m.room_id}] #${m.seq} ${m.sender_id}: ${m.content}`))
  await chat.connect()
  const { rooms } = await chat.rest.listRooms()
  const sent = await chat.send(rooms[0].room_id, 'hello!')
  expect(sent).toMatchObject({ room_id: room, seq: 1 })
  const deadline = Date.now() + 3000
  while (!lines.length && Date.now() < deadline) await Bun.sleep(10)
  expect(lines).toEqual([`[${room}] #1 ${me}: hello!`])
  await expect(chat.markRead(rooms[0].room_id)).resolves.toMatchObject({ seq: 1 })
  expect(invalidFrames).toEqual([])
})
