// History pages from memory (docs/performance.md, 2026-12-03): per room, a window of messages
// already encoded as JSON, filled by the pages read from the store and checked on every use
// against the room's stamp.
//
// Why: a 50-message page cost ~170 µs of the only JS thread, most of it materializing 51 row
// objects in bun:sqlite and JSON.stringify; the same pages are read again and again (every member
// opening the room, paging back and forth). Served from the window a page is a lookup and a
// string join.
//
// Correctness rests on the stamp: the room's (last_seq, last_rev, first_seq), read before the
// page. Every change to a room's stored messages moves one of them in its own transaction: a new
// message takes last_seq + 1; every change to an existing one (edit, delete, reaction, pin, reply
// count, erasure) takes ++last_rev (SPEC §11.1, db/*/revs.ts); retention moves first_seq with its
// deletes; a deleted room has no stamp (never cached). So a window whose stamp equals the room's
// holds exactly the stored rows; new messages alone (same rev and first_seq) keep it, with its top
// no longer authoritative. The stamp is read before the page, so a page read across a concurrent
// commit is newer than its stamp and the next request's stamp disagrees with it.
//
// A window is one interval of seqs [lo, hi] in which it knows every row (lo = -Infinity: down to
// the room's first message; hi = Infinity: up to its last one at the stamp). A page the window
// cannot answer in full goes to the store; its rows join the window when their interval touches
// it, else replace it if they are more. top_level pages are not cached. Memory: the windows'
// encoded bytes are bounded (least recently used room first out).

import { toMessage, type PageRow, type PageStamp } from '../db/rows'

/** after: seq > after ascending; else seq < before (Infinity: the newest). `limit` messages. */
export interface PageQuery {
  after?: number
  before: number
  limit: number
}

/** A store read: the first `n` rows after `after` ascending, else the last `n` below `before`. */
export interface PageRead {
  after?: number
  before: number
  n: number
}

/** Most rows a miss reads beyond its page to reach the room's window (so it grows in one piece). */
const BRIDGE = 250

export interface EncodedPage {
  /** `{"messages":[…],"has_more":…}`, what JSON.stringify of the page object gives */
  json: string
  count: number
}

interface Entry {
  seq: number
  json: string
}
interface Window {
  stamp: PageStamp
  lo: number
  hi: number
  entries: Entry[] // ascending seq, every row of [lo, hi]
  bytes: number
}

const encode = (entries: Entry[], from: number, to: number, hasMore: boolean): EncodedPage => {
  let s = '{"messages":['
  for (let i = from; i < to; i++) s += (i > from ? ',' : '') + entries[i].json
  return { json: `${s}],"has_more":${hasMore}}`, count: to - from }
}

/** First index whose seq is > `seq` (entries ascending). */
function above(entries: Entry[], seq: number): number {
  let lo = 0
  let hi = entries.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (entries[mid].seq > seq) hi = mid
    else lo = mid + 1
  }
  return lo
}

export type HistoryCache = ReturnType<typeof createHistoryCache>

/** `maxBytes`: the encoded messages kept over all rooms (0: nothing is cached). */
export function createHistoryCache(maxBytes: number) {
  const rooms = new Map<string, Window>() // in order of use: the first is the least recent
  let bytes = 0
  // one room's window may use at most this share, so a huge room cannot push every other out
  const maxWindow = Math.max(1, Math.floor(maxBytes / 8))

  const drop = (roomId: string) => {
    const w = rooms.get(roomId)
    if (!w) return
    bytes -= w.bytes
    rooms.delete(roomId)
  }

  /** The room's window if it still matches `stamp` (brought up to date when only new messages came). */
  function current(roomId: string, stamp: PageStamp): Window | null {
    const w = rooms.get(roomId)
    if (!w) return null
    const s = w.stamp
    if (s.last_rev !== stamp.last_rev || s.first_seq !== stamp.first_seq || stamp.last_seq < s.last_seq) {
      drop(roomId)
      return null
    }
    if (stamp.last_seq !== s.last_seq) {
      // only messages above the old last seq came: what the window knows still holds, up to there
      if (w.hi > s.last_seq) {
        w.hi = s.last_seq
        // a page read just after a send may hold rows above it: not known to be all there
        if (w.entries.length && w.entries[w.entries.length - 1].seq > w.hi) {
          w.entries = w.entries.filter((e) => e.seq <= w.hi)
          const size = w.entries.reduce((n, e) => n + e.json.length, 0)
          bytes += size - w.bytes
          w.bytes = size
        }
      }
      w.stamp = stamp
    }
    return w
  }

  return {
    /** The page from the window, or null: then read the store and give the rows to `fill`. */
    page(roomId: string, stamp: PageStamp, q: PageQuery): EncodedPage | null {
      const w = current(roomId, stamp)
      if (!w) return null
      const { entries } = w
      let page: EncodedPage | null = null
      if (q.after !== undefined) {
        if (q.after + 1 < w.lo || q.after >= w.hi) return null
        const i = above(entries, q.after)
        if (i + q.limit < entries.length) page = encode(entries, i, i + q.limit, true)
        else if (w.hi === Infinity) page = encode(entries, i, entries.length, false)
      } else {
        const top = q.before - 1
        if (top > w.hi || top < w.lo) return null
        const end = above(entries, top) // entries[end - 1] is the last one below `before`
        if (end - q.limit > 0) page = encode(entries, end - q.limit, end, true)
        else if (w.lo === -Infinity) page = encode(entries, 0, end, false)
      }
      if (page) {
        rooms.delete(roomId) // most recently used: to the end
        rooms.set(roomId, w)
      }
      return page
    },

    /**
     * The store read for a page the window could not answer: the page itself (limit + 1 rows), or,
     * when the window is at most BRIDGE rows away, a longer read that reaches it, so the window
     * grows in one piece instead of being replaced by pages here and there.
     */
    plan(roomId: string, stamp: PageStamp, q: PageQuery): PageRead {
      const read: PageRead = { after: q.after, before: q.before, n: q.limit + 1 }
      const w = maxBytes > 0 ? current(roomId, stamp) : null
      if (!w) return read
      if (q.after !== undefined) {
        const gapAbove = q.after - w.hi // rows in (hi, after]: at most this many
        const gapBelow = w.lo - 1 - q.after // rows in (after, lo): at most this many
        if (gapAbove > 0 && gapAbove <= BRIDGE) return { after: w.hi, before: Infinity, n: gapAbove + q.limit + 1 }
        if (gapBelow > 0 && gapBelow <= BRIDGE) return { ...read, n: Math.max(read.n, gapBelow + 1) }
      } else {
        const gapBelow = w.lo - q.before // rows in [before, lo)
        const gapAbove = q.before - 1 - w.hi // rows in (hi, before)
        if (gapBelow > 0 && gapBelow <= BRIDGE) return { before: w.lo, n: gapBelow + q.limit + 1 }
        if (gapAbove > 0 && gapAbove <= BRIDGE) return { ...read, n: Math.max(read.n, gapAbove + 1) }
      }
      return read
    },

    /** The rows (ascending) a store read gave, read after `stamp`: they join or replace the room's window. */
    fill(roomId: string, stamp: PageStamp, read: PageRead, rows: PageRow[]) {
      if (maxBytes <= 0) return
      const full = rows.length >= read.n // the store had more: the interval ends at the last row read
      let lo = read.after !== undefined ? read.after + 1 : full ? rows[0].seq : -Infinity
      let hi = read.after !== undefined ? (full ? rows[rows.length - 1].seq : Infinity) : read.before - 1
      let entries: Entry[] = rows.map((r) => ({ seq: r.seq, json: JSON.stringify(toMessage(r)) }))
      let size = 0
      for (const e of entries) size += e.json.length
      if (size > maxWindow) return
      const w = current(roomId, stamp)
      const touching = w !== null && lo <= w.hi + 1 && hi >= w.lo - 1
      // apart from the window: the larger of the two stays (a window grows by the pages next to it)
      if (w && !touching && w.entries.length >= entries.length) return
      if (w && touching && size + w.bytes <= maxWindow) {
        // touching intervals make one window (same stamp: a row in both is the same row)
        const below = w.entries.filter((e) => e.seq < lo)
        const over = w.entries.filter((e) => e.seq > hi)
        entries = [...below, ...entries, ...over]
        for (const e of below) size += e.json.length
        for (const e of over) size += e.json.length
        lo = Math.min(lo, w.lo)
        hi = Math.max(hi, w.hi)
      }
      drop(roomId)
      rooms.set(roomId, { stamp, lo, hi, entries, bytes: size })
      bytes += size
      for (const [id] of rooms) {
        if (bytes <= maxBytes) break
        drop(id)
      }
    },

    enabled: maxBytes > 0,
    /** Rooms and encoded bytes held (tests, metrics). */
    size: () => ({ rooms: rooms.size, bytes }),
  }
}
