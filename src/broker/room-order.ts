// Live order per room when several instances commit to the same rooms (SPEC §5: a connection gets a
// room's messages in ascending seq; SPEC §9). Seqs are gap-free per room (PostgreSQL assigns them
// under the room's row lock), but each instance publishes after its own commit, so Redis can hand
// seq 12 to an instance before seq 11. This instance therefore keeps, per room its sockets follow:
//
// - `last`: the highest seq it has handed to the room's Bun topic; every subscribed socket has all
//   seqs up to `last` (from live frames, or its sync) and gets `last + 1` next;
// - frames above `last + 1` wait in `held` until the gap fills from Redis, or for at most `holdMs`,
//   after which the missing seqs are read from the store (a frame is published after its commit,
//   and the room lock commits a seq only after every lower one, so the store always has them) and
//   everything goes out in order. A seq the store no longer has (purged) is skipped;
// - frames at or below `last` were delivered already (a fill read got there first): dropped.
//
// A socket joins a room's stream at a known position (`join*`): its sync's cursor. Whatever the
// instance delivered between that read and the subscribe is sent to it first, from a second read
// plus the frames released meanwhile (the joiner's queue), so a connect-time sync and the live
// stream meet without a gap and in order. Frames that edit an existing message (message.updated,
// message.deleted) go out at once unless their seq is still held, then right after it.
//
// One instance on SQLite never builds this: it commits and publishes in seq order on one thread.

import type { ServerWebSocket } from 'bun'
import type { SerializedFrame, ServerFrame } from '../schemas/server-frames'
import { roomOfTopic } from './topics'

type Socket = ServerWebSocket<unknown>

/** `created`: the frame that first delivers a seq (`message`); `changed`: a later change to it. */
export type OrderKind = 'created' | 'changed'

export interface SequencedFrame {
  seq: number
  data: SerializedFrame
}

/** The ordering key of a room frame, or null for frames outside the seq stream (typing, members…). */
export function orderOf(frame: ServerFrame): { kind: OrderKind; seq: number } | null {
  if (frame.type === 'message') return { kind: 'created', seq: frame.seq }
  if (frame.type === 'message.updated' || frame.type === 'message.deleted') return { kind: 'changed', seq: frame.seq }
  return null
}

export interface RoomOrderOptions {
  /** Hands a serialized frame to this instance's subscribers of the topic (LocalBroker.deliver). */
  deliver(topic: string, data: SerializedFrame): void
  /** The room's messages with seq > afterSeq, ascending, at most `limit`, as `message` frames. */
  readAfter(roomId: string, afterSeq: number, limit: number): Promise<SequencedFrame[]>
  /** Sockets of this instance subscribed to the topic (idle rooms are forgotten). */
  subscriberCount(topic: string): number
  /** How long a frame waits for a missing lower seq before the store is read (default 50 ms). */
  holdMs?: number
  /** Each `created` frame's extra wait in ms (0 when it was next in line). */
  onWait?(ms: number): void
  /** A read of the store to fill a gap or catch up. */
  onRead?(): void
  warn(label: string, e: unknown): void
}

interface Pending {
  data: SerializedFrame | null
  changes: SerializedFrame[] | null
  at: number
}

interface Joiner {
  ws: Socket
  /** The lowest seq its queue holds from on (every frame released since); null until the room is anchored. */
  from: number | null
  queue: { seq: number; kind: OrderKind; data: SerializedFrame }[]
  cancelled: boolean
}

interface Room {
  topic: string
  roomId: string
  /** Highest seq handed to the topic; null until the first frame or join says where the stream is. */
  last: number | null
  held: Map<number, Pending> | null
  timer: ReturnType<typeof setTimeout> | null
  filling: boolean
  joiners: Set<Joiner> | null
  /**
   * Sockets that already have every seq up to `cursor`, above `last`: subscribed once the stream
   * here reaches their cursor, so they get nothing twice.
   */
  waiting: Map<Socket, number> | null
}

/** Rows per store read (fills, joins, catch-up). */
const PAGE = 200
/** Frames a joiner queues while it reads; past this it starts over from a fresh read. */
const MAX_QUEUE = 2000
/** Held frames per room past which the room stops waiting and reads the store at once. */
const MAX_HELD = 5000
/** Pages one fill reads before it yields to the next timer (a long outage's backlog goes out in turns). */
const MAX_PAGES_PER_FILL = 25

export function createRoomOrder(o: RoomOrderOptions) {
  const holdMs = o.holdMs ?? 50
  const rooms = new Map<string, Room>()
  const now = () => performance.now()

  function ensure(topic: string): Room {
    let st = rooms.get(topic)
    if (!st) rooms.set(topic, (st = { topic, roomId: roomOfTopic(topic)?.roomId ?? topic, last: null, held: null, timer: null, filling: false, joiners: null, waiting: null }))
    return st
  }

  /** Sets where the stream of an unanchored room stands; joiners waiting for that learn it too. */
  function anchor(st: Room, last: number) {
    st.last = last
    if (st.joiners) for (const j of st.joiners) if (j.from === null) j.from = last + 1
  }

  function emit(st: Room, seq: number, kind: OrderKind, data: SerializedFrame) {
    o.deliver(st.topic, data)
    if (!st.joiners) return
    for (const j of st.joiners) {
      if (j.from === null) continue
      if (j.queue.length < MAX_QUEUE) j.queue.push({ seq, kind, data })
      else {
        j.queue = []
        j.from = (st.last ?? seq) + 1 // what came before must come from its next read
      }
    }
  }

  /** Delivers seq `seq` (the next one), then the changes to it that waited. */
  function advance(st: Room, seq: number, data: SerializedFrame, waitedSince: number | null) {
    st.last = seq
    emit(st, seq, 'created', data)
    o.onWait?.(waitedSince === null ? 0 : now() - waitedSince)
    const p = st.held?.get(seq)
    if (p) {
      st.held!.delete(seq)
      for (const c of p.changes ?? []) emit(st, seq, 'changed', c)
    }
    if (st.waiting) settle(st, false)
  }

  /** Subscribes the waiting sockets the stream has caught up with (all of them with `force`). */
  function settle(st: Room, force: boolean) {
    for (const [ws, cursor] of st.waiting ?? []) {
      if (!force && cursor > st.last!) continue
      st.waiting!.delete(ws)
      if (ws.readyState === 1) ws.subscribe(st.topic)
    }
    if (st.waiting?.size === 0) st.waiting = null
  }

  /** Subscribes `ws` now if the stream here has reached `cursor`, else once it does. */
  function subscribeAt(st: Room, ws: Socket, cursor: number) {
    if (st.last === null || st.last >= cursor) return void ws.subscribe(st.topic)
    ;(st.waiting ??= new Map()).set(ws, cursor)
    arm(st) // the frames up to `cursor` are committed: if they do not come, the store has them
  }

  /** Releases every held frame that is next in line. */
  function drain(st: Room) {
    for (let p = st.held?.get(st.last! + 1); p?.data; p = st.held?.get(st.last! + 1)) advance(st, st.last! + 1, p.data, p.at)
    if (st.held?.size === 0) st.held = null
  }

  function pend(st: Room, seq: number): Pending {
    const held = (st.held ??= new Map())
    let p = held.get(seq)
    if (!p) held.set(seq, (p = { data: null, changes: null, at: now() }))
    return p
  }

  function arm(st: Room, ms = holdMs) {
    if (st.timer || st.filling) return
    st.timer = setTimeout(() => void fill(st, false), (st.held?.size ?? 0) >= MAX_HELD ? 0 : ms)
  }

  /** The highest seq the stream must reach: a held frame's, or a waiting socket's cursor. */
  function target(st: Room): number {
    let m = -1
    for (const s of st.held?.keys() ?? []) if (s > m) m = s
    for (const c of st.waiting?.values() ?? []) if (c > m) m = c
    return m
  }

  /**
   * Reads the store after `last` and releases in order: up to the highest held seq (a gap), or to
   * the store's end (`toEnd`: catch-up after Redis was away). Retries later when the store fails.
   */
  async function fill(st: Room, toEnd: boolean): Promise<void> {
    st.timer = null
    if (st.filling || st.last === null) return
    st.filling = true
    let retry = false
    try {
      for (let pages = 0; pages < MAX_PAGES_PER_FILL; pages++) {
        const upTo = toEnd ? Number.POSITIVE_INFINITY : target(st)
        if (upTo <= st.last) break
        const want = Math.min(PAGE, upTo - st.last)
        o.onRead?.()
        const rows = await o.readAfter(st.roomId, st.last, want)
        for (const r of rows) {
          if (r.seq <= st.last) continue // came through Redis meanwhile
          if (r.seq > upTo) break
          if (r.seq > st.last + 1) skipTo(st, r.seq - 1) // the store no longer has the seqs between
          const p = st.held?.get(r.seq)
          advance(st, r.seq, p?.data ?? r.data, p ? p.at : null)
        }
        drain(st)
        if (rows.length < want) {
          // The store has nothing more up to `target`: what is still missing below a held frame is gone.
          if (!toEnd && st.held?.size) {
            skipTo(st, Math.min(...st.held.keys()) - 1)
            drain(st)
          }
          if (st.waiting) settle(st, true) // their cursor is past what the store has: nothing to wait for
          break
        }
        if (pages === MAX_PAGES_PER_FILL - 1) retry = true // more to read: continue in a later turn
      }
    } catch (e) {
      o.warn('reading missing messages failed; retrying', e)
      retry = true
    } finally {
      st.filling = false
    }
    if (retry) st.timer = setTimeout(() => void fill(st, toEnd), Math.max(holdMs, 200))
    else if (st.held?.size || st.waiting?.size) arm(st)
  }

  /**
   * The store no longer has some seqs up to `seq`: move past them. Anything held at or below it
   * still goes out, in seq order.
   */
  function skipTo(st: Room, seq: number) {
    if (st.last === null || seq <= st.last) return
    const below = [...(st.held?.keys() ?? [])].filter((s) => s <= seq).sort((a, b) => a - b)
    for (const s of below) {
      const p = st.held!.get(s)!
      if (p.data) advance(st, s, p.data, p.at)
      else {
        st.held!.delete(s)
        for (const c of p.changes ?? []) emit(st, s, 'changed', c)
      }
    }
    st.last = seq
    if (st.waiting) settle(st, false)
  }

  const open = (j: Joiner) => !j.cancelled && j.ws.readyState === 1

  /**
   * Subscribes `ws` once it has every seq the room's stream has passed: reads the store after
   * `cursor` (what the socket has), sends that, then the frames released while it read, then
   * subscribes, all in one turn (or, when the read got ahead of the stream here, as soon as the
   * stream reaches it). A second read is needed only when the stream's position was not known when
   * the joiner started (see anchor). Resolves false when the socket closed or left.
   */
  async function joinAfterRead(ws: Socket, topic: string, cursor: number): Promise<boolean> {
    const st = ensure(topic)
    const j: Joiner = { ws, from: st.last === null ? null : st.last + 1, queue: [], cancelled: false }
    ;(st.joiners ??= new Set()).add(j)
    try {
      let r = cursor
      for (let round = 0; round < 4; round++) {
        for (let pages = 0; ; pages++) {
          o.onRead?.()
          const rows = await o.readAfter(st.roomId, r, PAGE)
          if (!open(j)) return false
          for (const row of rows) {
            if (row.seq <= r) continue
            ws.send(row.data)
            r = row.seq
          }
          if (rows.length < PAGE || pages >= MAX_PAGES_PER_FILL) break
        }
        if (st.last === null) anchor(st, r)
        if (j.from !== null && r + 1 >= j.from) break
      }
      // Two reads always suffice (the second starts after `from` was known); should the queue have
      // overflowed on every round, the socket subscribes anyway and redelivery covers the gap.
      if (j.from === null || r + 1 < j.from) o.warn('room join did not meet the live stream', new Error(`room ${st.roomId}`))
      // Changes released since the join began go too, in order: the rows may predate them.
      let has = r
      for (const q of j.queue) {
        if (q.kind === 'created' && q.seq <= r) continue
        ws.send(q.data)
        if (q.kind === 'created') has = q.seq
      }
      // The read may have seen commits whose frames this instance has not released yet: the
      // socket follows the stream from the moment it reaches what the socket has.
      subscribeAt(st, ws, has)
      return true
    } finally {
      st.joiners?.delete(j)
      if (st.joiners?.size === 0) st.joiners = null
    }
  }

  return {
    /**
     * A room frame for this instance's sockets (published here, or received from Redis), with its
     * ordering key. Rooms no socket here follows are not tracked: the frame goes straight through.
     */
    onFrame(topic: string, kind: OrderKind, seq: number, data: SerializedFrame) {
      const st = rooms.get(topic)
      if (!st) return o.deliver(topic, data)
      if (kind === 'changed') {
        if (st.last === null || seq <= st.last) return emit(st, seq, kind, data)
        ;(pend(st, seq).changes ??= []).push(data)
        return arm(st)
      }
      if (st.last === null) anchor(st, seq - 1)
      const last = st.last!
      if (seq <= last) return // delivered already (a fill or catch-up read it from the store)
      if (seq === last + 1) {
        advance(st, seq, data, null)
        return drain(st)
      }
      const p = pend(st, seq)
      p.data ??= data
      arm(st)
    },

    /**
     * Subscribes a socket that has every seq up to `cursor` (the room's last seq when a connect-time
     * query found it quiet, see ws/initial-sync.ts). False when the stream here has moved past
     * `cursor` since: the caller syncs the room instead.
     */
    joinQuiet(ws: Socket, topic: string, cursor: number): boolean {
      const st = ensure(topic)
      if (st.last === null) anchor(st, cursor)
      else if (st.last > cursor) return false
      subscribeAt(st, ws, cursor)
      return true
    },

    joinAfterRead,

    /** Subscribes a socket with no position to keep (a member just added, or a truncated sync). */
    joinLate(ws: Socket, topic: string) {
      ensure(topic)
      ws.subscribe(topic)
    },

    /** The socket stops following the room; a join in progress is abandoned. */
    leave(ws: Socket, topic: string) {
      const st = rooms.get(topic)
      for (const j of st?.joiners ?? []) if (j.ws === ws) j.cancelled = true
      st?.waiting?.delete(ws)
      ws.unsubscribe(topic)
    },

    /**
     * Reads every followed room to the store's end and delivers what this instance missed (Redis
     * was unreachable: frames published meanwhile never came). A few rooms at a time.
     */
    async catchUp(concurrency = 4): Promise<number> {
      const todo = [...rooms.values()].filter((st) => st.last !== null && o.subscriberCount(st.topic) > 0)
      let next = 0
      const worker = async () => {
        while (next < todo.length) await fill(todo[next++], true)
      }
      await Promise.all(Array.from({ length: Math.min(concurrency, todo.length) }, worker))
      return todo.length
    },

    /** Forgets rooms no socket here follows any more (run now and then). */
    sweep() {
      for (const [topic, st] of rooms) {
        for (const ws of st.waiting?.keys() ?? []) if (ws.readyState !== 1) st.waiting!.delete(ws)
        if (st.waiting?.size === 0) st.waiting = null
        if (!st.joiners && !st.held && !st.waiting && !st.timer && !st.filling && o.subscriberCount(topic) === 0) rooms.delete(topic)
      }
    },

    /** Rooms tracked and frames held right now (tests, metrics). */
    stats() {
      let held = 0
      for (const st of rooms.values()) held += st.held?.size ?? 0
      return { rooms: rooms.size, held }
    },

    stop() {
      for (const st of rooms.values()) if (st.timer) clearTimeout(st.timer)
      rooms.clear()
    },
  }
}

export type RoomOrder = ReturnType<typeof createRoomOrder>
