// The room change counter (SPEC §11.1), PostgreSQL version: taken inside the transaction of the change.

import type { SQL } from 'bun'

/**
 * Locks the room row (the lock appends and membership changes take too) until the transaction
 * ends: changes to one room's messages serialize, so caps and "already deleted" checks hold until
 * the commit, and revs commit in the order they were taken.
 */
export async function lockRoom(tx: SQL, roomId: string): Promise<void> {
  const [r] = await tx`SELECT 1 FROM rooms WHERE room_id = ${roomId} FOR NO KEY UPDATE`
  if (!r) throw new Error(`room ${roomId} vanished during a change`)
}

/** ++last_rev of the room (call after lockRoom, or inside a batch that holds the room's lock). */
export async function nextRev(tx: SQL, roomId: string): Promise<number> {
  const [r] = await tx`UPDATE rooms SET last_rev = last_rev + 1 WHERE room_id = ${roomId} RETURNING last_rev`
  return r.last_rev as number
}
