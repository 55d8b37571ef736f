// Message rows (PostgreSQL): gap-free seq assignment across instances, history pages, edits and tombstones.

import type { SQL } from 'bun'
import type { AppendResult, MessageRow, NewMessage } from '../sqlite/messages'
import { activityKey } from './activity'
import { all, first, isUniqueViolation, sqlState } from './rows'

/** Thrown for an item whose room does not exist (or belongs to another tenant): that item fails alone. */
class RoomVanished extends Error {}

export function createMessageStore(sql: SQL) {
  const bySeq = async (q: SQL, roomId: string, seq: number) =>
    first<MessageRow>(await q`SELECT * FROM messages WHERE room_id = ${roomId} AND seq = ${seq}`)

  return {
    /**
     * Group commit (SPEC §6): appends every message in ONE transaction. Each gets the room's next
     * seq and its row; the sender's ack and read marker move to their last seq in each room. A
     * client_msg_id the sender already used in the room returns the original row, created=false.
     *
     * Seq assignment, atomic and gap-free with writers on several instances:
     * - `UPDATE rooms SET last_seq = last_seq + 1 … RETURNING last_seq` takes the room row's lock
     *   and holds it until COMMIT. A concurrent append to the same room, from this or any other
     *   instance, blocks on that UPDATE until this transaction ends, then re-reads the committed
     *   last_seq and continues from it. So appends to one room serialize, and they commit in seq
     *   order: no seq is handed out twice, and a reader never sees seq n+1 committed before n.
     * - The batch first locks all its rooms in room_id order (SELECT … ORDER BY room_id FOR NO KEY
     *   UPDATE, the lock the UPDATE takes anyway), so two batches sharing rooms cannot deadlock.
     * - Each item runs in its own SAVEPOINT, as one statement (the UPDATE and the INSERT in one CTE).
     *   A failing item (a duplicate message_id, a vanished room) rolls back to its savepoint: its
     *   seq bump is undone with it, so it leaves no gap and undoes nothing of the others. An error
     *   that ends the whole transaction (connection lost, failed COMMIT) rejects the whole batch,
     *   like SQLITE_FULL does in the SQLite store.
     * - Idempotency across instances rests on the unique index (room_id, sender_id, client_msg_id):
     *   the second INSERT of a key fails (after waiting for the first writer, which holds the room
     *   lock anyway), its savepoint is rolled back, and the original row is returned.
     */
    async appendBatch(items: NewMessage[]): Promise<AppendResult[]> {
      if (!items.length) return []
      return sql.begin(async (tx) => {
        const rooms = [...new Set(items.map((m) => m.room_id))].sort()
        await tx`SELECT 1 FROM rooms WHERE room_id = ANY(${rooms}::text[]) ORDER BY room_id FOR NO KEY UPDATE`
        const senders = new Map<string, { room: string; user: string; seq: number }>()
        const results: AppendResult[] = []
        for (const m of items) {
          try {
            const row = await tx.savepoint(async (sp) => {
              const [r] = await sp`
                WITH bumped AS (
                  UPDATE rooms SET last_seq = last_seq + 1, last_activity_at = ${activityKey(sp, m.created_at)}
                  WHERE room_id = ${m.room_id} AND tenant_id = ${m.tenant_id}
                  RETURNING last_seq
                )
                INSERT INTO messages (room_id, seq, message_id, tenant_id, sender_id, content, meta, client_msg_id, created_at)
                SELECT ${m.room_id}, bumped.last_seq, ${m.message_id}, ${m.tenant_id}, ${m.sender_id}, ${m.content}, ${m.meta}::text,
                       ${m.client_msg_id}::text, ${m.created_at}
                FROM bumped
                RETURNING *`
              if (!r) throw new RoomVanished(`room ${m.room_id} vanished during append`)
              return r as MessageRow
            })
            senders.set(`${m.room_id}\u0000${m.sender_id}`, { room: m.room_id, user: m.sender_id, seq: row.seq })
            results.push({ ok: true, row, created: true })
          } catch (error) {
            if (m.client_msg_id && isUniqueViolation(error, 'messages_client_id')) {
              const prior = first<MessageRow>(
                await tx`SELECT * FROM messages WHERE room_id = ${m.room_id} AND sender_id = ${m.sender_id} AND client_msg_id = ${m.client_msg_id}`,
              )
              if (prior) {
                results.push({ ok: true, row: prior, created: false })
                continue
              }
            }
            // Only a statement's own failure is the item's; anything else (the connection, the
            // transaction) fails the whole batch with the original error.
            if (!(error instanceof RoomVanished) && sqlState(error) === null) throw error
            results.push({ ok: false, error })
          }
        }
        if (senders.size) {
          const s = [...senders.values()]
          await tx`
            UPDATE members SET last_ack = greatest(last_ack, v.seq), last_read = greatest(last_read, v.seq)
            FROM unnest(${s.map((x) => x.room)}::text[], ${s.map((x) => x.user)}::text[], ${s.map((x) => x.seq)}::int[]) AS v(room_id, user_id, seq)
            WHERE members.room_id = v.room_id AND members.user_id = v.user_id`
        }
        return results
      })
    },

    get: async (roomId: string, messageId: string) =>
      first<MessageRow>(await sql`SELECT * FROM messages WHERE room_id = ${roomId} AND message_id = ${messageId}`),
    bySeq: (roomId: string, seq: number) => bySeq(sql, roomId, seq),
    /** Up to `limit` messages with seq > afterSeq, ascending. */
    after: async (roomId: string, afterSeq: number, limit: number) =>
      all<MessageRow>(await sql`SELECT * FROM messages WHERE room_id = ${roomId} AND seq > ${afterSeq} ORDER BY seq LIMIT ${limit}`),
    /** Up to `limit` messages with seq < beforeSeq, ascending. */
    before: async (roomId: string, beforeSeq: number, limit: number) =>
      all<MessageRow>(await sql`SELECT * FROM messages WHERE room_id = ${roomId} AND seq < ${beforeSeq} ORDER BY seq DESC LIMIT ${limit}`).reverse(),

    async edit(roomId: string, seq: number, content: string | null, meta: string | null, at: string): Promise<MessageRow> {
      return first<MessageRow>(
        await sql`UPDATE messages SET content = coalesce(${content}::text, content), meta = coalesce(${meta}::text, meta), edited_at = ${at}
          WHERE room_id = ${roomId} AND seq = ${seq} RETURNING *`,
      )!
    },
    async tombstone(roomId: string, seq: number, at: string): Promise<MessageRow> {
      return first<MessageRow>(
        await sql`UPDATE messages SET content = '', meta = NULL, deleted_at = ${at} WHERE room_id = ${roomId} AND seq = ${seq} RETURNING *`,
      )!
    },
  }
}
