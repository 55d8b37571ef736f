// Message rows: gap-free seq assignment (batched for group commit), history pages, replies, edits
// and tombstones, each change to an existing message with its rev (SPEC §11.1).

import type { Database } from 'bun:sqlite'
import type { MessageChange } from '../../schemas/change'
import { conflict, notFound } from '../../errors'
import { newRow, pageColumns, parentProblem, type AppendResult, type ChangeRow, type MessageRow, type NewMessage, type PageRow, type PageStamp } from '../rows'
import { activityBucket, BUCKETED_ROOM_MAX_MEMBERS } from '../room-list'
import type { ActivityKeys } from './activity'
import { createAttachmentSteps } from './uploads'
import { createRevs } from './revs'

export function createMessageStore(db: Database, activity: ActivityKeys) {
  const revs = createRevs(db)
  const insert = db.query(
    `INSERT INTO messages (room_id, seq, message_id, tenant_id, sender_id, content, meta, client_msg_id, created_at, parent_id, mentions, attachments)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  )
  const insertMention = db.query('INSERT OR IGNORE INTO mentions (tenant_id, user_id, room_id, seq, created_at) VALUES (?, ?, ?, ?, ?)')
  const deleteMention = db.query('DELETE FROM mentions WHERE tenant_id = ? AND user_id = ? AND room_id = ? AND seq = ?')
  const deleteReactions = db.query('DELETE FROM reactions WHERE room_id = ? AND seq = ?')
  const moveSender = db.query(
    'UPDATE members SET last_ack = max(last_ack, ?1), last_read = max(last_read, ?1) WHERE room_id = ?2 AND user_id = ?3',
  )
  const byClientId = db.query<MessageRow, [string, string, string]>(
    'SELECT * FROM messages WHERE room_id = ? AND sender_id = ? AND client_msg_id = ?',
  )
  const byId = db.query<MessageRow, [string, string]>('SELECT * FROM messages WHERE room_id = ? AND message_id = ?')
  const bySeq = db.query<MessageRow, [string, number]>('SELECT * FROM messages WHERE room_id = ? AND seq = ?')
  const page = (where: string, desc: boolean) =>
    db.query<PageRow, [string, number, number]>(`SELECT ${pageColumns()} FROM messages WHERE room_id = ? AND ${where} ORDER BY seq ${desc ? 'DESC' : ''} LIMIT ?`)
  const after = page('seq > ?', false)
  const before = page('seq < ?', true)
  const afterTop = page('seq > ? AND parent_id IS NULL', false)
  const beforeTop = page('seq < ? AND parent_id IS NULL', true)
  // INDEXED BY: without statistics the planner prefers the primary key's range (the whole room,
  // filtered) to the partial indexes; these name the index each query is written for.
  const replies = (op: '>' | '<', desc: boolean) =>
    db.query<PageRow, [string, string, number, number]>(
      `SELECT ${pageColumns()} FROM messages INDEXED BY messages_replies WHERE room_id = ? AND parent_id = ? AND seq ${op} ?
       ORDER BY seq ${desc ? 'DESC' : ''} LIMIT ?`,
    )
  const repliesAfter = replies('>', false)
  const repliesBefore = replies('<', true)
  const changesAfter = db.query<ChangeRow, [string, number, number, number]>(
    // `rev > 0` spelled out: only a literal lets SQLite see that the partial index covers the query.
    `SELECT ${pageColumns()}, last_change FROM messages INDEXED BY messages_changes WHERE room_id = ? AND rev > 0 AND rev > ? AND rev <= ?
     ORDER BY rev LIMIT ?`,
  )
  const lastRev = db.query<{ last_rev: number }, [string]>('SELECT last_rev FROM rooms WHERE room_id = ?')
  const stamp = db.query<PageStamp, [string]>('SELECT last_seq, last_rev, first_seq FROM rooms WHERE room_id = ? AND deleted_at IS NULL')
  const edit = db.query(
    `UPDATE messages SET content = coalesce(?, content), meta = coalesce(?, meta), mentions = iif(?, ?, mentions), edited_at = ?, rev = ?, last_change = ?
     WHERE room_id = ? AND seq = ?`,
  )
  const tombstone = db.query(
    `UPDATE messages SET content = '', meta = NULL, mentions = NULL, reactions = NULL, pinned_at = NULL, pinned_by = NULL, pin_rev = NULL, attachments = NULL,
       deleted_at = ?, rev = ?, last_change = ? WHERE room_id = ? AND seq = ?`,
  )
  const replyCounted = db.query('UPDATE messages SET reply_count = reply_count + 1, last_reply_at = ?, rev = ?, last_change = ? WHERE room_id = ? AND seq = ?')
  const attachments = createAttachmentSteps(db)

  // A deleted room (SPEC §15) takes no more messages: the item fails with NOT_FOUND.
  const roomSeq = db.query<{ tenant_id: string; last_seq: number; last_activity_at: string; member_count: number }, [string]>(
    'SELECT tenant_id, last_seq, last_activity_at, member_count FROM rooms WHERE room_id = ? AND deleted_at IS NULL',
  )
  const setRoomSeq = db.query('UPDATE rooms SET last_seq = ?, last_activity_at = ? WHERE room_id = ?')
  const setBuckets = db.query('UPDATE members SET activity_bucket = ? WHERE room_id = ?')

  /** Replaces the mention rows of a message: removes `before`, adds `after` (user ids). */
  function setMentions(tenantId: string, roomId: string, seq: number, createdAt: string, before: string[], after: string[]) {
    for (const u of before) if (!after.includes(u)) deleteMention.run(tenantId, u, roomId, seq)
    for (const u of after) if (!before.includes(u)) insertMention.run(tenantId, u, roomId, seq, createdAt)
  }
  const mentionsOf = (r: MessageRow): string[] => (r.mentions === null ? [] : JSON.parse(r.mentions))

  return {
    /**
     * Group commit (SPEC §6): appends every message in ONE immediate transaction (one fsync under
     * FULL). Each gets the room's next seq, its row, and moves the sender's ack and read marker.
     * A client_msg_id the sender already used in the room returns the original row, created=false.
     * A reply checks its parent inside the transaction (an item error: 400 parent_id, or 409 for a
     * deleted parent) and counts itself on the parent with a new rev; mentions get their rows.
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
            if (!room || room.tenant !== m.tenant_id) throw notFound('room')
            const parent = m.parent_id === null ? null : byId.get(m.room_id, m.parent_id)
            if (m.parent_id !== null) {
              const problem = parentProblem(parent)
              if (problem) throw problem
            }
            const seq = room.last + 1
            // Checked before the INSERT, so a refused item leaves nothing behind (no savepoint needed).
            const uploads = m.upload_ids ?? []
            attachments.requireLive(m.tenant_id, m.sender_id, uploads)
            const row = newRow(m, seq)
            insert.run(m.room_id, seq, m.message_id, m.tenant_id, m.sender_id, m.content, m.meta, m.client_msg_id, m.created_at, m.parent_id, row.mentions, row.attachments)
            attachments.link(uploads, m.room_id, seq, m.created_at)
            room.last = seq
            room.activity = activity(m.created_at)
            senders.set(`${m.room_id}\u0000${m.sender_id}`, { room: m.room_id, user: m.sender_id, seq })
            setMentions(m.tenant_id, m.room_id, seq, m.created_at, [], m.mentions)
            if (!parent) return { ok: true, row, created: true }
            const change: MessageChange = { kind: 'reply', user_id: m.sender_id }
            replyCounted.run(m.created_at, revs.next(m.room_id), JSON.stringify(change), m.room_id, parent.seq)
            return { ok: true, row, created: true, parent: bySeq.get(m.room_id, parent.seq)! }
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
    byClientId: (roomId: string, senderId: string, clientMsgId: string) => byClientId.get(roomId, senderId, clientMsgId),
    bySeq: (roomId: string, seq: number) => bySeq.get(roomId, seq),
    /** Up to `limit` messages with seq > afterSeq, ascending; `topLevel` leaves replies out. */
    after: (roomId: string, afterSeq: number, limit: number, topLevel = false) => (topLevel ? afterTop : after).all(roomId, afterSeq, limit),
    /** Up to `limit` messages with seq < beforeSeq, ascending; `topLevel` leaves replies out. */
    before: (roomId: string, beforeSeq: number, limit: number, topLevel = false) =>
      (topLevel ? beforeTop : before).all(roomId, beforeSeq, limit).reverse(),
    /** The room's last_seq, last_rev and first_seq (null: deleted or unknown): the history cache's check. */
    stamp: (roomId: string): PageStamp | null => stamp.get(roomId),
    /** Up to `limit` replies of `parentId` after (or, with `back`, before) `seq`, ascending. */
    replies: (roomId: string, parentId: string, seq: number, limit: number, back = false) =>
      back ? repliesBefore.all(roomId, parentId, seq, limit).reverse() : repliesAfter.all(roomId, parentId, seq, limit),

    /**
     * The change feed: up to `limit` messages with rev > afterRev in ascending rev, and the room's
     * last_rev read with them (only revs up to it are returned, so a client that stores it misses nothing).
     */
    changes(roomId: string, afterRev: number, limit: number): { rows: ChangeRow[]; last_rev: number } {
      const last = lastRev.get(roomId)?.last_rev ?? 0
      return { rows: afterRev >= last ? [] : changesAfter.all(roomId, afterRev, last, limit), last_rev: last }
    },

    /**
     * Sets content and/or meta (null keeps them) and, when `mentions` is given, replaces the
     * mentions; sets edited_at and a new rev (`edited` by `userId`). A deleted message is a CONFLICT
     * (checked here, in the transaction, so a delete just before cannot be overwritten).
     */
    edit(roomId: string, seq: number, patch: { content: string | null; meta: string | null; mentions: string[] | null }, userId: string, at: string): MessageRow {
      return db.transaction(() => {
        const row = bySeq.get(roomId, seq)!
        if (row.deleted_at) throw conflict('the message is deleted')
        const mentions = patch.mentions === null ? null : patch.mentions.length ? JSON.stringify(patch.mentions) : null
        if (patch.mentions !== null) setMentions(row.tenant_id, roomId, seq, row.created_at, mentionsOf(row), patch.mentions)
        const change: MessageChange = { kind: 'edited', user_id: userId }
        edit.run(patch.content, patch.meta, patch.mentions === null ? 0 : 1, mentions, at, revs.next(roomId), JSON.stringify(change), roomId, seq)
        return bySeq.get(roomId, seq)!
      }).immediate()
    },

    /**
     * Tombstones the message with a new rev (`deleted` by `userId`): content and meta blanked, its
     * mentions, attachments, reactions and pin gone, and its files let go of (doomed once no other
     * message lists them). Already deleted: the row as it is, changed=false.
     */
    tombstone(roomId: string, seq: number, userId: string, at: string): { row: MessageRow; changed: boolean } {
      return db.transaction(() => {
        const row = bySeq.get(roomId, seq)!
        if (row.deleted_at) return { row, changed: false }
        setMentions(row.tenant_id, roomId, seq, row.created_at, mentionsOf(row), [])
        deleteReactions.run(roomId, seq)
        const change: MessageChange = { kind: 'deleted', user_id: userId }
        tombstone.run(at, revs.next(roomId), JSON.stringify(change), roomId, seq)
        attachments.releaseMessage(roomId, seq, at)
        return { row: bySeq.get(roomId, seq)!, changed: true }
      }).immediate()
    },
  }
}
