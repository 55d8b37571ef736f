// WebSocket `sync … after_rev` (SPEC §11.1): the changes since a rev as message.updated frames in rev
// order, sync.truncated {from_rev} past SYNC_MAX_PER_ROOM, and a client that was offline catching up.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { startTestServer, type TestServer, type TestTenant } from '../support/server'
import type { Frame } from '../support/ws'
import { alive, NO_REDELIVERY, ready, restSend, roomWith } from './helpers'
import type { Message } from '../../src/schemas/message'

const MAX = 5
let s: TestServer
let t: TestTenant
beforeAll(async () => {
  s = await startTestServer({ ...NO_REDELIVERY, SYNC_MAX_PER_ROOM: String(MAX) })
  t = await s.newTenant()
})
afterAll(() => s.stop())

const react = (user: string, room: string, id: string, key: string) =>
  t.as(user)('PUT', `/v1/rooms/${room}/messages/${id}/reactions/${encodeURIComponent(key)}`)

/** Sends a sync and returns the frames for the room up to its sync.done (which is included last). */
async function syncFrames(c: Awaited<ReturnType<typeof ready>>, room: string, cursor: Record<string, number>) {
  const start = c.log.length
  const done = await c.request({ type: 'sync', room_id: room, ...cursor }, 'sync.done', 5000)
  if (done.type === 'error') return [done]
  return c.log.slice(start).filter((f) => f.room_id === room && ['message.updated', 'message', 'sync.truncated', 'sync.done'].includes(f.type))
}

describe('sync by after_rev', () => {
  test('streams each changed message once as message.updated (with the change that set its rev), ascending rev, then sync.done', async () => {
    const room = await roomWith(t, 'alice', ['bob'])
    const ids: string[] = []
    for (let i = 0; i < 4; i++) ids.push((await restSend(t, 'alice', room, `m${i}`)).message_id)
    await react('bob', room, ids[0], '👍') // rev 1
    await t.as('alice')('PATCH', `/v1/rooms/${room}/messages/${ids[1]}`, { body: { content: 'edited' } }) // rev 2
    await t.as('alice')('DELETE', `/v1/rooms/${room}/messages/${ids[2]}`) // rev 3
    await react('alice', room, ids[0], '🎉') // rev 4
    const bob = await ready(s.wsUrl, t.headers('bob'))
    const frames = await syncFrames(bob, room, { after_rev: 0 })
    expect(frames.map((f) => [f.type, f.message_id, f.rev])).toEqual([
      ['message.updated', ids[1], 2],
      ['message.updated', ids[2], 3],
      ['message.updated', ids[0], 4],
      ['sync.done', undefined, undefined],
    ])
    expect(frames[0]).toMatchObject({ content: 'edited', change: { kind: 'edited', user_id: 'alice' } })
    expect(frames[1]).toMatchObject({ content: '', deleted_at: expect.any(String), change: { kind: 'deleted', user_id: 'alice' } })
    expect(frames[2]).toMatchObject({ change: { kind: 'reaction.added', user_id: 'alice', key: '🎉' } })
    expect(frames[3]).toMatchObject({ type: 'sync.done', room_id: room, request_id: expect.any(String) })
    expect((await syncFrames(bob, room, { after_rev: 3 })).map((f) => f.rev)).toEqual([4, undefined])
    expect((await syncFrames(bob, room, { after_rev: 4 })).map((f) => f.type)).toEqual(['sync.done'])
    // after_seq still re-streams messages
    expect((await syncFrames(bob, room, { after_seq: 2 })).map((f) => [f.type, f.seq])).toEqual([['message', 3], ['message', 4], ['sync.done', undefined]])
    bob.close()
  })

  test('past SYNC_MAX_PER_ROOM it stops with sync.truncated {room_id, from_rev}; continuing from from_rev - 1 gets the rest', async () => {
    const room = await roomWith(t, 'alice', ['bob'])
    const ids: string[] = []
    for (let i = 0; i < MAX + 3; i++) ids.push((await restSend(t, 'alice', room, `m${i}`)).message_id)
    for (const id of ids) await react('alice', room, id, '✅')
    const bob = await ready(s.wsUrl, t.headers('bob'))
    const first = await syncFrames(bob, room, { after_rev: 0 })
    expect(first.map((f) => f.rev ?? f.type)).toEqual([1, 2, 3, 4, 5, 'sync.truncated', 'sync.done'])
    expect(first[MAX]).toEqual({ type: 'sync.truncated', room_id: room, from_rev: 6 })
    const rest = await syncFrames(bob, room, { after_rev: first[MAX].from_rev - 1 })
    expect(rest.map((f) => f.rev ?? f.type)).toEqual([6, 7, 8, 'sync.done'])
    bob.close()
  })

  test('both cursors or neither is VALIDATION_ERROR; a non-member gets the room error; the socket stays up', async () => {
    const room = await roomWith(t, 'alice', ['bob'])
    const bob = await ready(s.wsUrl, t.headers('bob'))
    expect(await bob.request({ type: 'sync', room_id: room, after_seq: 0, after_rev: 0 }, 'sync.done')).toMatchObject({ type: 'error', code: 'VALIDATION_ERROR', field: 'after_rev' })
    expect(await bob.request({ type: 'sync', room_id: room }, 'sync.done')).toMatchObject({ type: 'error', code: 'VALIDATION_ERROR', field: 'after_seq' })
    expect(await bob.request({ type: 'sync', room_id: room, after_rev: -1 }, 'sync.done')).toMatchObject({ type: 'error', code: 'VALIDATION_ERROR', field: 'after_rev' })
    const mallory = await ready(s.wsUrl, t.headers('mallory'))
    expect(await mallory.request({ type: 'sync', room_id: room, after_rev: 0 }, 'sync.done')).toMatchObject({ type: 'error', code: 'NOT_FOUND' })
    const other = await s.newTenant()
    const eve = await ready(s.wsUrl, other.headers('bob'))
    expect(await eve.request({ type: 'sync', room_id: room, after_rev: 0 }, 'sync.done')).toMatchObject({ type: 'error', code: 'NOT_FOUND' })
    await alive(bob)
    for (const c of [bob, mallory, eve]) c.close()
  })
})

describe('a client that was offline catches up over WebSocket', () => {
  test('B reads and disconnects; A edits, deletes, reacts, pins and replies; B reconnects, syncs after_rev and ends with exactly A\'s state', async () => {
    const room = await roomWith(t, 'alice', ['bob'])
    const ids: string[] = []
    for (let i = 0; i < 5; i++) ids.push((await restSend(t, 'alice', room, `m${i}`)).message_id) // = SYNC_MAX_PER_ROOM

    // B connects, receives everything, acks it and keeps the room's rev; then goes away
    const held = new Map<string, Message>()
    const apply = (f: Frame) => {
      const { type: _t, change: _c, request_id: _r, ...m } = f
      const mine = held.get(m.message_id)
      if (!mine || m.rev > mine.rev) held.set(m.message_id, m as Message)
    }
    let bob = await ready(s.wsUrl, t.headers('bob'))
    for (const f of bob.log.filter((x) => x.type === 'message' && x.room_id === room)) apply(f)
    expect(held.size).toBe(5)
    await bob.request({ type: 'ack', room_id: room, seq: 5 }, 'ack.received')
    const lastRev = (await t.as('bob')('GET', `/v1/rooms/${room}`)).body.last_rev
    bob.close()
    await bob.closed()

    const a = t.as('alice')
    await a('PATCH', `/v1/rooms/${room}/messages/${ids[0]}`, { body: { content: 'edited while away' } })
    await a('DELETE', `/v1/rooms/${room}/messages/${ids[1]}`)
    await react('alice', room, ids[2], '🎉')
    await a('PUT', `/v1/rooms/${room}/pins/${ids[3]}`)
    await restSend(t, 'alice', room, 'a reply', { parent_id: ids[4] })

    // B reconnects: the connect sync brings the new message (seq > ack), sync after_rev the changes
    bob = await ready(s.wsUrl, t.headers('bob'))
    for (const f of bob.log.filter((x) => x.type === 'message' && x.room_id === room)) apply(f)
    let frames = await syncFrames(bob, room, { after_rev: lastRev })
    for (let round = 0; round < 5 && frames.some((f) => f.type === 'sync.truncated'); round++) {
      frames.filter((f) => f.type === 'message.updated').forEach(apply)
      frames = await syncFrames(bob, room, { after_rev: frames.find((f) => f.type === 'sync.truncated')!.from_rev - 1 })
    }
    frames.filter((f) => f.type === 'message.updated').forEach(apply)
    expect(frames.filter((f) => f.type === 'message.updated').map((f) => f.change.kind)).toEqual(['edited', 'deleted', 'reaction.added', 'pinned', 'reply'])

    const truth = (await a('GET', `/v1/rooms/${room}/messages`)).body.messages as Message[]
    expect([...held.values()].sort((x, y) => x.seq - y.seq)).toEqual(truth)
    expect(truth).toHaveLength(6)
    expect(truth.map((m) => m.rev)).toEqual([1, 2, 3, 4, 5, 0])
    bob.close()
  })
})
