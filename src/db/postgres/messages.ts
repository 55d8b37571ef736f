// Message rows (PostgreSQL): gap-free seq assignment across instances, history pages, replies, edits
// and tombstones, each change to an existing message with its rev (SPEC §11.1).

import type { SQL, TransactionSQL } from 'bun'
import { conflict, notFound } from '../../errors'
import type { MessageChange } from '../../schemas/change'
import { pageColumns, parentProblem, type AppendResult, type ChangeRow, type MessageRow, type NewMessage, type PageRow, type PageStamp } from '../rows'
import { activityKey } from './activity'
import { lockRoom, nextRev } from './revs'
import { activityBucket, BUCKETED_ROOM_MAX_MEMBERS } from '../room-list'
import { all, first, sqlState } from './rows'
import { attachmentSteps } from './uploads'

const mentionsJson = (m: NewMessage) => (m.mentions.length ? JSON.stringify(m.mentions) : null)

/** Thrown for an item whose room does not exist (or belongs to another tenant): that item fails alone. */
class RoomVanished extends Error {}
/** Rolls the fast path's savepoint back when not every item was stored. */
class NotAll extends Error {}

/**
 * The whole batch as one statement, or null when some item cannot be stored that way (then
 * nothing of it remains). The per-room figures are worked out here, so the statement stays cheap
 * to plan: each room is bumped by its item count, and an item's seq is the room's old last_seq plus
 * its position among the room's items in the batch. Each room's activity key is drawn in the order
 * of its last item in the batch: the values drawn are sorted and dealt out by that rank.
 */
async function wholeBatch(tx: TransactionSQL, items: NewMessage[]): Promise<AppendResult[] | null> {
  const rooms = new Map<string, { n: number; last: number }>()
  const pos = items.map((m, i) => {
    const r = rooms.get(m.room_id) ?? { n: 0, last: 0 }
    rooms.set(m.room_id, { n: r.n + 1, last: i })
    return r.n + 1
  })
  const byLast = [...rooms].sort((a, b) => a[1].last - b[1].last)
  const col = <K extends keyof NewMessage>(k: K) => items.map((m) => m[k])
  try {
    const rows = await tx.savepoint(async (sp) => {
      const rows = (await sp`
        WITH drawn AS (
          SELECT array_agg(v ORDER BY v) AS vs FROM (SELECT nextval('activity_keys') AS v FROM generate_series(1, ${byLast.length}::int)) s
        ),
        bumped AS (
          UPDATE rooms r SET last_seq = r.last_seq + k.n, last_activity_at = k.at || '#' || lpad((d.vs[k.rank])::text, 12, '0')
          FROM unnest(${byLast.map(([id]) => id)}::text[], ${byLast.map(([, r]) => r.n)}::int[], ${byLast.map(([, r]) => items[r.last].created_at)}::text[])
                 WITH ORDINALITY AS k(room_id, n, at, rank),
               drawn d
          WHERE r.room_id = k.room_id AND r.deleted_at IS NULL
          RETURNING r.room_id, r.tenant_id, r.last_seq - k.n AS base
        )
        INSERT INTO messages (room_id, seq, message_id, tenant_id, sender_id, content, meta, client_msg_id, created_at, parent_id, mentions, attachments)
        SELECT i.room_id, b.base + i.pos, i.message_id, i.tenant_id, i.sender_id, i.content, i.meta, i.client_msg_id, i.created_at,
               i.parent_id, i.mentions, i.attachments
        FROM unnest(${col('room_id')}::text[], ${col('tenant_id')}::text[], ${col('sender_id')}::text[], ${col('message_id')}::text[],
                    ${col('content')}::text[], ${col('meta')}::text[], ${col('client_msg_id')}::text[], ${col('created_at')}::text[], ${pos}::int[],
                    ${col('parent_id')}::text[], ${items.map(mentionsJson)}::text[], ${items.map((m) => m.attachments ?? null)}::text[])
               AS i(room_id, tenant_id, sender_id, message_id, content, meta, client_msg_id, created_at, pos, parent_id, mentions, attachments)
        JOIN bumped b ON b.room_id = i.room_id AND b.tenant_id = i.tenant_id
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

const clientKey = (m: { room_id: string; sender_id: string; client_msg_id: string | null }) =>
  `${m.room_id}\u0000${m.sender_id}\u0000${m.client_msg_id}`

/** The batch, its rooms locked: replays answered from one query, the rest stored (see appendBatch). */
async function appendLocked(tx: TransactionSQL, items: NewMessage[]): Promise<AppendResult[]> {
  const keyed = items.filter((m) => m.client_msg_id)
  // A replay inside the batch: no lookup of earlier rows, and the items go one by one, where the
  // unique index answers the second of a pair with the first's row. Parent checks, mention rows and
  // reply counts still run as for any batch.
  const replayInBatch = new Set(keyed.map(clientKey)).size !== keyed.length
  const prior = new Map<string, MessageRow>()
  if (keyed.length && !replayInBatch) {
    const rows = (await tx`
      SELECT m.* FROM unnest(${keyed.map((m) => m.room_id)}::text[], ${keyed.map((m) => m.sender_id)}::text[], ${keyed.map((m) => m.client_msg_id)}::text[])
        AS k(room_id, sender_id, client_msg_id)
      JOIN messages m ON m.room_id = k.room_id AND m.sender_id = k.sender_id AND m.client_msg_id = k.client_msg_id`) as MessageRow[]
    for (const r of rows) prior.set(clientKey(r), r)
  }
  const results: AppendResult[] = new Array(items.length)
  const parents = await parentsOf(tx, items)
  const fresh: number[] = []
  items.forEach((m, i) => {
    const row = m.client_msg_id ? prior.get(clientKey(m)) : undefined
    const problem = m.parent_id === null ? null : parentProblem(parents.get(`${m.room_id}\u0000${m.parent_id}`) ?? null)
    if (row) results[i] = { ok: true, row, created: false }
    else if (problem) results[i] = { ok: false, error: problem }
    else fresh.push(i)
  })
  if (fresh.length) {
    const stored = await appendChecked(tx, fresh.map((i) => items[i]), !replayInBatch)
    fresh.forEach((i, j) => (results[i] = stored[j]))
  }
  await afterStored(tx, items, results, parents)
  return results
}

/**
 * Stores `items` (whole batch first when `whole`, else item by item) after checking their
 * attachments, which also locks the uploads, so a refused item leaves nothing and a concurrent
 * sweep cannot doom an upload before the message that lists it commits; then links them.
 */
async function appendChecked(tx: TransactionSQL, items: NewMessage[], whole: boolean): Promise<AppendResult[]> {
  const results: AppendResult[] = new Array(items.length)
  const refused = await attachmentSteps.refused(tx, items)
  const accepted: number[] = []
  items.forEach((_, i) => {
    if (refused.has(i)) results[i] = { ok: false, error: attachmentSteps.error() }
    else accepted.push(i)
  })
  if (!accepted.length) return results
  const todo = accepted.map((i) => items[i])
  const stored = (whole ? await wholeBatch(tx, todo) : null) ?? (await itemByItem(tx, todo))
  accepted.forEach((i, j) => (results[i] = stored[j]))
  await attachmentSteps.link(tx, stored.flatMap((r, j) => (r.ok && r.created && todo[j].upload_ids?.length ? [{ row: r.row, upload_ids: todo[j].upload_ids! }] : [])))
  return results
}

/**
 * The parents named by the batch's replies, keyed room \0 message id. The batch holds its rooms'
 * locks, and every change to a message takes its room's lock first, so what is read here stays true
 * until the commit.
 */
async function parentsOf(tx: TransactionSQL, items: NewMessage[]): Promise<Map<string, MessageRow>> {
  const replies = items.filter((m) => m.parent_id !== null)
  const out = new Map<string, MessageRow>()
  if (!replies.length) return out
  const rows = (await tx`
    SELECT m.* FROM unnest(${replies.map((m) => m.room_id)}::text[], ${replies.map((m) => m.parent_id)}::text[]) AS k(room_id, message_id)
    JOIN messages m ON m.room_id = k.room_id AND m.message_id = k.message_id`) as MessageRow[]
  for (const r of rows) out.set(`${r.room_id}\u0000${r.message_id}`, r)
  return out
}

/** The stored items' mention rows, and for each new reply its parent counted with a new rev (in batch order). */
async function afterStored(tx: TransactionSQL, items: NewMessage[], results: AppendResult[], parents: Map<string, MessageRow>) {
  const created = results.flatMap((r, i) => (r.ok && r.created ? [{ r, m: items[i] }] : []))
  const mentions = created.flatMap(({ r, m }) => m.mentions.map((u) => ({ tenant_id: m.tenant_id, user_id: u, room_id: m.room_id, seq: r.ok ? r.row.seq : 0, created_at: m.created_at })))
  if (mentions.length) {
    await tx`INSERT INTO mentions ${tx(mentions, 'tenant_id', 'user_id', 'room_id', 'seq', 'created_at')} ON CONFLICT DO NOTHING`
  }
  for (const { r, m } of created) {
    if (m.parent_id === null || !r.ok) continue
    const parent = parents.get(`${m.room_id}\u0000${m.parent_id}`)!
    const change: MessageChange = { kind: 'reply', user_id: m.sender_id }
    const [row] = await tx`
      UPDATE messages SET reply_count = reply_count + 1, last_reply_at = ${m.created_at}, rev = ${await nextRev(tx, m.room_id)},
        last_change = ${JSON.stringify(change)} WHERE room_id = ${m.room_id} AND seq = ${parent.seq} RETURNING *`
    r.parent = row as MessageRow
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
            WHERE room_id = ${m.room_id} AND tenant_id = ${m.tenant_id} AND deleted_at IS NULL
            RETURNING last_seq
          )
          INSERT INTO messages (room_id, seq, message_id, tenant_id, sender_id, content, meta, client_msg_id, created_at, parent_id, mentions, attachments)
          SELECT ${m.room_id}, bumped.last_seq, ${m.message_id}, ${m.tenant_id}, ${m.sender_id}, ${m.content}, ${m.meta}::text,
                 ${m.client_msg_id}::text, ${m.created_at}, ${m.parent_id}::text, ${mentionsJson(m)}::text, ${m.attachments ?? null}::text
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
      // A missing, foreign or deleted room (SPEC §15) is NOT_FOUND, as in the SQLite store.
      results.push({ ok: false, error: error instanceof RoomVanished ? notFound('room') : error })
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
     * - Replays first: with the rooms locked no other writer can add a row to them, so one query
     *   finds every item whose client_msg_id the sender already used in its room; those return the
     *   original row (created=false) and take no seq.
     * - Fast path for the rest: ONE statement (rooms bumped by their item count, rows inserted with
     *   base + position in the batch), in a savepoint. If any item would fail (a duplicate
     *   message_id, a missing or foreign room), the savepoint is rolled back and they go item by
     *   item instead. A client_msg_id repeated inside the batch also goes item by item.
     * - Item by item: each item runs in its own SAVEPOINT, as one statement (the room's +1 UPDATE
     *   and the INSERT in one CTE). A failing item rolls back to its savepoint: its seq bump is
     *   undone with it, so it leaves no gap and undoes nothing of the others.
     * - An error that ends the whole transaction (connection lost, failed COMMIT) rejects the whole
     *   batch, like SQLITE_FULL does in the SQLite store.
     * - Idempotency across instances rests on the room lock (the replay check above runs after the
     *   first writer of a key has committed) and, as a backstop, on the unique index (room_id,
     *   sender_id, client_msg_id): a second INSERT of a key fails, and item by item returns the
     *   original row.
     * - The member rows of a room of at most 100 members follow its activity second (the room
     *   list's index, db/room-list.ts): written, under the room lock, only when the batch moves
     *   the room into a new second. A room's key is its last stored item's created_at plus a
     *   counter, so its second is that created_at's.
     */
    async appendBatch(items: NewMessage[]): Promise<AppendResult[]> {
      if (!items.length) return []
      return sql.begin(async (tx) => {
        const rooms = [...new Set(items.map((m) => m.room_id))].sort()
        const locked = new Map<string, { member_count: number; last_activity_at: string }>()
        for (const r of await tx`SELECT room_id, member_count, last_activity_at FROM rooms WHERE room_id = ANY(${rooms}::text[]) ORDER BY room_id FOR NO KEY UPDATE`)
          locked.set(r.room_id, r)
        const results = await appendLocked(tx, items)
        const senders = new Map<string, { room: string; user: string; seq: number }>()
        const lastAt = new Map<string, string>()
        for (const r of results) {
          if (!(r.ok && r.created)) continue
          senders.set(`${r.row.room_id}\u0000${r.row.sender_id}`, { room: r.row.room_id, user: r.row.sender_id, seq: r.row.seq })
          lastAt.set(r.row.room_id, r.row.created_at)
        }
        const moved = [...lastAt].filter(([room, at]) => {
          const was = locked.get(room)
          return was !== undefined && was.member_count <= BUCKETED_ROOM_MAX_MEMBERS && activityBucket(at) !== activityBucket(was.last_activity_at)
        })
        if (moved.length) {
          await tx`
            UPDATE members SET activity_bucket = v.b
            FROM unnest(${moved.map(([room]) => room)}::text[], ${moved.map(([, at]) => activityBucket(at))}::text[]) AS v(room_id, b)
            WHERE members.room_id = v.room_id`
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
    byClientId: async (roomId: string, senderId: string, clientMsgId: string) =>
      first<MessageRow>(await sql`SELECT * FROM messages WHERE room_id = ${roomId} AND sender_id = ${senderId} AND client_msg_id = ${clientMsgId}`),
    /** Up to `limit` messages with seq > afterSeq, ascending; `topLevel` leaves replies out. */
    after: async (roomId: string, afterSeq: number, limit: number, topLevel = false) =>
      all<PageRow>(
        await sql`SELECT ${sql.unsafe(COLUMNS)} FROM messages WHERE room_id = ${roomId} AND seq > ${afterSeq}
                  ${topLevel ? sql`AND parent_id IS NULL` : sql``} ORDER BY seq LIMIT ${limit}`,
      ),
    /** Up to `limit` messages with seq < beforeSeq, ascending; `topLevel` leaves replies out. */
    before: async (roomId: string, beforeSeq: number, limit: number, topLevel = false) =>
      all<PageRow>(
        await sql`SELECT ${sql.unsafe(COLUMNS)} FROM messages WHERE room_id = ${roomId} AND seq < ${beforeSeq}
                  ${topLevel ? sql`AND parent_id IS NULL` : sql``} ORDER BY seq DESC LIMIT ${limit}`,
      ).reverse(),
    /** The room's last_seq, last_rev and first_seq (null: deleted or unknown): the history cache's check. */
    stamp: async (roomId: string): Promise<PageStamp | null> => {
      const r = first<PageStamp>(await sql`SELECT last_seq, last_rev, first_seq FROM rooms WHERE room_id = ${roomId} AND deleted_at IS NULL`)
      // bigint columns may come back as strings: the cache compares numbers
      return r && { last_seq: Number(r.last_seq), last_rev: Number(r.last_rev), first_seq: Number(r.first_seq) }
    },
    /** Up to `limit` replies of `parentId` after (or, with `back`, before) `seq`, ascending. */
    replies: async (roomId: string, parentId: string, seq: number, limit: number, back = false) =>
      back
        ? all<PageRow>(
            await sql`SELECT ${sql.unsafe(COLUMNS)} FROM messages WHERE room_id = ${roomId} AND parent_id = ${parentId} AND seq < ${seq}
                      ORDER BY seq DESC LIMIT ${limit}`,
          ).reverse()
        : all<PageRow>(
            await sql`SELECT ${sql.unsafe(COLUMNS)} FROM messages WHERE room_id = ${roomId} AND parent_id = ${parentId} AND seq > ${seq}
                      ORDER BY seq LIMIT ${limit}`,
          ),

    /**
     * The change feed: up to `limit` messages with rev > afterRev in ascending rev, and the room's
     * last_rev read first. Only revs up to it are returned: revs commit in order (each change holds
     * its room's lock from taking the rev to its commit), so every rev up to it is visible and a
     * client that stores it misses nothing.
     */
    async changes(roomId: string, afterRev: number, limit: number): Promise<{ rows: ChangeRow[]; last_rev: number }> {
      const last = first<{ last_rev: number }>(await sql`SELECT last_rev FROM rooms WHERE room_id = ${roomId}`)?.last_rev ?? 0
      if (afterRev >= last) return { rows: [], last_rev: last }
      const rows = all<ChangeRow>(
        // `rev > 0` spelled out, so the partial index messages_changes is provably usable for any parameters
        await sql`SELECT ${sql.unsafe(COLUMNS)}, last_change FROM messages WHERE room_id = ${roomId} AND rev > 0 AND rev > ${afterRev} AND rev <= ${last}
                  ORDER BY rev LIMIT ${limit}`,
      )
      return { rows, last_rev: last }
    },

    /** Sets content/meta (null keeps them) and, when given, the mentions, with a new rev; a deleted message is a CONFLICT. */
    async edit(roomId: string, seq: number, patch: { content: string | null; meta: string | null; mentions: string[] | null }, userId: string, at: string): Promise<MessageRow> {
      return sql.begin(async (tx) => {
        await lockRoom(tx, roomId)
        const row = (await bySeq(tx, roomId, seq))!
        if (row.deleted_at) throw conflict('the message is deleted')
        if (patch.mentions !== null) await setMentions(tx, row, patch.mentions)
        const mentions = patch.mentions === null ? null : patch.mentions.length ? JSON.stringify(patch.mentions) : null
        const change: MessageChange = { kind: 'edited', user_id: userId }
        return first<MessageRow>(
          await tx`UPDATE messages SET content = coalesce(${patch.content}::text, content), meta = coalesce(${patch.meta}::text, meta),
              mentions = CASE WHEN ${patch.mentions !== null} THEN ${mentions}::text ELSE mentions END,
              edited_at = ${at}, rev = ${await nextRev(tx, roomId)}, last_change = ${JSON.stringify(change)}
            WHERE room_id = ${roomId} AND seq = ${seq} RETURNING *`,
        )!
      })
    },
    /**
     * Tombstones with a new rev: content, meta, mentions, attachments, reactions and pin gone, and the
     * message lets go of its files (doomed once no other message lists them). Already deleted: changed=false.
     */
    async tombstone(roomId: string, seq: number, userId: string, at: string): Promise<{ row: MessageRow; changed: boolean }> {
      return sql.begin(async (tx) => {
        await lockRoom(tx, roomId)
        return tombstoneIn(tx, roomId, seq, userId, at)
      })
    },
  }
}

const COLUMNS = pageColumns()

/**
 * Tombstones a message in the caller's transaction, its room locked already (the user erasure's
 * steps run it inside their own): see tombstone.
 */
export async function tombstoneIn(tx: TransactionSQL, roomId: string, seq: number, userId: string, at: string): Promise<{ row: MessageRow; changed: boolean }> {
  const row = first<MessageRow>(await tx`SELECT * FROM messages WHERE room_id = ${roomId} AND seq = ${seq}`)!
  if (row.deleted_at) return { row, changed: false }
  await setMentions(tx, row, [])
  await tx`DELETE FROM reactions WHERE room_id = ${roomId} AND seq = ${seq}`
  const change: MessageChange = { kind: 'deleted', user_id: userId }
  const after = first<MessageRow>(
    await tx`UPDATE messages SET content = '', meta = NULL, mentions = NULL, reactions = NULL, pinned_at = NULL, pinned_by = NULL,
        pin_rev = NULL, attachments = NULL, deleted_at = ${at}, rev = ${await nextRev(tx, roomId)}, last_change = ${JSON.stringify(change)}
      WHERE room_id = ${roomId} AND seq = ${seq} RETURNING *`,
  )!
  await attachmentSteps.releaseMessage(tx, roomId, seq, at)
  return { row: after, changed: true }
}

/** Replaces the mention rows of a message with `after` (user ids). */
async function setMentions(tx: SQL, row: MessageRow, after: string[]) {
  const before: string[] = row.mentions === null ? [] : JSON.parse(row.mentions)
  const gone = before.filter((u) => !after.includes(u))
  const added = after.filter((u) => !before.includes(u))
  if (gone.length)
    await tx`DELETE FROM mentions WHERE tenant_id = ${row.tenant_id} AND room_id = ${row.room_id} AND seq = ${row.seq} AND user_id = ANY(${gone}::text[])`
  if (added.length) {
    const rows = added.map((u) => ({ tenant_id: row.tenant_id, user_id: u, room_id: row.room_id, seq: row.seq, created_at: row.created_at }))
    await tx`INSERT INTO mentions ${tx(rows, 'tenant_id', 'user_id', 'room_id', 'seq', 'created_at')} ON CONFLICT DO NOTHING`
  }
}
