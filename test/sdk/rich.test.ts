// The SDK and rich messages (SPEC §11) against the real server: the REST calls for replies,
// reactions, mentions, pins and the change feed; and the realtime client that was offline while
// another user edited, deleted, reacted, pinned and replied, catching up on reconnect (seq for the
// new messages, rev for the changes) to exactly the server's state, each change applied once and
// in rev order, stale copies ignored.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { ChatApiError, ChatClient, RestClient, type ChangedMessage, type Message } from '../../sdk/src'
import { startTestServer, type TestServer, type TestTenant } from '../support/server'
import { CheckedWebSocket } from '../support/frame-check'
import { FAST, range, record, type Recorder } from './helpers'

let s: TestServer
let t: TestTenant
const open: ChatClient[] = []

beforeAll(async () => {
  // A catch-up of more than 3 changes is truncated, so the client has to follow from_rev.
  s = await startTestServer({ SYNC_MAX_PER_ROOM: '3' })
  t = await s.newTenant()
})
afterAll(async () => {
  for (const c of open) c.close()
  await s.stop()
})

let n = 0
const uniq = (p: string) => `${p}${++n}-${Math.random().toString(36).slice(2, 6)}`
const rest = (user: string) => new RestClient({ baseUrl: s.url, apiKey: t.api_key, userId: user })

async function expectApiError(p: Promise<unknown>, status: number, code: string, field?: string) {
  const e = await p.then(
    () => null,
    (err) => err,
  )
  expect(e).toBeInstanceOf(ChatApiError)
  expect({ status: e.status, code: e.code, field: e.field }).toEqual({ status, code, field })
}

describe('REST: replies, reactions, mentions, pins, changes', () => {
  test('each call answers the server’s shapes and the effects show up in the room', async () => {
    const [alice, bob] = [uniq('alice'), uniq('bob')]
    const a = rest(alice)
    const b = rest(bob)
    const room = await a.createRoom({ type: 'group', members: [bob], name: 'rich' })
    expect(room).toMatchObject({ last_rev: 0, first_seq: 1 })
    const root = await a.sendMessage(room.room_id, { content: 'root' })
    const reply = await b.sendMessage(room.room_id, { content: `@${alice} yes`, parent_id: root.message_id, mentions: [alice] })
    await expectApiError(b.sendMessage(room.room_id, { content: 'x', parent_id: reply.message_id }), 400, 'VALIDATION_ERROR', 'parent_id')
    await expectApiError(b.sendMessage(room.room_id, { content: 'x', mentions: ['nobody-here'] }), 400, 'VALIDATION_ERROR', 'mentions')

    // Replies and the top-level view.
    const thread = await a.listReplies(room.room_id, root.message_id)
    expect(thread.messages.map((m) => [m.content, m.parent_id, m.mentions])).toEqual([[`@${alice} yes`, root.message_id, [alice]]])
    expect((await a.listMessages(room.room_id, { top_level: true })).messages.map((m) => m.message_id)).toEqual([root.message_id])
    expect((await a.listMessages(room.room_id)).messages.map((m) => m.message_id)).toEqual([root.message_id, reply.message_id])
    const parent = await a.getMessage(room.room_id, root.message_id)
    expect(parent).toMatchObject({ reply_count: 1, rev: 1 })

    // Mentions: the list and the unread count on the room.
    const mine = await a.listMentions()
    expect(mine.mentions.map((x) => [x.room_id, x.message.message_id])).toEqual([[room.room_id, reply.message_id]])
    expect((await a.listRooms()).rooms.find((r) => r.room_id === room.room_id)?.unread_mentions).toBe(1)
    await a.markRead(room.room_id, reply.seq)
    expect((await a.listRooms()).rooms.find((r) => r.room_id === room.room_id)?.unread_mentions).toBe(0)

    // Reactions: add twice (the second changes nothing), list, remove; a bad key is a 400 on key.
    const r1 = await b.addReaction(room.room_id, root.message_id, '👍')
    expect(r1.reactions).toEqual([{ key: '👍', count: 1, user_ids: [bob] }])
    expect(r1.rev).toBe(2)
    expect((await b.addReaction(room.room_id, root.message_id, '👍')).rev).toBe(2)
    const r2 = await a.addReaction(room.room_id, root.message_id, '+1')
    expect(r2.reactions.map((x) => [x.key, x.count])).toEqual([['👍', 1], ['+1', 1]])
    const listed = await a.listReactions(room.room_id, root.message_id)
    expect(listed.reactions.map((x) => [x.user_id, x.key])).toEqual([[bob, '👍'], [alice, '+1']])
    expect((await a.listReactions(room.room_id, root.message_id, { key: '+1' })).reactions.map((x) => x.user_id)).toEqual([alice])
    expect((await b.removeReaction(room.room_id, root.message_id, '👍')).reactions.map((x) => x.key)).toEqual(['+1'])
    await expectApiError(a.addReaction(room.room_id, root.message_id, 'two words'), 400, 'VALIDATION_ERROR', 'key')

    // Pins: the owner pins, a plain member may not; the list is newest pin first.
    const pinned = await a.pin(room.room_id, reply.message_id)
    expect(pinned.pinned_by).toBe(alice)
    await a.pin(room.room_id, root.message_id)
    expect((await b.listPins(room.room_id)).messages.map((m) => m.message_id)).toEqual([root.message_id, reply.message_id])
    await expectApiError(b.pin(room.room_id, root.message_id), 403, 'FORBIDDEN')
    expect((await a.unpin(room.room_id, reply.message_id)).pinned_at).toBeNull()

    // The change feed: each changed message once, in rev order, and paging by the last rev.
    const feed = await b.changes(room.room_id, 0)
    const last = (await b.getRoom(room.room_id)).last_rev
    expect(feed).toMatchObject({ last_rev: last, has_more: false })
    expect(feed.messages.map((m) => m.message_id)).toEqual([root.message_id, reply.message_id])
    expect(feed.messages.map((m) => m.rev)).toEqual([...feed.messages.map((m) => m.rev)].sort((x, y) => x - y))
    const page = await b.changes(room.room_id, 0, { limit: 1 })
    expect(page.has_more).toBe(true)
    expect((await b.changes(room.room_id, page.messages[0]!.rev)).messages.map((m) => m.message_id)).toEqual([reply.message_id])
  })

  test('the realtime send takes parentId and mentions', async () => {
    const [alice, bob] = [uniq('alice'), uniq('bob')]
    const room = await rest(alice).createRoom({ type: 'group', members: [bob] })
    const c = new ChatClient({ baseUrl: s.url, apiKey: t.api_key, userId: bob, ...FAST })
    open.push(c)
    await c.connect()
    const root = await c.send(room.room_id, 'root')
    const reply = await c.send(room.room_id, `hi @${alice}`, { parentId: root.message_id, mentions: [alice] })
    expect(await rest(alice).getMessage(room.room_id, reply.message_id)).toMatchObject({ parent_id: root.message_id, mentions: [alice] })
    await expect(c.send(room.room_id, 'bad', { parentId: reply.message_id })).rejects.toMatchObject({ code: 'VALIDATION_ERROR', field: 'parent_id' })
  })
})

/** A WebSocket for the client that can lose the network: offline, open sockets close and new ones cannot connect. */
function network() {
  const net = {
    offline: false,
    sockets: [] as WebSocket[],
    /** Every frame the client wrote, parsed. */
    sent: [] as Record<string, unknown>[],
    /** Frames injected into the current socket as if the server had sent them. */
    inject(frame: unknown) {
      const ws = net.sockets.at(-1) as unknown as { onmessage: (ev: { data: string }) => void }
      ws.onmessage({ data: JSON.stringify(frame) })
    },
    goOffline() {
      net.offline = true
      for (const ws of net.sockets) ws.close()
    },
  }
  class FlakyWebSocket extends CheckedWebSocket {
    constructor(url: string | URL, init?: ConstructorParameters<typeof WebSocket>[1]) {
      super(net.offline ? 'ws://127.0.0.1:9/ws' : url, init) // port 9 (discard): refused here
      net.sockets.push(this)
    }
    override send(data: string) {
      net.sent.push(JSON.parse(data))
      super.send(data)
    }
  }
  return { net, WebSocket: FlakyWebSocket }
}

/** What an app keeps: the room's messages, from `message` events and the changes it applied. */
function appState(r: Recorder) {
  const messages = new Map<string, Message>()
  const applied: { message_id: string; rev: number; kind: string }[] = []
  r.client.on('message', (m) => messages.set(m.message_id, m))
  const onChange = (m: ChangedMessage) => {
    const { change, ...copy } = m
    applied.push({ message_id: m.message_id, rev: m.rev, kind: change.kind })
    messages.set(m.message_id, copy)
  }
  r.client.on('message.updated', onChange)
  r.client.on('message.deleted', onChange)
  return { messages, applied }
}

describe('realtime: offline, then catching up on changes', () => {
  test('edits, a delete, reactions, a pin and a reply made meanwhile: the client ends with the server’s state, each change once, in rev order', async () => {
    const [alice, bob, carol] = [uniq('alice'), uniq('bob'), uniq('carol')]
    const a = rest(alice)
    const c = rest(carol)
    const { net, WebSocket } = network()
    const bobR = record(new ChatClient({ baseUrl: s.url, apiKey: t.api_key, userId: bob, ...FAST, WebSocket: WebSocket as never }))
    open.push(bobR.client)
    const app = appState(bobR)
    const room = await a.createRoom({ type: 'group', members: [bob, carol] })
    await bobR.client.connect()
    await bobR.client.rest.listRooms() // the app's room list: seeds the room's rev (0)
    expect(bobR.client.lastRev(room.room_id)).toBe(0)

    const sent = []
    for (const i of range(1, 6)) sent.push(await a.sendMessage(room.room_id, { content: `m${i}` }))
    const ids = sent.map((m) => m.message_id)
    await bobR.waitMessages(6, room.room_id)
    // One change while online: it comes live and moves the room's rev.
    await c.addReaction(room.room_id, ids[5]!, '👀')
    await bobR.waitFor('message.updated', (m) => m.message_id === ids[5])
    expect(bobR.client.lastRev(room.room_id)).toBe(1)
    await bobR.waitFor('ack', (x) => x.room_id === room.room_id && x.seq === 6)

    net.goOffline()
    await bobR.waitFor('disconnected')
    await a.editMessage(room.room_id, ids[0]!, { content: 'm1 edited' })
    await a.deleteMessage(room.room_id, ids[1]!)
    await a.addReaction(room.room_id, ids[2]!, '👍')
    await c.addReaction(room.room_id, ids[2]!, '👍')
    await a.pin(room.room_id, ids[3]!)
    const reply = await a.sendMessage(room.room_id, { content: 'a reply', parent_id: ids[4]!, mentions: [bob] })
    await a.editMessage(room.room_id, ids[0]!, { content: 'm1 edited twice' }) // two edits, one catch-up copy
    await c.removeReaction(room.room_id, ids[5]!, '👀')
    const before = bobR.events.filter((e) => e.type === 'message.updated' || e.type === 'message.deleted').length
    expect(before).toBe(1) // nothing reached bob while offline

    net.offline = false
    bobR.client.reconnectNow()
    const target = (await a.getRoom(room.room_id)).last_rev
    expect(target).toBe(9)
    await bobR.waitFor('changes.synced', (x) => x.room_id === room.room_id && x.rev === target)
    await bobR.waitMessages(7, room.room_id) // the reply, by seq

    // Exactly the server's state: every message, field for field.
    const server = (await bobR.client.rest.listMessages(room.room_id, { limit: 200 })).messages
    const local = [...app.messages.values()].sort((x, y) => x.seq - y.seq)
    expect(local).toEqual(server)
    expect(local.find((m) => m.message_id === reply.message_id)).toMatchObject({ parent_id: ids[4], mentions: [bob] })
    expect(local[1]).toMatchObject({ content: '', deleted_at: expect.any(String) })
    expect(local[2]!.reactions).toEqual([{ key: '👍', count: 2, user_ids: [alice, carol] }])
    expect(local[3]!.pinned_by).toBe(alice)
    expect(local[4]!.reply_count).toBe(1)
    expect(bobR.client.lastRev(room.room_id)).toBe(target)

    // Each change applied once, each message's revs ascending; the catch-up sent the current state
    // of each changed message once (5 messages changed while offline, rev order).
    const keys = app.applied.map((x) => `${x.message_id}@${x.rev}`)
    expect(new Set(keys).size).toBe(keys.length)
    for (const id of ids) {
      const revs = app.applied.filter((x) => x.message_id === id).map((x) => x.rev)
      expect(revs).toEqual([...revs].sort((x, y) => x - y))
    }
    const caughtUp = app.applied.slice(1)
    expect(caughtUp.map((x) => x.rev)).toEqual([...caughtUp.map((x) => x.rev)].sort((x, y) => x - y))
    expect(caughtUp.map((x) => x.message_id).sort()).toEqual([ids[0], ids[1], ids[2], ids[3], ids[4], ids[5]].sort())
    expect(bobR.errors).toEqual([])

    // Live again: a new change arrives and is applied.
    await a.unpin(room.room_id, ids[3]!)
    await bobR.waitFor('message.updated', (m) => m.message_id === ids[3] && m.change.kind === 'unpinned')
    expect(app.messages.get(ids[3]!)!.pinned_at).toBeNull()
    expect(bobR.client.lastRev(room.room_id)).toBe(target + 1)
  }, 30_000)

  test('a connection lost in the middle of a truncated catch-up resumes from where it got to', async () => {
    const [alice, bob] = [uniq('alice'), uniq('bob')]
    const a = rest(alice)
    const { net, WebSocket } = network()
    const bobR = record(new ChatClient({ baseUrl: s.url, apiKey: t.api_key, userId: bob, ...FAST, WebSocket: WebSocket as never }))
    open.push(bobR.client)
    const app = appState(bobR)
    const room = await a.createRoom({ type: 'group', members: [bob] })
    await bobR.client.connect()
    await bobR.client.rest.listRooms()
    const ids: string[] = []
    for (const i of range(1, 8)) ids.push((await a.sendMessage(room.room_id, { content: `m${i}` })).message_id)
    await bobR.waitMessages(8, room.room_id)
    await bobR.waitFor('ack', (x) => x.room_id === room.room_id && x.seq === 8)
    net.goOffline()
    await bobR.waitFor('disconnected')
    for (const id of ids) await a.editMessage(room.room_id, id, { content: `edited ${id}` }) // revs 1..8

    // Back online; the first truncated catch-up (3 of 8 sent) cuts the network again.
    // (Cut before the client handles the frame: its request for the rest never leaves.)
    const cut = new Promise<void>((resolve) => {
      const off = bobR.client.on('frame', (f) => {
        if (f.type !== 'sync.truncated' || !('from_rev' in f)) return
        off()
        net.goOffline()
        resolve()
      })
    })
    net.offline = false
    bobR.client.reconnectNow()
    await cut
    await bobR.waitFor('disconnected', () => bobR.events.filter((e) => e.type === 'disconnected').length === 2)
    expect(bobR.client.lastRev(room.room_id)).toBe(3) // what the cut catch-up really streamed
    net.offline = false
    bobR.client.reconnectNow()
    await bobR.waitFor('changes.synced', (x) => x.room_id === room.room_id && x.rev === 8)
    const server = (await a.listMessages(room.room_id)).messages
    expect([...app.messages.values()].sort((x, y) => x.seq - y.seq)).toEqual(server)
    expect(app.applied.map((x) => x.rev)).toEqual(range(1, 8)) // each once, in order, across the two catch-ups
  }, 20_000)

  test('with many rooms, the room list picks the ones that changed: one catch-up sync, not one per room', async () => {
    const [alice, bob] = [uniq('alice'), uniq('bob')]
    const a = rest(alice)
    const { net, WebSocket } = network()
    const bobR = record(new ChatClient({ baseUrl: s.url, apiKey: t.api_key, userId: bob, ...FAST, WebSocket: WebSocket as never }))
    open.push(bobR.client)
    const app = appState(bobR)
    const rooms: string[] = []
    for (const _ of range(1, 12)) rooms.push((await a.createRoom({ type: 'group', members: [bob] })).room_id)
    await bobR.client.connect()
    await bobR.client.rest.listRooms({ limit: 200 })
    const msgs: { message_id: string }[] = []
    for (const room of rooms) msgs.push(await a.sendMessage(room, { content: 'hi' }))
    await bobR.waitMessages(12)
    for (const room of rooms) await bobR.waitFor('ack', (x) => x.room_id === room && x.seq === 1)
    net.goOffline()
    await bobR.waitFor('disconnected')
    await a.editMessage(rooms[4]!, msgs[4]!.message_id, { content: 'changed' })
    net.sent.length = 0
    net.offline = false
    bobR.client.reconnectNow()
    await bobR.waitFor('changes.synced', (x) => x.room_id === rooms[4] && x.rev === 1)
    for (const room of rooms) await bobR.waitFor('changes.synced', (x) => x.room_id === room)
    expect(net.sent.filter((f) => f.type === 'sync' && 'after_rev' in f).map((f) => f.room_id)).toEqual([rooms[4]])
    expect(app.messages.get(msgs[4]!.message_id)!.content).toBe('changed')
    expect(bobR.errors).toEqual([])
  }, 20_000)

  test('a stale frame (lower or equal rev) is not applied; a reconnect with nothing new applies nothing', async () => {
    const [alice, bob] = [uniq('alice'), uniq('bob')]
    const a = rest(alice)
    const { net, WebSocket } = network()
    const bobR = record(new ChatClient({ baseUrl: s.url, apiKey: t.api_key, userId: bob, ...FAST, WebSocket: WebSocket as never }))
    open.push(bobR.client)
    const app = appState(bobR)
    const room = await a.createRoom({ type: 'group', members: [bob] })
    await bobR.client.connect()
    await bobR.client.rest.getRoom(room.room_id)
    const m = await a.sendMessage(room.room_id, { content: 'v1' })
    await bobR.waitMessages(1, room.room_id)
    const frames: Record<string, unknown>[] = []
    bobR.client.on('frame', (f) => {
      if (f.type === 'message.updated') frames.push(f as unknown as Record<string, unknown>)
    })
    await a.editMessage(room.room_id, m.message_id, { content: 'v2' })
    await bobR.waitFor('message.updated', (x) => x.content === 'v2')
    await a.editMessage(room.room_id, m.message_id, { content: 'v3' })
    await bobR.waitFor('message.updated', (x) => x.content === 'v3')
    expect(frames.map((f) => f.rev)).toEqual([1, 2])

    net.inject(frames[0]) // an older copy arriving late
    net.inject(frames[1]) // the same change again
    expect(bobR.client.staleChangesDropped).toBe(2)
    expect(app.messages.get(m.message_id)!.content).toBe('v3')
    expect(app.applied.map((x) => x.rev)).toEqual([1, 2])

    // Offline and back with no change meanwhile: the catch-up finds nothing to apply.
    net.goOffline()
    await bobR.waitFor('disconnected')
    net.offline = false
    bobR.client.reconnectNow()
    await bobR.waitFor('changes.synced', (x) => x.room_id === room.room_id && x.rev === 2)
    expect(app.applied.map((x) => x.rev)).toEqual([1, 2])
    expect(app.messages.get(m.message_id)).toEqual(await a.getMessage(room.room_id, m.message_id))
  }, 20_000)
})
