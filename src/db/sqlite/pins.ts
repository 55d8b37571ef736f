// Pins (SPEC §11.6): pinned_at/pinned_by on the message, with pin_rev ordering them newest first.

import type { Database } from 'bun:sqlite'
import { conflict } from '../../errors'
import type { MessageChange } from '../../schemas/change'
import { pageColumns, type MessageRow, type PageRow } from '../rows'
import { createRevs } from './revs'

export function createPinStore(db: Database) {
  const revs = createRevs(db)
  const bySeq = db.query<MessageRow, [string, number]>('SELECT * FROM messages WHERE room_id = ? AND seq = ?')
  const count = db.query<{ n: number }, [string]>('SELECT count(*) AS n FROM messages WHERE room_id = ? AND pin_rev IS NOT NULL')
  const pin = db.query('UPDATE messages SET pinned_at = ?1, pinned_by = ?2, pin_rev = ?3, rev = ?3, last_change = ?4 WHERE room_id = ?5 AND seq = ?6')
  const unpin = db.query('UPDATE messages SET pinned_at = NULL, pinned_by = NULL, pin_rev = NULL, rev = ?, last_change = ? WHERE room_id = ? AND seq = ?')
  const list = db.query<PageRow, [string]>(`SELECT ${pageColumns()} FROM messages WHERE room_id = ? AND pin_rev IS NOT NULL ORDER BY pin_rev DESC`)

  const live = (roomId: string, seq: number) => {
    const row = bySeq.get(roomId, seq)!
    if (row.deleted_at) throw conflict('the message is deleted')
    return row
  }
  const change = (kind: 'pinned' | 'unpinned', userId: string) => JSON.stringify({ kind, user_id: userId } satisfies MessageChange)

  return {
    /** Pins with a new rev. Already pinned: changed=false. A deleted message, or a pin past `max`, is a CONFLICT. */
    pin(roomId: string, seq: number, userId: string, at: string, max: number): { row: MessageRow; changed: boolean } {
      return db.transaction(() => {
        const row = live(roomId, seq)
        if (row.pinned_at !== null) return { row, changed: false }
        if (count.get(roomId)!.n >= max) throw conflict(`a room has at most ${max} pinned messages`)
        const rev = revs.next(roomId)
        pin.run(at, userId, rev, change('pinned', userId), roomId, seq)
        return { row: bySeq.get(roomId, seq)!, changed: true }
      }).immediate()
    },

    /** Unpins with a new rev. Not pinned: changed=false. A deleted message is a CONFLICT. */
    unpin(roomId: string, seq: number, userId: string): { row: MessageRow; changed: boolean } {
      return db.transaction(() => {
        const row = live(roomId, seq)
        if (row.pinned_at === null) return { row, changed: false }
        unpin.run(revs.next(roomId), change('unpinned', userId), roomId, seq)
        return { row: bySeq.get(roomId, seq)!, changed: true }
      }).immediate()
    },

    /** The room's pinned messages, newest pin first. */
    list: (roomId: string) => list.all(roomId),
  }
}
