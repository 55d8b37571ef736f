// Pins (PostgreSQL, SPEC §11.6): the same columns as db/sqlite/pins.ts, each change holding the room's lock.

import type { SQL, TransactionSQL } from 'bun'
import { conflict } from '../../errors'
import type { MessageChange } from '../../schemas/change'
import { pageColumns, type MessageRow, type PageRow } from '../rows'
import { lockRoom, nextRev } from './revs'
import { all, first } from './rows'

const COLUMNS = pageColumns()

export function createPinStore(sql: SQL) {
  const live = async (tx: TransactionSQL, roomId: string, seq: number) => {
    await lockRoom(tx, roomId)
    const row = first<MessageRow>(await tx`SELECT * FROM messages WHERE room_id = ${roomId} AND seq = ${seq}`)!
    if (row.deleted_at) throw conflict('the message is deleted')
    return row
  }
  const change = (kind: 'pinned' | 'unpinned', userId: string) => JSON.stringify({ kind, user_id: userId } satisfies MessageChange)

  return {
    async pin(roomId: string, seq: number, userId: string, at: string, max: number): Promise<{ row: MessageRow; changed: boolean }> {
      return sql.begin(async (tx) => {
        const row = await live(tx, roomId, seq)
        if (row.pinned_at !== null) return { row, changed: false }
        const [{ n }] = await tx`SELECT count(*)::int AS n FROM messages WHERE room_id = ${roomId} AND pin_rev IS NOT NULL`
        if (n >= max) throw conflict(`a room has at most ${max} pinned messages`)
        const rev = await nextRev(tx, roomId)
        const [after] = await tx`UPDATE messages SET pinned_at = ${at}, pinned_by = ${userId}, pin_rev = ${rev}, rev = ${rev},
            last_change = ${change('pinned', userId)} WHERE room_id = ${roomId} AND seq = ${seq} RETURNING *`
        return { row: after as MessageRow, changed: true }
      })
    },

    async unpin(roomId: string, seq: number, userId: string): Promise<{ row: MessageRow; changed: boolean }> {
      return sql.begin(async (tx) => {
        const row = await live(tx, roomId, seq)
        if (row.pinned_at === null) return { row, changed: false }
        const [after] = await tx`UPDATE messages SET pinned_at = NULL, pinned_by = NULL, pin_rev = NULL, rev = ${await nextRev(tx, roomId)},
            last_change = ${change('unpinned', userId)} WHERE room_id = ${roomId} AND seq = ${seq} RETURNING *`
        return { row: after as MessageRow, changed: true }
      })
    },

    list: async (roomId: string) =>
      all<PageRow>(await sql`SELECT ${sql.unsafe(COLUMNS)} FROM messages WHERE room_id = ${roomId} AND pin_rev IS NOT NULL ORDER BY pin_rev DESC`),
  }
}
