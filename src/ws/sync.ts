// Streaming a room's messages after a cursor, paced by the socket's send buffer (SPEC §5 step 3, §10).

import type { RoomJoin } from '../broker/local'
import { messageFrame } from '../schemas/server-frames'
import { nextTurn } from '../services/next-turn'
import type { ChangeService } from '../services/changes'
import type { RealtimeService } from '../services/realtime'
import type { Connection } from './connection'

const PAGE = 100

/** Subscribes the connection's socket to a room from where its sync left it (the broker's subscribeRoom). */
export type JoinRoom = (conn: Connection, roomId: string, join: RoomJoin) => boolean | Promise<boolean>

export interface SyncOptions {
  max: number
  /** Initial sync: subscribe to the room once caught up (explicit sync: already subscribed). */
  subscribe: boolean
  join?: JoinRoom
  /** Waits before each page after the first (default: the next turn; the connect-time sync passes its budget). */
  turn?: () => Promise<void>
}

/**
 * Sends up to `max` messages with seq > afterSeq in ascending order, then either subscribes (caught
 * up) or sends `sync.truncated {from_seq}`.
 *
 * Pacing is per frame, not per page: a page of 100 large messages written in one go can pass
 * WS_BACKPRESSURE_LIMIT by itself, and Bun then closes the socket (closeOnBackpressureLimit). When
 * the buffer passes half the limit mid-page, the rest of the page is dropped and re-read from the
 * cursor after the drain.
 *
 * Between the last read and the subscribe there is no macrotask (only awaits of values the SQLite
 * store returns at once): commits run on this same thread in their own macrotask (group commit), so
 * no message can fall between the two (no gap, no repeat), and live delivery on this connection
 * stays in ascending seq. Each page after the first is read in a turn of its own (nextTurn), so a
 * long sync never holds the event loop for more than one page; that yield comes before a read,
 * never between the last read and the subscribe, and a commit that lands in it is simply in the
 * next page. With shared storage other instances commit in between (and the membership check is a
 * real query): the broker's ordered join (broker/room-order.ts) then reads once more from the
 * cursor and sends what the room's live stream passed meanwhile before it subscribes, so the
 * socket still sees one ascending run, with no gap and no repeat.
 * Returns false when the socket closed or access was lost mid-way.
 */
export async function syncRoom(conn: Connection, realtime: RealtimeService, roomId: string, afterSeq: number, o: SyncOptions): Promise<boolean> {
  let cursor = afterSeq
  let sent = 0
  const subscribe = async (caughtUp: boolean) => {
    if (!o.subscribe || !o.join || !(await realtime.isMember(conn.actor, roomId))) return
    // Truncated: the client pages the rest over REST, so live frames start wherever the stream is.
    const joined = o.join(conn, roomId, caughtUp ? { how: 'read', cursor } : { how: 'late' })
    if (joined !== true) await joined
  }
  const turn = o.turn ?? nextTurn
  for (let first = true; ; first = false) {
    if (!first) await turn()
    await conn.writable()
    if (conn.closed) return false
    const want = Math.min(PAGE, o.max - sent)
    const page = want > 0 ? await realtime.syncPage(conn.actor, roomId, cursor, want) : []
    let i = 0
    for (; i < page.length; i++) {
      if (i > 0 && conn.mustPause()) break // the rest of the page is re-read after the drain
      if (!conn.send(messageFrame('message', page[i]))) return false
      cursor = page[i].seq
      sent++
    }
    if (i < page.length) continue
    if (page.length < want) {
      await subscribe(true)
      return true
    }
    if (sent >= o.max) {
      const more = (await realtime.syncPage(conn.actor, roomId, cursor, 1)).length > 0
      if (more) conn.send({ type: 'sync.truncated', room_id: roomId, from_seq: cursor + 1 })
      await subscribe(!more)
      return true
    }
  }
}

/**
 * `sync … after_rev` (SPEC §11.1): sends a message.updated frame (with the change that set its rev)
 * for each message changed after `afterRev`, in ascending rev, at most `max`, then
 * `sync.truncated {from_rev}` when more remain. Paced like syncRoom; the room stays subscribed
 * (an explicit sync), so a live change may arrive before or again after its synced frame: the
 * client applies a frame only when its rev is above the one it holds.
 * Returns false when the socket closed.
 */
export async function syncChanges(conn: Connection, changes: ChangeService, roomId: string, afterRev: number, max: number): Promise<boolean> {
  let cursor = afterRev
  let sent = 0
  for (let first = true; ; first = false) {
    if (!first) await nextTurn()
    await conn.writable()
    if (conn.closed) return false
    const want = Math.min(PAGE, max - sent)
    const page = want > 0 ? await changes.syncPage(conn.actor, roomId, cursor, want) : []
    let i = 0
    for (; i < page.length; i++) {
      if (i > 0 && conn.mustPause()) break
      if (!conn.send({ type: 'message.updated', ...page[i].message, change: page[i].change })) return false
      cursor = page[i].message.rev
      sent++
    }
    if (i < page.length) continue
    if (page.length < want) return true
    if (sent >= max) {
      const next = await changes.syncPage(conn.actor, roomId, cursor, 1)
      if (next.length) conn.send({ type: 'sync.truncated', room_id: roomId, from_rev: next[0].message.rev })
      return true
    }
  }
}
