// The realtime client's per-room order (SPEC §6): every message at most once (by message_id and by
// seq) and in ascending seq. A message past the next expected seq is held back while an explicit
// `sync` fills the gap (following `sync.truncated`); a gap the server has nothing for, or that stays
// unanswered for gapTimeoutMs, is skipped, and a late arrival inside a skipped range is still delivered.

import { nextCount } from './ids'
import type { Message } from './types'

export interface RoomState {
  /** Highest seq delivered to the app in order (undefined: nothing yet, take the first as the start). */
  cursor?: number
  /** Messages past a gap, waiting for it to be filled. */
  pending: Map<number, Message>
  /** Seq ranges given up on after a sync found nothing there; a late arrival inside is still delivered. */
  skipped: [number, number][]
  /** An explicit `sync` for this room is in flight. */
  syncing: boolean
  /** A `sync.truncated` asked for more after this seq once the current sync is done. */
  moreAfter?: number
  gapTimer?: ReturnType<typeof setTimeout>
  ackTimer?: ReturnType<typeof setTimeout>
  /** Highest seq the app wants acked, sent on this connection, and confirmed by `ack.received`. */
  ackWanted: number
  ackSent: number
  ackConfirmed: number
}

/** What the sequencer needs of the client around it. */
export interface SequencerHost {
  /** The socket said `connected`: frames may be written. */
  live(): boolean
  /** The connect-time sync is over: a gap now is a real one, worth a `sync`. */
  synced(): boolean
  write(frame: Record<string, unknown>): void
  /** A message goes to the app; `inOrder`: it moved the room's cursor (so it may be acked). */
  deliver(roomId: string, r: RoomState, m: Message, inOrder: boolean): void
  /** A message already delivered came again (redelivery and sync may repeat one). */
  duplicate(): void
}

/** Message ids remembered for dedupe (oldest forgotten first). */
const SEEN_MAX = 10_000

export class RoomSequencer {
  readonly rooms = new Map<string, RoomState>()
  private readonly seen = new Set<string>()
  private readonly seenOrder: string[] = []

  constructor(
    private readonly host: SequencerHost,
    private readonly gapTimeoutMs: number,
  ) {}

  room(roomId: string): RoomState {
    let r = this.rooms.get(roomId)
    if (!r) this.rooms.set(roomId, (r = { pending: new Map(), skipped: [], syncing: false, ackWanted: 0, ackSent: 0, ackConfirmed: 0 }))
    return r
  }

  clearTimers(r: RoomState) {
    clearTimeout(r.gapTimer)
    clearTimeout(r.ackTimer)
    r.gapTimer = r.ackTimer = undefined
  }

  /** Forgets every room's cursor and every message seen (a new epoch: the server's sync starts over). */
  clear() {
    for (const r of this.rooms.values()) this.clearTimers(r)
    this.rooms.clear()
    this.seen.clear()
    this.seenOrder.length = 0
  }

  /** Forgets one room (the user left it). */
  forget(roomId: string) {
    const r = this.rooms.get(roomId)
    if (r) this.clearTimers(r)
    this.rooms.delete(roomId)
  }

  onMessage(m: Message) {
    const r = this.room(m.room_id)
    if (this.seen.has(m.message_id)) return this.host.duplicate()
    if (r.cursor !== undefined && m.seq <= r.cursor) {
      const i = r.skipped.findIndex(([a, b]) => m.seq >= a && m.seq <= b)
      if (i < 0) return this.host.duplicate()
      this.deliver(m.room_id, r, m, false) // late, inside a range given up on: better late than lost
      return
    }
    if (r.cursor === undefined || m.seq === r.cursor + 1) {
      this.deliver(m.room_id, r, m, true)
      this.drain(m.room_id, r)
      return
    }
    if (!r.pending.has(m.seq)) r.pending.set(m.seq, m)
    this.fillGap(m.room_id, r)
  }

  private deliver(roomId: string, r: RoomState, m: Message, inOrder: boolean) {
    if (inOrder) r.cursor = m.seq
    this.seen.add(m.message_id)
    this.seenOrder.push(m.message_id)
    if (this.seenOrder.length > SEEN_MAX) this.seen.delete(this.seenOrder.shift()!)
    if (r.syncing) this.armGapTimer(roomId, r)
    this.host.deliver(roomId, r, m, inOrder)
  }

  private drain(roomId: string, r: RoomState) {
    for (const seq of [...r.pending.keys()]) if (r.cursor !== undefined && seq <= r.cursor) r.pending.delete(seq)
    let next: Message | undefined
    while (r.cursor !== undefined && (next = r.pending.get(r.cursor + 1))) {
      r.pending.delete(next.seq)
      if (this.seen.has(next.message_id)) {
        r.cursor = next.seq
        continue
      }
      this.deliver(roomId, r, next, true)
    }
  }

  /** Asks the server for what lies between the cursor and the held-back messages. */
  fillGap(roomId: string, r: RoomState) {
    if (!this.host.live() || !this.host.synced() || r.syncing || r.cursor === undefined) return
    r.moreAfter = r.cursor
    this.continueSync(roomId, r)
  }

  /** `sync.truncated`: the rest comes after `fromSeq - 1`, once the sync in flight is done. */
  truncated(roomId: string, fromSeq: number) {
    const r = this.room(roomId)
    r.moreAfter = fromSeq - 1
    if (!r.syncing) this.continueSync(roomId, r)
  }

  private continueSync(roomId: string, r: RoomState) {
    if (r.moreAfter === undefined || !this.host.live()) return
    const after = r.moreAfter
    r.moreAfter = undefined
    r.syncing = true
    this.host.write({ type: 'sync', room_id: roomId, after_seq: after, request_id: `sync:${roomId}:${nextCount()}` })
    this.armGapTimer(roomId, r)
  }

  /** `sync.done` of a room's gap sync. */
  onSyncDone(roomId: string) {
    const r = this.rooms.get(roomId)
    if (!r) return
    r.syncing = false
    clearTimeout(r.gapTimer)
    r.gapTimer = undefined
    if (r.moreAfter !== undefined) return this.continueSync(roomId, r)
    // The server sent everything after the cursor: what is still missing does not exist for us.
    if (r.pending.size) this.skipGap(roomId, r)
  }

  /** A gap sync the server refused (access lost): stop waiting for the gap. */
  syncRefused(roomId: string) {
    const r = this.rooms.get(roomId)
    if (!r) return
    r.syncing = false
    r.moreAfter = undefined
    this.skipGap(roomId, r)
  }

  private armGapTimer(roomId: string, r: RoomState) {
    clearTimeout(r.gapTimer)
    r.gapTimer = setTimeout(() => {
      r.gapTimer = undefined
      r.syncing = false
      r.moreAfter = undefined
      this.skipGap(roomId, r)
    }, this.gapTimeoutMs)
  }

  /** Delivers the held-back messages in order, recording the seqs jumped over. */
  private skipGap(roomId: string, r: RoomState) {
    if (!r.pending.size) return
    const lowest = Math.min(...r.pending.keys())
    if (r.cursor !== undefined && lowest > r.cursor + 1) r.skipped.push([r.cursor + 1, lowest - 1])
    if (r.skipped.length > 100) r.skipped.shift()
    r.cursor = lowest - 1
    this.drain(roomId, r)
    if (r.pending.size) this.skipGap(roomId, r)
  }
}
