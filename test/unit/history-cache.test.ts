// The history cache against a model of a room's rows: random sends, edits, retention and page
// queries; every page the cache answers must be the page the store would answer, byte for byte.

import { describe, expect, test } from 'bun:test'
import { createHistoryCache, type PageQuery, type PageRead } from '../../src/services/history-cache'
import { toMessage, type PageRow, type PageStamp } from '../../src/db/rows'

function row(roomId: string, seq: number, content: string): PageRow {
  return {
    message_id: `msg_${roomId}_${seq}`, room_id: roomId, seq, rev: 0, sender_id: 'u', content, meta: null, client_msg_id: null,
    parent_id: null, reply_count: 0, last_reply_at: null, mentions: null, attachments: null, reactions: null,
    pinned_at: null, pinned_by: null, created_at: '2026-01-01T00:00:00.000Z', edited_at: null, deleted_at: null,
  } as PageRow
}

/** A room as the store holds it, and the store's page reads. */
class Room {
  rows: PageRow[] = []
  stamp: PageStamp = { last_seq: 0, last_rev: 0, first_seq: 1 }
  constructor(readonly id: string) {}
  send() {
    const seq = ++this.stamp.last_seq
    this.rows.push(row(this.id, seq, `m${seq}`))
    this.stamp = { ...this.stamp }
  }
  edit(seq: number) {
    const r = this.rows.find((x) => x.seq === seq)
    if (!r) return
    r.content = `${r.content}+`
    this.stamp = { ...this.stamp, last_rev: this.stamp.last_rev + 1 }
  }
  expire(through: number) {
    this.rows = this.rows.filter((r) => r.seq > through)
    this.stamp = { ...this.stamp, first_seq: Math.max(this.stamp.first_seq, through + 1) }
  }
  read(q: PageRead): PageRow[] {
    if (q.after !== undefined) return this.rows.filter((r) => r.seq > q.after!).slice(0, q.n).map((r) => ({ ...r }))
    return this.rows.filter((r) => r.seq < q.before).slice(-q.n).map((r) => ({ ...r }))
  }
  page(q: PageQuery): PageRow[] {
    return this.read({ ...q, n: q.limit + 1 })
  }
}

/** What the route answers without a cache (services/message.ts pageOf + JSON.stringify). */
function expected(rows: PageRow[], q: PageQuery) {
  const more = rows.length > q.limit
  const page = q.after !== undefined ? rows.slice(0, q.limit) : rows.slice(rows.length - Math.min(q.limit, rows.length))
  return JSON.stringify({ messages: page.map(toMessage), has_more: more })
}

function rng(seed: number) {
  return () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff)
}

describe('history cache', () => {
  test('answers exactly what the store answers, through sends, edits and retention', () => {
    const rand = rng(7)
    const cache = createHistoryCache(1024 * 1024)
    const rooms = [new Room('a'), new Room('b')]
    for (const r of rooms) for (let i = 0; i < 30; i++) r.send()
    let hits = 0
    for (let step = 0; step < 20_000; step++) {
      const room = rooms[Math.floor(rand() * rooms.length)]
      const x = rand()
      if (x < 0.01) room.send()
      else if (x < 0.015) room.edit(1 + Math.floor(rand() * room.stamp.last_seq))
      else if (x < 0.017) room.expire(room.stamp.first_seq + Math.floor(rand() * 3))
      else {
        const limit = 1 + Math.floor(rand() * 12)
        const y = rand()
        const last = room.stamp.last_seq
        const q: PageQuery =
          y < 0.3 ? { before: Infinity, limit } : y < 0.65 ? { before: 1 + Math.floor(rand() * (last + 3)), limit } : { after: Math.floor(rand() * (last + 2)) - 1, before: Infinity, limit }
        const want = expected(room.page(q), q)
        const stamp = { ...room.stamp }
        let got = cache.page(room.id, stamp, q)
        if (got) hits++
        else {
          const read = cache.plan(room.id, stamp, q)
          expect(read.n).toBeGreaterThanOrEqual(q.limit + 1)
          cache.fill(room.id, stamp, read, room.read(read))
          got = cache.page(room.id, stamp, q) // the window now holds the page, unless too big to keep
        }
        if (got) {
          expect(got.json).toBe(want)
          expect(got.count).toBe(JSON.parse(want).messages.length)
        }
      }
    }
    expect(hits).toBeGreaterThan(5_000) // the cache answered most reads
    expect(cache.size().bytes).toBeLessThanOrEqual(1024 * 1024)
  })

  test('a page read just after a send (newer than its stamp) is not served once the stamp moves', () => {
    const cache = createHistoryCache(1024 * 1024)
    const room = new Room('r')
    for (let i = 0; i < 5; i++) room.send()
    const stale = { ...room.stamp } // read before the page …
    room.send() // … a send commits in between …
    room.send()
    const q = { after: 3, before: Infinity, limit: 50 }
    cache.fill(room.id, stale, { ...q, n: 51 }, room.page(q)) // … and the page holds seqs 6 and 7
    room.send()
    // the stamp moved by sends only: the window keeps seqs up to 5 and asks the store beyond
    expect(cache.page(room.id, room.stamp, q)).toBeNull()
    const below = { before: 6, limit: 1 }
    expect(cache.page(room.id, room.stamp, below)?.json).toBe(expected(room.page(below), below))
    expect(cache.page(room.id, room.stamp, { before: Infinity, limit: 1 })).toBeNull()
  })

  test('a window over the memory bound is not kept; rooms are evicted least recently used first', () => {
    const cache = createHistoryCache(8 * 4000)
    const rooms = Array.from({ length: 20 }, (_, i) => new Room(`room${i}`))
    for (const r of rooms) {
      for (let i = 0; i < 10; i++) r.send()
      const q = { before: Infinity, limit: 10 }
      cache.fill(r.id, r.stamp, { ...q, n: 11 }, r.page(q))
    }
    expect(cache.size().bytes).toBeLessThanOrEqual(8 * 4000)
    expect(cache.page('room19', rooms[19].stamp, { before: Infinity, limit: 10 })).not.toBeNull()
    expect(cache.page('room0', rooms[0].stamp, { before: Infinity, limit: 10 })).toBeNull()
    expect(createHistoryCache(0).enabled).toBe(false)
  })

  test('a miss near the window reads up to it, so random pages of a room of 1,000 fill it in a few misses', () => {
    const cache = createHistoryCache(32 * 1024 * 1024)
    const room = new Room('big')
    for (let i = 0; i < 1000; i++) room.send()
    const rand = rng(11)
    let misses = 0
    for (let i = 0; i < 3000; i++) {
      const q = { before: 51 + Math.floor(rand() * 950), limit: 50 }
      let got = cache.page(room.id, room.stamp, q)
      if (!got) {
        misses++
        const read = cache.plan(room.id, room.stamp, q)
        cache.fill(room.id, room.stamp, read, room.read(read))
        got = cache.page(room.id, room.stamp, q)
      }
      expect(got?.json).toBe(expected(room.page(q), q))
    }
    expect(misses).toBeLessThan(40)
  })
})
