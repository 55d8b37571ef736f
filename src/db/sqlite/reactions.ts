// Reactions (SPEC §11.4): one row per reactor and key, and the summary on the message row, changed
// together with the message's rev in one immediate transaction.

import type { Database } from 'bun:sqlite'
import { conflict } from '../../errors'
import type { MessageChange } from '../../schemas/change'
import { MAX_LISTED_REACTORS } from '../../schemas/message'
import { decodeCursor } from '../cursor'
import { parseReactions, reactionsJson, refillNeeded, toReactorPage, withReaction, withoutReaction, type ReactorRow } from '../rich-rows'
import type { MessageRow } from '../rows'
import { createRevs } from './revs'

export function createReactionStore(db: Database) {
  const revs = createRevs(db)
  const bySeq = db.query<MessageRow, [string, number]>('SELECT * FROM messages WHERE room_id = ? AND seq = ?')
  const insert = db.query(
    'INSERT INTO reactions (room_id, seq, key, user_id, tenant_id, rev, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
  )
  const remove = db.query('DELETE FROM reactions WHERE room_id = ? AND seq = ? AND key = ? AND user_id = ?')
  const has = db.query<{ one: number }, [string, number, string, string]>(
    'SELECT 1 AS one FROM reactions WHERE room_id = ? AND seq = ? AND key = ? AND user_id = ?',
  )
  const earliest = db.query<{ user_id: string }, [string, number, string, number]>(
    'SELECT user_id FROM reactions WHERE room_id = ? AND seq = ? AND key = ? ORDER BY rev LIMIT ?',
  )
  const setSummary = db.query('UPDATE messages SET reactions = ?, rev = ?, last_change = ? WHERE room_id = ? AND seq = ?')
  const list = (byKey: boolean) =>
    db.query<ReactorRow, (string | number)[]>(
      `SELECT user_id, key, created_at, rev FROM reactions WHERE room_id = ? AND seq = ? ${byKey ? 'AND key = ?' : ''} AND rev > ?
       ORDER BY rev LIMIT ?`,
    )
  const listAll = list(false)
  const listKey = list(true)

  /** The live message at (roomId, seq), or CONFLICT when it is deleted. */
  const live = (roomId: string, seq: number) => {
    const row = bySeq.get(roomId, seq)!
    if (row.deleted_at) throw conflict('the message is deleted')
    return row
  }
  const changed = (roomId: string, seq: number, summary: string | null, change: MessageChange) => {
    const rev = revs.next(roomId)
    setSummary.run(summary, rev, JSON.stringify(change), roomId, seq)
    return rev
  }

  return {
    /**
     * Adds `userId`'s reaction `key` with a new rev. Already there: the row unchanged, changed=false
     * (no rev). A deleted message, or a 26th distinct key, is a CONFLICT.
     */
    add(roomId: string, seq: number, key: string, userId: string, at: string): { row: MessageRow; changed: boolean } {
      return db.transaction(() => {
        const row = live(roomId, seq)
        if (has.get(roomId, seq, key, userId)) return { row, changed: false }
        const summary = withReaction(parseReactions(row.reactions), key, userId)
        const rev = changed(roomId, seq, reactionsJson(summary), { kind: 'reaction.added', user_id: userId, key })
        insert.run(roomId, seq, key, userId, row.tenant_id, rev, at)
        return { row: bySeq.get(roomId, seq)!, changed: true }
      }).immediate()
    },

    /** Removes `userId`'s reaction `key` with a new rev; none to remove: changed=false. A deleted message is a CONFLICT. */
    remove(roomId: string, seq: number, key: string, userId: string): { row: MessageRow; changed: boolean } {
      return db.transaction(() => {
        const row = live(roomId, seq)
        if (remove.run(roomId, seq, key, userId).changes === 0) return { row, changed: false }
        const before = parseReactions(row.reactions)
        const refill = refillNeeded(before, key, userId) ? earliest.all(roomId, seq, key, MAX_LISTED_REACTORS).map((r) => r.user_id) : null
        const summary = withoutReaction(before, key, userId, refill)
        changed(roomId, seq, reactionsJson(summary), { kind: 'reaction.removed', user_id: userId, key })
        return { row: bySeq.get(roomId, seq)!, changed: true }
      }).immediate()
    },

    /** Every reaction of the message (or of one key), earliest first, paged by rev. */
    list(roomId: string, seq: number, key: string | null, limit: number, cursor?: string) {
      const after = cursor ? (decodeCursor(cursor, ['number'])[0] as number) : 0
      const rows = key === null ? listAll.all(roomId, seq, after, limit + 1) : listKey.all(roomId, seq, key, after, limit + 1)
      return toReactorPage(rows, limit)
    },
  }
}
