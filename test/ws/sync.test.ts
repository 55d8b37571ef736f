// Sync on connect and on request, truncation, and ordering under load (SPEC §5 step 3, §6, §10; TESTING B1, B5).

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { startTestServer, type TestServer } from '../support/server'
import { onSqlite } from '../support/storage'
import { WsClient, type Frame } from '../support/ws'
import { alive, collect, flood, NO_REDELIVERY, ready, restSend, roomWith } from './helpers'

const MAX = 5
let s: TestServer
beforeAll(async () => (s = await startTestServer({ ...NO_REDELIVERY, SYNC_MAX_PER_ROOM: String(MAX), WS_MSG_RATE: '2000' })))
afterAll(() => s.stop())

/** The frames a fresh connection gets up to and including the initial sync.done. */
async function initialSync(headers: Record<string, string>) {
  const c = await WsClient.connect(s.wsUrl, headers)
  await c.next('sync.done', 5000, (f) => f.room_id === undefined)
  const upTo = c.log.findIndex((f) => f.type === 'sync.done')
  c.frames.splice(0, c.frames.length) // consumed here: the caller reads `frames`
  return { c, frames: c.log.slice(0, upTo + 1) }
}

const seqs = (fs: Frame[], roomId: string) => fs.filter((f) => f.type === 'message' && f.room_id === roomId).map((f) => f.seq)
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i)

test('reconnecting after missed messages streams exactly seq > ack, in order, then sync.done, then live', async () => {
  const t = await s.newTenant()
  const room = await roomWith(t, 'alice', ['bob'])
  const bob = await ready(s.wsUrl, t.headers('bob'))
  for (const n of [1, 2, 3]) await restSend(t, 'alice', room, `m${n}`)
  await collect(bob, 'message', 3)
  expect((await bob.request({ type: 'ack', room_id: room, seq: 3 }, 'ack.received')).seq).toBe(3)
  bob.close()
  await bob.closed()

  const missed: Awaited<ReturnType<typeof restSend>>[] = []
  for (const n of [4, 5]) missed.push(await restSend(t, 'alice', room, `m${n}`))
  const { c, frames } = await initialSync(t.headers('bob'))
  expect(frames.map((f) => f.type)).toEqual(['connected', 'message', 'message', 'sync.done'])
  expect(frames.slice(1, 3).map((f) => [f.seq, f.message_id, f.content])).toEqual(missed.map((m, i) => [m.seq, m.message_id, `m${i + 4}`]))
  expect(frames[3]).toEqual({ type: 'sync.done' })

  const live = await restSend(t, 'alice', room, 'm6')
  expect(await c.next('message')).toMatchObject({ seq: 6, message_id: live.message_id })
  c.close()
})

test('an up-to-date user gets no messages on connect, only sync.done; rooms sync one after another', async () => {
  const t = await s.newTenant()
  const r1 = await roomWith(t, 'alice', ['bob'])
  const r2 = await roomWith(t, 'alice', ['bob'])
  await restSend(t, 'bob', r1, 'own message moves own ack') // the sender's ack moves to its seq
  await restSend(t, 'alice', r2, 'x')
  await restSend(t, 'alice', r2, 'y')
  const { c, frames } = await initialSync(t.headers('bob'))
  expect(seqs(frames, r1)).toEqual([])
  expect(seqs(frames, r2)).toEqual([1, 2])
  c.close()
})

describe(`SYNC_MAX_PER_ROOM=${MAX}`, () => {
  test('on connect: the oldest MAX after the ack, then sync.truncated {room_id, from_seq}, then sync.done', async () => {
    const t = await s.newTenant()
    const room = await roomWith(t, 'alice', ['bob'])
    for (let i = 1; i <= 12; i++) await restSend(t, 'alice', room, `m${i}`)
    const { c, frames } = await initialSync(t.headers('bob'))
    expect(seqs(frames, room)).toEqual(range(1, MAX))
    const trunc = frames.filter((f) => f.type === 'sync.truncated')
    expect(trunc).toEqual([{ type: 'sync.truncated', room_id: room, from_seq: MAX + 1 }])
    // truncated comes after the room's messages and before sync.done
    expect(frames.findIndex((f) => f.type === 'sync.truncated')).toBe(frames.length - 2)
    c.close()
  })

  test('exactly MAX pending is not truncated', async () => {
    const t = await s.newTenant()
    const room = await roomWith(t, 'alice', ['bob'])
    for (let i = 1; i <= MAX; i++) await restSend(t, 'alice', room, `m${i}`)
    const { c, frames } = await initialSync(t.headers('bob'))
    expect(seqs(frames, room)).toEqual(range(1, MAX))
    expect(frames.some((f) => f.type === 'sync.truncated')).toBe(false)
    c.close()
  })

  test('explicit sync re-streams from after_seq, continues from from_seq - 1, and ends with sync.done {room_id}', async () => {
    const t = await s.newTenant()
    const room = await roomWith(t, 'alice', ['bob'])
    const sent: Awaited<ReturnType<typeof restSend>>[] = []
    for (let i = 1; i <= 12; i++) sent.push(await restSend(t, 'alice', room, `m${i}`))
    const bob = await ready(s.wsUrl, t.headers('bob'))
    bob.drain('message')
    bob.drain('sync.truncated')

    const seen: number[] = []
    let after = 0
    for (let round = 0; round < 5; round++) {
      const done = await bob.request({ type: 'sync', room_id: room, after_seq: after }, 'sync.done')
      expect(done).toMatchObject({ type: 'sync.done', room_id: room })
      const msgs = bob.drain('message')
      const trunc = bob.drain('sync.truncated')
      seen.push(...msgs.map((m) => m.seq))
      expect(msgs.map((m) => m.message_id)).toEqual(msgs.map((m) => sent[m.seq - 1].message_id))
      if (trunc.length === 0) break
      expect(trunc).toEqual([{ type: 'sync.truncated', room_id: room, from_seq: msgs[msgs.length - 1].seq + 1 }])
      after = trunc[0].from_seq - 1
    }
    expect(seen).toEqual(range(1, 12))

    // re-streaming already-seen seqs is allowed (clients dedupe by message_id)
    await bob.request({ type: 'sync', room_id: room, after_seq: 10 }, 'sync.done')
    expect(bob.drain('message').map((m) => m.seq)).toEqual([11, 12])
    // nothing after the last seq: just sync.done
    await bob.request({ type: 'sync', room_id: room, after_seq: 12 }, 'sync.done')
    expect(bob.drain('message')).toEqual([])
    bob.close()
  })

  test('explicit sync of a room you are not in → error frame; the socket stays up', async () => {
    const t = await s.newTenant()
    const room = await roomWith(t, 'alice', ['bob'])
    await restSend(t, 'alice', room, 'secret')
    const eve = await ready(s.wsUrl, t.headers('eve'))
    const r = await eve.request({ type: 'sync', room_id: room, after_seq: 0 }, 'sync.done')
    expect(r).toMatchObject({ type: 'error', code: 'NOT_FOUND' })
    expect(eve.log.some((f) => f.type === 'message')).toBe(false)
    await alive(eve)
    eve.close()
  })
})

describe('ordering under load (default SYNC_MAX_PER_ROOM)', () => {
  let s: TestServer
  beforeAll(async () => (s = await startTestServer({ ...NO_REDELIVERY, WS_MSG_RATE: '2000' })))
  afterAll(() => s.stop())

  test('200 fast messages from two senders reach a third member in strictly ascending seq, no gap', async () => {
    const t = await s.newTenant()
    const room = await roomWith(t, 'alice', ['bob', 'carol'])
    const alice = await ready(s.wsUrl, t.headers('alice'))
    const bob = await ready(s.wsUrl, t.headers('bob'))
    const carol = await ready(s.wsUrl, t.headers('carol'))
    for (let i = 0; i < 100; i++) {
      alice.send({ type: 'send_message', room_id: room, content: `a${i}`, request_id: `a${i}` })
      bob.send({ type: 'send_message', room_id: room, content: `b${i}`, request_id: `b${i}` })
    }
    const got = await collect(carol, 'message', 200, 15_000)
    expect(got.map((m) => m.seq)).toEqual(range(1, 200))
    // each sender's messages keep its own send order
    for (const p of ['a', 'b']) {
      const mine = got.filter((m) => m.content.startsWith(p)).map((m) => Number(m.content.slice(1)))
      expect(mine).toEqual(range(0, 99))
    }
    // every message.sent matches the stored seq of that content
    const acks = await collect(alice, 'message.sent', 100)
    const bySeq = new Map(got.map((m) => [m.seq, m.content]))
    for (const a of acks) expect(bySeq.get(a.seq)).toBe(a.request_id)
    expect(alice.log.some((f) => f.type === 'error') || bob.log.some((f) => f.type === 'error')).toBe(false)
    for (const c of [alice, bob, carol]) c.close()
  })

  // Exact on one instance (commits and the subscribe share a thread). With shared storage another
  // instance may commit between the last sync read and the subscribe; the catch-up read then sends
  // those, possibly repeated or ahead of a live frame (docs/scaling.md), so this runs on SQLite only.
  test.skipIf(!onSqlite)('connecting mid-flood: sync then live form one ascending run with no gap and no repeat', async () => {
    const t = await s.newTenant()
    const room = await roomWith(t, 'alice', ['bob'])
    const alice = await ready(s.wsUrl, t.headers('alice'))
    // A backlog big enough that bob's sync outgrows the socket buffers and parks on drain: the stream
    // below keeps committing meanwhile, which is when an early subscribe would interleave live frames.
    const BACKLOG = 400
    await flood(alice, room, BACKLOG, 16_000)
    alice.drain('message')
    const MORE = 90
    let acked = 0
    const allSent = new Promise<void>((resolve) => {
      alice.ws.addEventListener('message', (e) => {
        if (JSON.parse(String(e.data)).type === 'message.sent' && ++acked === MORE) resolve()
      })
    })
    const pump = (async () => {
      for (let i = 0; i < MORE; i++) {
        alice.send({ type: 'send_message', room_id: room, content: `m${i}` })
        await Bun.sleep(2) // a steady stream, so bob's connect and sync land in the middle of it
      }
    })()
    while (acked < 5) await alice.next('message', 5000)
    const bob = await WsClient.connect(s.wsUrl, t.headers('bob'))
    await pump
    await allSent
    const N = BACKLOG + MORE
    await bob.next('sync.done', 20_000, (f) => f.room_id === undefined)
    const last = () => bob.log.filter((f) => f.type === 'message').at(-1)?.seq ?? 0
    while (last() < N) await bob.next('message', 5000)
    expect(bob.log.filter((f) => f.type === 'message').map((f) => f.seq)).toEqual(range(1, N))
    // the join really was mid-flood: seqs past the backlog came by sync, later ones live
    const done = bob.log.findIndex((f) => f.type === 'sync.done')
    expect(done - 1).toBeGreaterThan(BACKLOG)
    expect(done - 1).toBeLessThan(N)
    expect(bob.log.some((f) => f.type === 'sync.truncated')).toBe(false)
    alice.close()
    bob.close()
  }, 30_000)
})
