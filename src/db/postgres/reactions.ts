// Reactions (PostgreSQL, SPEC §11.4): the same rows and summary as db/sqlite/reactions.ts, each change
// one transaction holding the room's lock.

import type { SQL, TransactionSQL } from 'bun'
import { conflict } from '../../errors'
import type { MessageChange } from '../../schemas/change'
import { MAX_LISTED_REACTORS } from '../../schemas/message'
import { parseReactions, reactionsJson, refillNeeded, toReactorPage, withReaction, withoutReaction, type ReactorRow } from '../rich-rows'
import type { MessageRow } from '../rows'
import { decodeCursor } from '../cursor'
import { lockRoom, nextRev } from './revs'
import { all, first } from './rows'

export function createReactionStore(sql: SQL) {
  /** Locks the room, then the live message at (roomId, seq), or CONFLICT when it is deleted. */
  const live = async (tx: TransactionSQL, roomId: string, seq: number) => {
    await lockRoom(tx, roomId)
    const row = first<MessageRow>(await tx`SELECT * FROM messages WHERE room_id = ${roomId} AND seq = ${seq}`)!
    if (row.deleted_at) throw conflict('the message is deleted')
    return row
  }
  const changed = async (tx: TransactionSQL, roomId: string, seq: number, summary: string | null, change: MessageChange) => {
    const rev = await nextRev(tx, roomId)
    const [row] = await tx`UPDATE messages SET reactions = ${summary}::text, rev = ${rev}, last_change = ${JSON.stringify(change)}
      WHERE room_id = ${roomId} AND seq = ${seq} RETURNING *`
    return { rev, row: row as MessageRow }
  }

  return {
    async add(roomId: string, seq: number, key: string, userId: string, at: string): Promise<{ row: MessageRow; changed: boolean }> {
      return sql.begin(async (tx) => {
        const row = await live(tx, roomId, seq)
        const [had] = await tx`SELECT 1 FROM reactions WHERE room_id = ${roomId} AND seq = ${seq} AND key = ${key} AND user_id = ${userId}`
        if (had) return { row, changed: false }
        const summary = withReaction(parseReactions(row.reactions), key, userId)
        const after = await changed(tx, roomId, seq, reactionsJson(summary), { kind: 'reaction.added', user_id: userId, key })
        await tx`INSERT INTO reactions (room_id, seq, key, user_id, tenant_id, rev, created_at)
          VALUES (${roomId}, ${seq}, ${key}, ${userId}, ${row.tenant_id}, ${after.rev}, ${at})`
        return { row: after.row, changed: true }
      })
    },

    async remove(roomId: string, seq: number, key: string, userId: string): Promise<{ row: MessageRow; changed: boolean }> {
      return sql.begin(async (tx) => {
        const row = await live(tx, roomId, seq)
        const gone = await tx`DELETE FROM reactions WHERE room_id = ${roomId} AND seq = ${seq} AND key = ${key} AND user_id = ${userId} RETURNING 1`
        if (!gone.length) return { row, changed: false }
        const before = parseReactions(row.reactions)
        const refill = refillNeeded(before, key, userId)
          ? all<{ user_id: string }>(
              await tx`SELECT user_id FROM reactions WHERE room_id = ${roomId} AND seq = ${seq} AND key = ${key} ORDER BY rev LIMIT ${MAX_LISTED_REACTORS}`,
            ).map((r) => r.user_id)
          : null
        const after = await changed(tx, roomId, seq, reactionsJson(withoutReaction(before, key, userId, refill)), { kind: 'reaction.removed', user_id: userId, key })
        return { row: after.row, changed: true }
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
