// The per-room ordering of live frames on shared storage (src/broker/room-order.ts), driven directly:
// frames arrive out of seq order as they do from Redis, the "store" is an array, sockets are fakes
// that record what they were sent (directly or through the topic).

import { describe, expect, test } from 'bun:test'
import type { ServerWebSocket } from 'bun'
import { createRoomOrder, type OrderKind } from '../../src/broker/room-order'
import type { SerializedFrame } from '../../src/schemas/server-frames'

const TOPIC = 't:ten:room:r1'
const frame = (seq: number, kind: OrderKind = 'created') => JSON.stringify({ type: kind === 'created' ? 'message' : 'message.updated', seq }) as SerializedFrame
const seqsOf = (frames: string[], type = 'message') => frames.map((f) => JSON.parse(f)).filter((f) => f.type === type).map((f) => f.seq as number)

function harness(o: { holdMs?: number; stored?: number[] } = {}) {
  const sockets = new Set<FakeSocket>()
  /** Seqs in the "store" (what readAfter returns). */
  const stored = o.stored ?? []
  let reads = 0
  let failReads = 0
  let readGate: Promise<void> | null = null
  const waits: number[] = []
  const order = createRoomOrder({
    holdMs: o.holdMs ?? 20,
    deliver: (topic, data) => {
      for (const s of sockets) if (s.topics.has(topic)) s.got.push(data)
    },
    subscriberCount: (topic) => [...sockets].filter((s) => s.topics.has(topic)).length,
    readAfter: async (_room, after, limit) => {
      reads++
      if (readGate) await readGate
      if (failReads > 0) {
        failReads--
        throw new Error('store down')
      }
      return stored.filter((s) => s > after).sort((a, b) => a - b).slice(0, limit).map((seq) => ({ seq, data: frame(seq) }))
    },
    onWait: (ms) => waits.push(ms),
    warn: () => {},
  })
  const socket = () => {
    const s = new FakeSocket()
    sockets.add(s)
    return s
  }
  return {
    order,
    stored,
    socket,
    waits,
    reads: () => reads,
    failNextReads: (n: number) => void (failReads = n),
    /** Holds every store read until the returned function is called. */
    gateReads() {
      let open!: () => void
      readGate = new Promise((r) => (open = r))
      return () => {
        readGate = null
        open()
      }
    },
  }
}

class FakeSocket {
  readyState = 1
  topics = new Set<string>()
  got: string[] = []
  send(data: string) {
    this.got.push(data)
    return data.length
  }
  subscribe(t: string) {
    this.topics.add(t)
  }
  unsubscribe(t: string) {
    this.topics.delete(t)
  }
  get ws() {
    return this as unknown as ServerWebSocket<unknown>
  }
}

const until = async (cond: () => boolean, ms = 2000) => {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await Bun.sleep(2)
  }
}

describe('room order', () => {
  test('a frame above the next seq waits for the missing one and both go out in order', () => {
    const h = harness({ holdMs: 10_000 })
    const s = h.socket()
    expect(h.order.joinQuiet(s.ws, TOPIC, 10)).toBe(true)
    h.order.onFrame(TOPIC, 'created', 11, frame(11))
    h.order.onFrame(TOPIC, 'created', 13, frame(13))
    h.order.onFrame(TOPIC, 'created', 14, frame(14))
    expect(seqsOf(s.got)).toEqual([11])
    h.order.onFrame(TOPIC, 'created', 12, frame(12))
    expect(seqsOf(s.got)).toEqual([11, 12, 13, 14])
    expect(h.reads()).toBe(0)
    h.order.stop()
  })

  test('a gap that does not fill within the hold is read from the store', async () => {
    const h = harness({ holdMs: 20, stored: [1, 2, 3, 4, 5] })
    const s = h.socket()
    h.order.joinQuiet(s.ws, TOPIC, 1)
    h.order.onFrame(TOPIC, 'created', 4, frame(4))
    expect(seqsOf(s.got)).toEqual([])
    await until(() => s.got.length >= 3)
    expect(seqsOf(s.got)).toEqual([2, 3, 4])
    expect(h.reads()).toBe(1)
    // The missing ones then arrive late through Redis: already delivered, dropped.
    h.order.onFrame(TOPIC, 'created', 2, frame(2))
    h.order.onFrame(TOPIC, 'created', 3, frame(3))
    h.order.onFrame(TOPIC, 'created', 5, frame(5))
    expect(seqsOf(s.got)).toEqual([2, 3, 4, 5])
    expect(Math.max(...h.waits)).toBeGreaterThanOrEqual(15)
    h.order.stop()
  })

  test('a seq the store no longer has is skipped, not waited for forever', async () => {
    const h = harness({ holdMs: 10, stored: [1, 3] }) // 2 was purged
    const s = h.socket()
    h.order.joinQuiet(s.ws, TOPIC, 1)
    h.order.onFrame(TOPIC, 'created', 3, frame(3))
    await until(() => s.got.length > 0)
    expect(seqsOf(s.got)).toEqual([3])
    h.order.onFrame(TOPIC, 'created', 4, frame(4))
    expect(seqsOf(s.got)).toEqual([3, 4])
    h.order.stop()
  })

  test('a failing store read is retried; frames stay held and in order meanwhile', async () => {
    const h = harness({ holdMs: 10, stored: [1, 2, 3] })
    const s = h.socket()
    h.order.joinQuiet(s.ws, TOPIC, 1)
    h.failNextReads(1)
    h.order.onFrame(TOPIC, 'created', 3, frame(3))
    await until(() => h.reads() >= 1)
    expect(seqsOf(s.got)).toEqual([])
    await until(() => s.got.length === 2)
    expect(seqsOf(s.got)).toEqual([2, 3])
    h.order.stop()
  })

  test('a change to a held message goes out right after it; a change to a delivered one at once', () => {
    const h = harness({ holdMs: 10_000 })
    const s = h.socket()
    h.order.joinQuiet(s.ws, TOPIC, 0)
    h.order.onFrame(TOPIC, 'created', 1, frame(1))
    h.order.onFrame(TOPIC, 'changed', 1, frame(1, 'changed'))
    h.order.onFrame(TOPIC, 'created', 3, frame(3))
    h.order.onFrame(TOPIC, 'changed', 3, frame(3, 'changed'))
    expect(s.got.map((f) => JSON.parse(f).type + JSON.parse(f).seq)).toEqual(['message1', 'message.updated1'])
    h.order.onFrame(TOPIC, 'created', 2, frame(2))
    expect(s.got.map((f) => JSON.parse(f).type + JSON.parse(f).seq)).toEqual(['message1', 'message.updated1', 'message2', 'message3', 'message.updated3'])
    h.order.stop()
  })

  test('frames of a room no socket here follows go straight through', () => {
    const h = harness()
    const s = h.socket()
    s.subscribe(TOPIC) // subscribed outside the ordering (as one instance on SQLite does)
    h.order.onFrame(TOPIC, 'created', 7, frame(7))
    h.order.onFrame(TOPIC, 'created', 5, frame(5))
    expect(seqsOf(s.got)).toEqual([7, 5])
    h.order.stop()
  })

  test('a socket joining after its sync gets what the stream passed meanwhile, then live frames, without a gap', async () => {
    const h = harness({ holdMs: 10_000, stored: [1, 2, 3, 4, 5] })
    const first = h.socket()
    h.order.joinQuiet(first.ws, TOPIC, 3)
    h.order.onFrame(TOPIC, 'created', 4, frame(4))
    h.order.onFrame(TOPIC, 'created', 5, frame(5))
    // A second socket whose sync read stopped at 2: frames 6 and 7 are released while its join reads.
    const late = h.socket()
    const release = h.gateReads()
    const joined = h.order.joinAfterRead(late.ws, TOPIC, 2)
    h.stored.push(6, 7)
    h.order.onFrame(TOPIC, 'created', 6, frame(6))
    h.order.onFrame(TOPIC, 'created', 7, frame(7))
    release()
    expect(await joined).toBe(true)
    h.order.onFrame(TOPIC, 'created', 8, frame(8))
    expect(seqsOf(late.got)).toEqual([3, 4, 5, 6, 7, 8])
    expect(seqsOf(first.got)).toEqual([4, 5, 6, 7, 8])
    h.order.stop()
  })

  test('a join on a room with no stream here yet anchors it at the read, and a frame the read missed still arrives', async () => {
    const h = harness({ holdMs: 10_000, stored: [1, 2] })
    const s = h.socket()
    const release = h.gateReads()
    const joined = h.order.joinAfterRead(s.ws, TOPIC, 0)
    release()
    expect(await joined).toBe(true)
    h.order.onFrame(TOPIC, 'created', 3, frame(3))
    expect(seqsOf(s.got)).toEqual([1, 2, 3])
    h.order.stop()
  })

  test('a quiet join refuses when the stream here passed its cursor, so the caller syncs the room', () => {
    const h = harness({ holdMs: 10_000 })
    const a = h.socket()
    h.order.joinQuiet(a.ws, TOPIC, 5)
    h.order.onFrame(TOPIC, 'created', 6, frame(6))
    const b = h.socket()
    expect(h.order.joinQuiet(b.ws, TOPIC, 5)).toBe(false)
    expect(b.topics.has(TOPIC)).toBe(false)
    expect(h.order.joinQuiet(b.ws, TOPIC, 6)).toBe(true)
    h.order.stop()
  })

  test('leaving during a join abandons it: the socket is not subscribed', async () => {
    const h = harness({ stored: [1] })
    const s = h.socket()
    const release = h.gateReads()
    const joined = h.order.joinAfterRead(s.ws, TOPIC, 0)
    h.order.leave(s.ws, TOPIC)
    release()
    expect(await joined).toBe(false)
    expect(s.topics.has(TOPIC)).toBe(false)
    h.order.stop()
  })

  test('catch-up reads every followed room to the store end (frames lost while Redis was away)', async () => {
    const h = harness({ stored: [1, 2, 3, 4] })
    const s = h.socket()
    h.order.joinQuiet(s.ws, TOPIC, 1)
    expect(await h.order.catchUp()).toBe(1)
    expect(seqsOf(s.got)).toEqual([2, 3, 4])
    h.order.onFrame(TOPIC, 'created', 4, frame(4))
    h.order.onFrame(TOPIC, 'created', 5, frame(5))
    expect(seqsOf(s.got)).toEqual([2, 3, 4, 5])
    h.order.stop()
  })

  test('sweep forgets rooms nobody here follows', () => {
    const h = harness()
    const s = h.socket()
    h.order.joinQuiet(s.ws, TOPIC, 0)
    h.order.sweep()
    expect(h.order.stats().rooms).toBe(1)
    s.unsubscribe(TOPIC)
    h.order.sweep()
    expect(h.order.stats().rooms).toBe(0)
    h.order.stop()
  })

  test('a socket whose cursor is ahead of the stream here (a frame still in flight) gets nothing twice', () => {
    const h = harness({ holdMs: 10_000 })
    const a = h.socket()
    h.order.joinQuiet(a.ws, TOPIC, 10)
    h.order.onFrame(TOPIC, 'created', 12, frame(12)) // 11 is on its way: 12 is held
    // b's connect-time query already saw 12 committed: it has everything up to 12.
    const b = h.socket()
    expect(h.order.joinQuiet(b.ws, TOPIC, 12)).toBe(true)
    expect(b.topics.has(TOPIC)).toBe(false) // not yet: 11 and 12 would reach it twice
    h.order.onFrame(TOPIC, 'created', 11, frame(11))
    expect(b.topics.has(TOPIC)).toBe(true)
    h.order.onFrame(TOPIC, 'created', 13, frame(13))
    expect(seqsOf(a.got)).toEqual([11, 12, 13])
    expect(seqsOf(b.got)).toEqual([13])
    h.order.stop()
  })

  test('a join whose read got ahead of the stream here subscribes once the stream catches up: no repeat, no gap', async () => {
    const h = harness({ holdMs: 10_000, stored: [1, 2, 3] })
    const a = h.socket()
    h.order.joinQuiet(a.ws, TOPIC, 1)
    // 2 and 3 are committed (the join's read sees them) but their frames have not come yet.
    const b = h.socket()
    expect(await h.order.joinAfterRead(b.ws, TOPIC, 0)).toBe(true)
    expect(seqsOf(b.got)).toEqual([1, 2, 3])
    expect(b.topics.has(TOPIC)).toBe(false)
    h.order.onFrame(TOPIC, 'created', 2, frame(2))
    h.order.onFrame(TOPIC, 'created', 3, frame(3))
    h.order.onFrame(TOPIC, 'created', 4, frame(4))
    expect(seqsOf(b.got)).toEqual([1, 2, 3, 4])
    expect(seqsOf(a.got)).toEqual([2, 3, 4])
    h.order.stop()
  })

  test('a waiting socket whose frames never come is caught up from the store after the hold', async () => {
    const h = harness({ holdMs: 10, stored: [1, 2, 3] })
    const a = h.socket()
    h.order.joinQuiet(a.ws, TOPIC, 1)
    const b = h.socket()
    h.order.joinQuiet(b.ws, TOPIC, 3) // 2 and 3 were published by an instance that died before Redis had them
    await until(() => b.topics.has(TOPIC))
    expect(seqsOf(a.got)).toEqual([2, 3])
    expect(seqsOf(b.got)).toEqual([])
    h.order.stop()
  })
})
