// Reactions (PostgreSQL, SPEC §11.4): the same rows and summary as db/sqlite/reactions.ts. A batch is
// one transaction holding the locks of its rooms; each op runs in a savepoint of its own.

import type { SQL, TransactionSQL } from 'bun'
import { AppError, conflict } from '../../errors'
import type { MessageChange } from '../../schemas/change'
import { MAX_LISTED_REACTORS } from '../../schemas/message'
import { parseReactions, reactionsJson, refillNeeded, toReactorPage, withReaction, withoutReaction, type ReactorRow } from '../rich-rows'
import type { Changed, ChangeResult, MessageRow, ReactionOp } from '../rows'
import { decodeCursor } from '../cursor'
import { nextRev } from './revs'
import { all, first, sqlState } from './rows'

/** The live message at (roomId, seq), or CONFLICT when it is deleted (its room already locked). */
async function live(tx: SQL, roomId: string, seq: number) {
  const row = first<MessageRow>(await tx`SELECT * FROM messages WHERE room_id = ${roomId} AND seq = ${seq}`)!
  if (row.deleted_at) throw conflict('the message is deleted')
  return row
}

async function changed(tx: SQL, roomId: string, seq: number, summary: string | null, change: MessageChange) {
  const rev = await nextRev(tx, roomId)
  const [row] = await tx`UPDATE messages SET reactions = ${summary}::text, rev = ${rev}, last_change = ${JSON.stringify(change)}
    WHERE room_id = ${roomId} AND seq = ${seq} RETURNING *`
  return { rev, row: row as MessageRow }
}

async function add(tx: SQL, { room_id, seq, key, user_id, at }: ReactionOp): Promise<Changed> {
  const row = await live(tx, room_id, seq)
  const [had] = await tx`SELECT 1 FROM reactions WHERE room_id = ${room_id} AND seq = ${seq} AND key = ${key} AND user_id = ${user_id}`
  if (had) return { row, changed: false }
  const summary = withReaction(parseReactions(row.reactions), key, user_id)
  const after = await changed(tx, room_id, seq, reactionsJson(summary), { kind: 'reaction.added', user_id, key })
  await tx`INSERT INTO reactions (room_id, seq, key, user_id, tenant_id, rev, created_at)
    VALUES (${room_id}, ${seq}, ${key}, ${user_id}, ${row.tenant_id}, ${after.rev}, ${at})`
  return { row: after.row, changed: true }
}

async function remove(tx: SQL, { room_id, seq, key, user_id }: ReactionOp): Promise<Changed> {
  const row = await live(tx, room_id, seq)
  const gone = await tx`DELETE FROM reactions WHERE room_id = ${room_id} AND seq = ${seq} AND key = ${key} AND user_id = ${user_id} RETURNING 1`
  if (!gone.length) return { row, changed: false }
  const before = parseReactions(row.reactions)
  const refill = refillNeeded(before, key, user_id)
    ? all<{ user_id: string }>(
        await tx`SELECT user_id FROM reactions WHERE room_id = ${room_id} AND seq = ${seq} AND key = ${key} ORDER BY rev LIMIT ${MAX_LISTED_REACTORS}`,
      ).map((r) => r.user_id)
    : null
  const after = await changed(tx, room_id, seq, reactionsJson(withoutReaction(before, key, user_id, refill)), { kind: 'reaction.removed', user_id, key })
  return { row: after.row, changed: true }
}

export function createReactionStore(sql: SQL) {
  return {
    /**
     * The batch in one transaction: its rooms are locked first, in room_id order (the order
     * appendBatch locks in, so the two cannot deadlock), then each op runs in its own savepoint.
     */
    async apply(ops: ReactionOp[]): Promise<ChangeResult[]> {
      if (!ops.length) return []
      return sql.begin(async (tx: TransactionSQL) => {
        const rooms = [...new Set(ops.map((o) => o.room_id))].sort()
        await tx`SELECT 1 FROM rooms WHERE room_id = ANY(${rooms}::text[]) ORDER BY room_id FOR NO KEY UPDATE`
        const results: ChangeResult[] = []
        for (const op of ops) {
          try {
            results.push({ ok: true, ...(await tx.savepoint((sp) => (op.op === 'add' ? add(sp, op) : remove(sp, op)))) })
          } catch (error) {
            // The op's own failure (a CONFLICT, a statement error) is its alone; anything else
            // (the connection, the transaction) fails the whole batch.
            if (!(error instanceof AppError) && sqlState(error) === null) throw error
            results.push({ ok: false, error })
          }
        }
        return results
      })
    },

    async list(roomId: string, seq: number, key: string | null, limit: number, cursor?: string) {
      const after = cursor ? (decodeCursor(cursor, ['number'])[0] as number) : 0
      const rows = all<ReactorRow>(await sql`
        SELECT user_id, key, created_at, rev FROM reactions WHERE room_id = ${roomId} AND seq = ${seq}
        ${key === null ? sql`` : sql`AND key = ${key}`} AND rev > ${after} ORDER BY rev LIMIT ${limit + 1}`)
      return toReactorPage(rows, limit)
    },
  }
}
