// The room change counter (SPEC §11.1): every change to an existing message takes the room's next rev.

import type { Database } from 'bun:sqlite'

/** Call inside the transaction that makes the change, so the rev and the change commit together. */
export function createRevs(db: Database) {
  const bump = db.query<{ last_rev: number }, [string]>('UPDATE rooms SET last_rev = last_rev + 1 WHERE room_id = ? RETURNING last_rev')
  return {
    /** ++last_rev of the room. */
    next(roomId: string): number {
      const r = bump.get(roomId)
      if (!r) throw new Error(`room ${roomId} vanished during a change`)
      return r.last_rev
    },
  }
}
