// Reactions (SPEC §11.4): one row per reactor and key, and the summary on the message row, changed
// together with the message's rev. Batched like sends: one immediate transaction per group commit.

import type { Database } from 'bun:sqlite'
import { conflict } from '../../errors'
import type { MessageChange } from '../../schemas/change'
import { MAX_LISTED_REACTORS } from '../../schemas/message'
import { decodeCursor } from '../cursor'
import { parseReactions, reactionsJson, refillNeeded, toReactorPage, withReaction, withoutReaction, type ReactorRow } from '../rich-rows'
import type { Changed, ChangeResult, MessageRow, ReactionOp } from '../rows'
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
  const setSummary = db.query<MessageRow, [string | null, number, string, string, number]>(
    'UPDATE messages SET reactions = ?, rev = ?, last_change = ? WHERE room_id = ? AND seq = ? RETURNING *',
  )
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
  /** Writes the summary with the room's next rev; the row after. */
  const changed = (roomId: string, seq: number, summary: string | null, change: MessageChange): MessageRow =>
    setSummary.get(summary, revs.next(roomId), JSON.stringify(change), roomId, seq)!

  function add({ room_id, seq, key, user_id, at }: ReactionOp): Changed {
    const row = live(room_id, seq)
    if (has.get(room_id, seq, key, user_id)) return { row, changed: false }
    const summary = withReaction(parseReactions(row.reactions), key, user_id)
    const after = changed(room_id, seq, reactionsJson(summary), { kind: 'reaction.added', user_id, key })
    insert.run(room_id, seq, key, user_id, row.tenant_id, after.rev, at)
    return { row: after, changed: true }
  }

  function removeOne({ room_id, seq, key, user_id }: ReactionOp): Changed {
    const row = live(room_id, seq)
    if (remove.run(room_id, seq, key, user_id).changes === 0) return { row, changed: false }
    const before = parseReactions(row.reactions)
    const refill = refillNeeded(before, key, user_id) ? earliest.all(room_id, seq, key, MAX_LISTED_REACTORS).map((r) => r.user_id) : null
    const after = changed(room_id, seq, reactionsJson(withoutReaction(before, key, user_id, refill)), { kind: 'reaction.removed', user_id, key })
    return { row: after, changed: true }
  }

  // Called inside the batch's transaction, bun:sqlite runs this as a SAVEPOINT: an op that fails
  // part-way leaves nothing behind, and the others stand.
  const one = db.transaction((op: ReactionOp) => (op.op === 'add' ? add(op) : removeOne(op)))

  return {
    apply(ops: ReactionOp[]): ChangeResult[] {
      return db.transaction(() =>
        ops.map((op): ChangeResult => {
          try {
            return { ok: true, ...one(op) }
          } catch (error) {
            // An I/O error or a full disk may roll back the whole transaction: fail the whole batch.
            if (!db.inTransaction) throw error
            return { ok: false, error }
          }
        }),
      ).immediate()
    },

    /** Every reaction of the message (or of one key), earliest first, paged by rev. */
    list(roomId: string, seq: number, key: string | null, limit: number, cursor?: string) {
      const after = cursor ? (decodeCursor(cursor, ['number'])[0] as number) : 0
      const rows = key === null ? listAll.all(roomId, seq, after, limit + 1) : listKey.all(roomId, seq, key, after, limit + 1)
      return toReactorPage(rows, limit)
    },
  }
}
