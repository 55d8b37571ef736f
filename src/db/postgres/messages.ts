// Message rows (PostgreSQL): gap-free seq assignment across instances, history pages, edits and tombstones.

import type { SQL, TransactionSQL } from 'bun'
import type { AppendResult, MessageRow, NewMessage } from '../sqlite/messages'
import { activityKey } from './activity'
import { all, first, sqlState } from './rows'

/** Thrown for an item whose room does not exist (or belongs to another tenant): that item fails alone. */
class RoomVanished extends Error {}
/** Rolls the fast path's savepoint back when not every item was stored. */
class NotAll extends Error {}

/**
 * The whole batch as one statement, or null when some item cannot be stored that way (then
 * nothing of it remains). Seqs per room follow batch order; each room's activity key is drawn in
 * the order of its last item in the batch (a sequence hands values out in call order, not in row
 * order, so the drawn values are sorted and dealt out by that rank).
 */
async function wholeBatch(tx: TransactionSQL, items: NewMessage[]): Promise<AppendResult[] | null> {
  const keys = items.filter((m) => m.client_msg_id).map((m) => `${m.room_id}\u0000${m.sender_id}\u0000${m.client_msg_id}`)
  if (new Set(keys).size !== keys.length) return null // a replay inside the batch: item by item
  const col = <K extends keyof NewMessage>(k: K) => items.map((m) => m[k])
  try {
    const rows = await tx.savepoint(async (sp) => {
      const rows = (await sp`
        WITH items AS (
          SELECT * FROM unnest(${col('room_id')}::text[], ${col('tenant_id')}::text[], ${col('sender_id')}::text[], ${col('message_id')}::text[],
                               ${col('content')}::text[], ${col('meta')}::text[], ${col('client_msg_id')}::text[], ${col('created_at')}::text[])
            WITH ORDINALITY AS i(room_id, tenant_id, sender_id, message_id, content, meta, client_msg_id, created_at, ord)
        ),
        per_room AS (
          SELECT DISTINCT ON (room_id) room_id, created_at, count(*) OVER (PARTITION BY room_id) AS n, ord
          FROM items ORDER BY room_id, ord DESC
        ),
        ranked AS (SELECT room_id, created_at, n, row_number() OVER (ORDER BY ord) AS rk FROM per_room),
        drawn AS (SELECT nextval('activity_keys') AS v FROM ranked),
        dealt AS (SELECT v, row_number() OVER (ORDER BY v) AS rk FROM drawn),
        bumped AS (
          UPDATE rooms r SET last_seq = r.last_seq + k.n, last_activity_at = k.created_at || '#' || lpad(d.v::text, 12, '0')
          FROM ranked k JOIN dealt d ON d.rk = k.rk
          WHERE r.room_id = k.room_id
          RETURNING r.room_id, r.tenant_id, r.last_seq - k.n AS base
        )
        INSERT INTO messages (room_id, seq, message_id, tenant_id, sender_id, content, meta, client_msg_id, created_at)
        SELECT i.room_id, b.base + row_number() OVER (PARTITION BY i.room_id ORDER BY i.ord), i.message_id, i.tenant_id, i.sender_id,
               i.content, i.meta, i.client_msg_id, i.created_at
        FROM items i JOIN bumped b ON b.room_id = i.room_id AND b.tenant_id = i.tenant_id
        RETURNING *`) as MessageRow[]
      if (rows.length !== items.length) throw new NotAll()
      return rows
    })
    const byId = new Map(rows.map((r) => [r.message_id, r]))
    return items.map((m) => ({ ok: true, row: byId.get(m.message_id)!, created: true }))
  } catch (e) {
    if (e instanceof NotAll || sqlState(e) !== null) return null
    throw e
  }
}

/** Each item in its own savepoint: a failing item fails alone and leaves no gap. */
async function itemByItem(tx: TransactionSQL, items: NewMessage[]): Promise<AppendResult[]> {
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
      results.push({ ok: true, row, created: true })
    } catch (error) {
      // A replay: the client_msg_id index, or the message_id index when the replay reuses the
      // original's message_id (whichever unique index PostgreSQL checks first).
      if (m.client_msg_id && sqlState(error) === '23505') {
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
  return results
}

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
     * - `UPDATE rooms SET last_seq = last_seq + n … RETURNING` takes the room row's lock and holds
     *   it until COMMIT. A concurrent append to the same room, from this or any other instance,
     *   blocks on that row until this transaction ends, then re-reads the committed last_seq and
     *   continues from it. So appends to one room serialize and commit in seq order: no seq is
     *   handed out twice, none is skipped, and no reader sees seq n+1 committed before n.
     * - The batch first locks all its rooms in room_id order (SELECT … ORDER BY room_id FOR NO KEY
     *   UPDATE, the lock the UPDATE takes anyway), so two batches sharing rooms cannot deadlock.
     * - Fast path: when no client_msg_id repeats inside the batch, the whole batch is ONE statement
     *   (rooms bumped by their item count, rows inserted with base + position), in a savepoint. If
     *   any item would fail (a duplicate message_id, a client_msg_id replay, a missing or foreign
     *   room), the savepoint is rolled back and the batch goes item by item instead:
     * - Item by item: each item runs in its own SAVEPOINT, as one statement (the room's +1 UPDATE
     *   and the INSERT in one CTE). A failing item rolls back to its savepoint: its seq bump is
     *   undone with it, so it leaves no gap and undoes nothing of the others.
     * - An error that ends the whole transaction (connection lost, failed COMMIT) rejects the whole
     *   batch, like SQLITE_FULL does in the SQLite store.
     * - Idempotency across instances rests on the unique index (room_id, sender_id, client_msg_id):
     *   the second INSERT of a key fails (the first writer has committed by then: it held the room
     *   lock), its savepoint is rolled back, and the original row is returned.
     */
    async appendBatch(items: NewMessage[]): Promise<AppendResult[]> {
      if (!items.length) return []
      return sql.begin(async (tx) => {
        const rooms = [...new Set(items.map((m) => m.room_id))].sort()
        await tx`SELECT 1 FROM rooms WHERE room_id = ANY(${rooms}::text[]) ORDER BY room_id FOR NO KEY UPDATE`
        const results = (await wholeBatch(tx, items)) ?? (await itemByItem(tx, items))
        const senders = new Map<string, { room: string; user: string; seq: number }>()
        for (const r of results) if (r.ok && r.created) senders.set(`${r.row.room_id}\u0000${r.row.sender_id}`, { room: r.row.room_id, user: r.row.sender_id, seq: r.row.seq })
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
