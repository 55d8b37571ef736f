// The connect-time sync (SPEC §5 steps 2-3) over all of a user's rooms, in bounded slices of work.

import type { RoomWatch } from '../broker/local'
import { nextTurn } from '../services/next-turn'
import type { Membership, RealtimeService } from '../services/realtime'
import type { Connection } from './connection'
import { syncRoom, type JoinRoom } from './sync'

/** Rooms with nothing to send subscribed per turn of the event loop (a subscribe costs about 1 µs). */
export const SUBSCRIBE_SLICE = 256

export interface InitialSyncDeps {
  realtime: RealtimeService
  /** The broker's watch on the tenant's room frames (LocalBroker.watchRooms). */
  watchRooms(tenantId: string): RoomWatch
  max: number
  /** Subscribes a room from a known position (the broker's subscribeRoom). */
  join: JoinRoom
  /**
   * Waits for this connection's next slice of work: the gateway's shared turn budget (turn-budget.ts),
   * so a reconnect storm's syncs take a bounded share of each turn. Default: the next turn.
   */
  turn?: () => Promise<void>
}

/**
 * Subscribes a new connection to every room of its user and streams each room's messages after the
 * user's ack. Resolves false when the connection closed on the way.
 *
 * Cost: one query lists the user's rooms with their ack and last seq. Only rooms with
 * last_seq > last_ack are read (syncRoom: a few queries each); the others are subscribed with no
 * query at all. The work is cut into turns of the event loop, so a user in thousands of rooms does
 * not hold up other connections and tenants: SUBSCRIBE_SLICE quiet rooms per turn, then one room
 * to read per turn (and syncRoom reads one page per turn).
 *
 * No gap, no repeat, ascending seq (what sync.ts guarantees per room) across those turns:
 * - A room to read keeps its last read and its subscribe within one turn (syncRoom), as before.
 * - A quiet room is subscribed in a later turn than the query that found it quiet, and a message
 *   committed in between would reach neither the sync nor the socket. So the broker's watch on the
 *   tenant's room frames starts before the query: every frame delivered on this instance from then
 *   on marks its room. A message committed after the query's snapshot is published after its
 *   commit, so after the watch began; if that happens before the room's subscribe, the room is
 *   marked and is read from the ack instead (read and subscribe in one turn again); if after, it
 *   arrives live. The check and the subscribe of a room happen in the same turn, so nothing falls
 *   between them. A member removed in between is caught the same way: the removal publishes
 *   member.left to the room before its leaveRoom (which finds nothing to unsubscribe yet), the
 *   room is marked, and syncRoom's membership check then declines to subscribe it.
 * The watch ends once every quiet room is subscribed; later frames are live delivery.
 */
export async function initialSync(conn: Connection, d: InitialSyncDeps): Promise<boolean> {
  const turn = d.turn ?? nextTurn
  await turn() // the memberships query is a slice of connect work too
  if (conn.closed) return false
  const watch = d.watchRooms(conn.tenantId)
  const toRead: Membership[] = []
  try {
    const quiet: Membership[] = []
    for (const m of await d.realtime.memberships(conn.actor)) (m.last_seq > m.last_ack ? toRead : quiet).push(m)
    for (let i = 0; i < quiet.length; i += SUBSCRIBE_SLICE) {
      if (i > 0) await turn()
      if (conn.closed) return false
      for (let j = i; j < Math.min(i + SUBSCRIBE_SLICE, quiet.length); j++) {
        const m = quiet[j]
        // With shared storage the ordered join also refuses a room whose stream here passed m.last_seq.
        if (watch.touched.has(m.room_id) || !d.join(conn, m.room_id, { how: 'quiet', cursor: m.last_seq })) toRead.push(m)
      }
    }
  } finally {
    watch.stop()
  }
  for (const m of toRead) {
    await turn()
    if (conn.closed) return false
    await syncRoom(conn, d.realtime, m.room_id, m.last_ack, { max: d.max, subscribe: true, join: d.join, turn }).catch(() => false)
  }
  return !conn.closed
}
