// Message rows: gap-free seq assignment (batched for group commit), history pages, edits and tombstones.

import type { Database } from 'bun:sqlite'
import type { AppendResult, MessageRow, NewMessage, PageRow } from '../rows'
import { activityBucket, BUCKETED_ROOM_MAX_MEMBERS } from '../room-list'
import type { ActivityKeys } from './activity'

export function createMessageStore(db: Database, activity: ActivityKeys) {
  const insert = db.query(
    `INSERT INTO messages (room_id, seq, message_id, tenant_id, sender_id, content, meta, client_msg_id, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  )
  const moveSender = db.query(
    'UPDATE members SET last_ack = max(last_ack, ?1), last_read = max(last_read, ?1) WHERE room_id = ?2 AND user_id = ?3',
  )
  const byClientId = db.query<MessageRow, [string, string, string]>(
    'SELECT * FROM messages WHERE room_id = ? AND sender_id = ? AND client_msg_id = ?',
  )
  const byId = db.query<MessageRow, [string, string]>('SELECT * FROM messages WHERE room_id = ? AND message_id = ?')
  const bySeq = db.query<MessageRow, [string, number]>('SELECT * FROM messages WHERE room_id = ? AND seq = ?')
  // Pages read only the columns a client sees: each text column is a new JS string per row.
  const PAGE_COLUMNS = 'message_id, room_id, seq, sender_id, content, meta, client_msg_id, created_at, edited_at, deleted_at'
  const after = db.query<PageRow, [string, number, number]>(
    `SELECT ${PAGE_COLUMNS} FROM messages WHERE room_id = ? AND seq > ? ORDER BY seq LIMIT ?`,
  )
  const before = db.query<PageRow, [string, number, number]>(
    `SELECT ${PAGE_COLUMNS} FROM messages WHERE room_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?`,
  )
  const edit = db.query('UPDATE messages SET content = coalesce(?, content), meta = coalesce(?, meta), edited_at = ? WHERE room_id = ? AND seq = ?')
  const tombstone = db.query("UPDATE messages SET content = '', meta = NULL, deleted_at = ? WHERE room_id = ? AND seq = ?")

  const roomSeq = db.query<{ tenant_id: string; last_seq: number; last_activity_at: string; member_count: number }, [string]>(
    'SELECT tenant_id, last_seq, last_activity_at, member_count FROM rooms WHERE room_id = ?',
  )
  const setRoomSeq = db.query('UPDATE rooms SET last_seq = ?, last_activity_at = ? WHERE room_id = ?')
  const setBuckets = db.query('UPDATE members SET activity_bucket = ? WHERE room_id = ?')

  return {
    /**
     * Group commit (SPEC §6): appends every message in ONE immediate transaction (one fsync under
     * FULL). Each gets the room's next seq, its row, and moves the sender's ack and read marker.
     * A client_msg_id the sender already used in the room returns the original row, created=false.
     *
     * Work per batch, not per message (PERF, docs/performance.md): a room's last_seq is read once
     * and written once at the end (with the activity key of its last message), and a sender's
     * ack/read marker moves once, to their last seq in the room. A seq is taken only once its
     * INSERT succeeded (one statement, atomic), so a failed item leaves no gap, undoes nothing of
     * the others and needs no savepoint.
     * The member rows of a room of at most 100 members follow its activity second (the room list's
     * index, db/room-list.ts): written only when the batch moves the room into a new second.
     */
    appendBatch(items: NewMessage[]): AppendResult[] {
      return db.transaction(() => {
        const rooms = new Map<string, { tenant: string; last: number; activity: string | null; was: string; members: number }>()
        const senders = new Map<string, { room: string; user: string; seq: number }>()
        const results = items.map((m): AppendResult => {
          try {
            if (m.client_msg_id) {
              const prior = byClientId.get(m.room_id, m.sender_id, m.client_msg_id)
              if (prior) return { ok: true, row: prior, created: false }
            }
            let room = rooms.get(m.room_id)
            if (!room) {
              const r = roomSeq.get(m.room_id)
              if (r) rooms.set(m.room_id, (room = { tenant: r.tenant_id, last: r.last_seq, activity: null, was: r.last_activity_at, members: r.member_count }))
            }
            if (!room || room.tenant !== m.tenant_id) throw new Error(`room ${m.room_id} vanished during append`)
            const seq = room.last + 1
            insert.run(m.room_id, seq, m.message_id, m.tenant_id, m.sender_id, m.content, m.meta, m.client_msg_id, m.created_at)
            room.last = seq
            room.activity = activity(m.created_at)
            senders.set(`${m.room_id}\u0000${m.sender_id}`, { room: m.room_id, user: m.sender_id, seq })
            return { ok: true, row: { ...m, seq, edited_at: null, deleted_at: null }, created: true }
          } catch (error) {
            // SQLITE_FULL / IOERR may roll back the WHOLE transaction, not just this statement. Going
            // on would run the next items in autocommit (stored, yet reported failed when COMMIT then
            // throws "no transaction is active"): fail the whole batch with the original error.
            if (!db.inTransaction) throw error
            return { ok: false, error }
          }
        })
        for (const [roomId, r] of rooms) {
          if (r.activity === null) continue
          setRoomSeq.run(r.last, r.activity, roomId)
          const bucket = activityBucket(r.activity)
          if (r.members <= BUCKETED_ROOM_MAX_MEMBERS && bucket !== activityBucket(r.was)) setBuckets.run(bucket, roomId)
        }
        for (const s of senders.values()) moveSender.run(s.seq, s.room, s.user)
        return results
      }).immediate()
    },

    get: (roomId: string, messageId: string) => byId.get(roomId, messageId),
    bySeq: (roomId: string, seq: number) => bySeq.get(roomId, seq),
    /** Up to `limit` messages with seq > afterSeq, ascending. */
    after: (roomId: string, afterSeq: number, limit: number) => after.all(roomId, afterSeq, limit),
    /** Up to `limit` messages with seq < beforeSeq, ascending. */
    before: (roomId: string, beforeSeq: number, limit: number) => before.all(roomId, beforeSeq, limit).reverse(),

    edit(roomId: string, seq: number, content: string | null, meta: string | null, at: string): MessageRow {
      edit.run(content, meta, at, roomId, seq)
      return bySeq.get(roomId, seq)!
    },
    tombstone(roomId: string, seq: number, at: string): MessageRow {
      tombstone.run(at, roomId, seq)
      return bySeq.get(roomId, seq)!
    },
  }
}
