// The realtime client's change catch-up after a (re)connect (SPEC §11.1): for each room it held, the
// changes (edits, deletes, reactions, pins, replies) after the rev it had, with `sync` after_rev,
// following `sync.truncated`; the rev bookkeeping itself is revs.ts's.

import type { RestClient } from './rest'
import type { RevTracker } from './revs'
import { nextCount } from './ids'
import type { RoomList } from './types'

/** Up to this many rooms are caught up with one `sync` each; more are first checked against the room list. */
const CATCH_UP_DIRECT_MAX = 8

export interface CatchUpHost {
  readonly rest: RestClient
  readonly revs: RevTracker
  /** The socket now (a catch-up begun on another one stops). */
  socket(): unknown
  live(): boolean
  write(frame: Record<string, unknown>): void
  /** A room's catch-up is over: its copies are current up to `rev`. */
  synced(roomId: string, rev: number): void
}

export class ChangeCatchUp {
  constructor(private readonly host: CatchUpHost) {}

  /**
   * Catches up on the changes of these rooms. Each `sync` costs rate-limit tokens and frames, so for
   * more than a few rooms the room list (one call per 200 rooms, with each room's last_rev) picks the
   * ones that changed; the others are current already (changes since that read arrive live, as every
   * room is subscribed by now). If the list cannot be read, every room is synced.
   */
  async start(rooms: [string, number][]) {
    const { host } = this
    const ws = host.socket()
    let todo = rooms
    if (rooms.length > CATCH_UP_DIRECT_MAX) {
      try {
        const lastRev = new Map<string, number>()
        let cursor: string | null | undefined
        let pages = 0
        do {
          const page = await host.rest.request<RoomList>('GET', '/v1/rooms', { query: { limit: 200, cursor: cursor ?? undefined } })
          for (const r of page.rooms) lastRev.set(r.room_id, r.last_rev)
          cursor = page.next_cursor
        } while (cursor && ++pages < 100)
        if (host.socket() !== ws || !host.live()) return
        todo = []
        for (const [roomId, after] of rooms) {
          const last = lastRev.get(roomId)
          if (last === undefined && !cursor) host.revs.forgetRoom(roomId) // not a member any more
          else if (last !== undefined && last <= after) this.done(roomId)
          else todo.push([roomId, after])
        }
      } catch {
        if (host.socket() !== ws || !host.live()) return
      }
    }
    for (const [roomId, after] of todo) this.more(roomId, after)
  }

  /** Asks for the room's changes after `afterRev` (again after a truncated catch-up). */
  more(roomId: string, afterRev: number) {
    if (!this.host.live()) return
    this.host.write({ type: 'sync', room_id: roomId, after_rev: afterRev, request_id: `rev:${roomId}:${nextCount()}` })
  }

  /** `sync.done` of a room's catch-up (or nothing to catch up on). */
  done(roomId: string) {
    this.host.revs.caughtUp(roomId)
    const rev = this.host.revs.roomRev(roomId)
    if (rev !== undefined) this.host.synced(roomId, rev)
  }
}
