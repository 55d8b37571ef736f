// Streaming a room's messages after a cursor, paced by the socket's send buffer (SPEC §5 step 3, §10).

import { topics } from '../broker/topics'
import type { RealtimeService } from '../services/realtime'
import type { Connection } from './connection'

const PAGE = 100

export interface SyncOptions {
  max: number
  /** Initial sync: subscribe to the room once caught up (explicit sync: already subscribed). */
  subscribe: boolean
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
 * The last read and the subscribe happen in one synchronous block (no await between them): commits
 * run on this same thread, so no message can fall between them (no gap, no repeat), and live
 * delivery on this connection stays in ascending seq.
 * Returns false when the socket closed or access was lost mid-way.
 */
export async function syncRoom(conn: Connection, realtime: RealtimeService, roomId: string, afterSeq: number, o: SyncOptions): Promise<boolean> {
  let cursor = afterSeq
  let sent = 0
  const subscribe = () => {
    if (o.subscribe && realtime.isMember(conn.actor, roomId)) conn.ws.subscribe(topics.room(conn.tenantId, roomId))
  }
  for (;;) {
    await conn.writable()
    if (conn.closed) return false
    const want = Math.min(PAGE, o.max - sent)
    const page = want > 0 ? realtime.syncPage(conn.actor, roomId, cursor, want) : []
    let i = 0
    for (; i < page.length; i++) {
      if (i > 0 && conn.mustPause()) break // the rest of the page is re-read after the drain
      if (!conn.send({ type: 'message', ...page[i] })) return false
      cursor = page[i].seq
      sent++
    }
    if (i < page.length) continue
    if (page.length < want) {
      subscribe()
      return true
    }
    if (sent >= o.max) {
      const more = realtime.syncPage(conn.actor, roomId, cursor, 1).length > 0
      if (more) conn.send({ type: 'sync.truncated', room_id: roomId, from_seq: cursor + 1 })
      subscribe()
      return true
    }
  }
}
