// User erasure (SPEC §15) as bounded steps of a `user.erase` job. The job's cursor (JSON in its row)
// says which phase comes next and where, and every step moves it in the same transaction as its
// changes, so a restarted job resumes exactly after the last committed step:
//  1. `members`: each membership goes (acks and read markers with it); a group or channel they own
//     passes first to its earliest-joined admin, else its earliest-joined member. First, so that
//     they can post nowhere while their messages are being erased.
//  2. `messages`: every room of the tenant is scanned in windows of seqs for messages they sent,
//     and each is deleted as a delete is (the message store's tombstone: content, meta, mentions,
//     reactions and pin gone, a new rev; the seq stays).
//  3. `reactions`: each reaction of theirs is removed as a removal is (summary and rev of its message).
//  4. `rest`: their subscriptions, pending notifications, mention rows, message dead letters,
//     blocks (both ways), bans, mutes, reports (filed by or naming them) and uploads (doomed: the
//     upload sweeper removes the files); then done.

import type { Database } from 'bun:sqlite'
import type { Role, RoomType } from '../../schemas/room'
import { parseEraseCursor, SCAN_PER_ROW, type EraseCursor, type EraseStep, type LeftRoom, type NewJob } from '../lifecycle'
import type { ChangeResult, MessageRow, ReactionOp } from '../rows'
import { jobWriters } from './jobs'
import { relaxedTransaction } from './relaxed'

/** What erasure uses of the message and reaction stores of the same connection (their rules, their revs). */
export interface EraseDeps {
  tombstone(roomId: string, seq: number, userId: string, at: string): { row: MessageRow; changed: boolean }
  apply(ops: ReactionOp[]): ChangeResult[]
}

type ScanRoom = { room_id: string; first_seq: number; last_seq: number }

export function createEraseStore(db: Database, messages: Pick<EraseDeps, 'tombstone'>, reactions: Pick<EraseDeps, 'apply'>) {
  const jobs = jobWriters(db)
  const background = relaxedTransaction(db)
  const count = db.query<{ n: number }, [string, string]>(
    `SELECT (SELECT count(*) FROM members WHERE tenant_id = ?1 AND user_id = ?2)
          + (SELECT count(*) FROM rooms WHERE tenant_id = ?1 AND deleted_at IS NULL)
          + (SELECT count(*) FROM reactions WHERE tenant_id = ?1 AND user_id = ?2) + 1 AS n`,
  )
  const memberships = db.query<{ room_id: string; role: Role; type: RoomType }, [string, string, number]>(
    `SELECT m.room_id, m.role, r.type FROM members m JOIN rooms r ON r.room_id = m.room_id
     WHERE m.tenant_id = ? AND m.user_id = ? LIMIT ?`,
  )
  const successor = db.query<{ user_id: string }, [string, string, string]>(
    'SELECT user_id FROM members WHERE room_id = ? AND role = ? AND user_id <> ? ORDER BY joined_at, user_id LIMIT 1',
  )
  const promote = db.query("UPDATE members SET role = 'owner' WHERE room_id = ? AND user_id = ?")
  const leave = db.query('DELETE FROM members WHERE room_id = ? AND user_id = ?')
  const countOut = db.query('UPDATE rooms SET member_count = member_count - 1 WHERE room_id = ?')
  const roomFrom = (strict: boolean) =>
    db.query<ScanRoom, [string, string]>(
      `SELECT room_id, first_seq, last_seq FROM rooms WHERE tenant_id = ? AND room_id ${strict ? '>' : '>='} ? AND deleted_at IS NULL
       ORDER BY room_id LIMIT 1`,
    )
  const roomAtOrAfter = roomFrom(false)
  const roomAfter = roomFrom(true)
  const theirs = db.query<{ seq: number }, [string, number, number, string]>(
    'SELECT seq FROM messages WHERE room_id = ? AND seq > ? AND seq <= ? AND sender_id = ? AND deleted_at IS NULL ORDER BY seq',
  )
  const theirReactions = db.query<{ room_id: string; seq: number; key: string }, [string, string, number]>(
    'SELECT room_id, seq, key FROM reactions WHERE tenant_id = ? AND user_id = ? LIMIT ?',
  )
  const dropReaction = db.query('DELETE FROM reactions WHERE room_id = ? AND seq = ? AND key = ? AND user_id = ?')
  const rest = [
    'DELETE FROM subscriptions WHERE rowid IN (SELECT rowid FROM subscriptions WHERE tenant_id = ?1 AND user_id = ?2 LIMIT ?3)',
    `DELETE FROM notification_targets WHERE (tenant_id, user_id, notification_id) IN
       (SELECT tenant_id, user_id, notification_id FROM notification_targets WHERE tenant_id = ?1 AND user_id = ?2 LIMIT ?3)`,
    `DELETE FROM mentions WHERE (tenant_id, user_id, room_id, seq) IN
       (SELECT tenant_id, user_id, room_id, seq FROM mentions WHERE tenant_id = ?1 AND user_id = ?2 LIMIT ?3)`,
    "DELETE FROM dead_letters WHERE rowid IN (SELECT rowid FROM dead_letters WHERE tenant_id = ?1 AND kind = 'message' AND target = ?2 LIMIT ?3)",
    // SPEC §14 rows: their blocks both ways, their room bans and mutes, their tenant ban, and the
    // reports they filed or that name them.
    `DELETE FROM blocks WHERE (tenant_id, user_id, blocked_id) IN
       (SELECT tenant_id, user_id, blocked_id FROM blocks WHERE tenant_id = ?1 AND user_id = ?2 LIMIT ?3)`,
    `DELETE FROM blocks WHERE (tenant_id, user_id, blocked_id) IN
       (SELECT tenant_id, user_id, blocked_id FROM blocks WHERE tenant_id = ?1 AND blocked_id = ?2 LIMIT ?3)`,
    'DELETE FROM room_bans WHERE (room_id, user_id) IN (SELECT room_id, user_id FROM room_bans WHERE tenant_id = ?1 AND user_id = ?2 LIMIT ?3)',
    'DELETE FROM room_mutes WHERE (room_id, user_id) IN (SELECT room_id, user_id FROM room_mutes WHERE tenant_id = ?1 AND user_id = ?2 LIMIT ?3)',
    'DELETE FROM tenant_bans WHERE tenant_id = ?1 AND user_id = ?2 AND ?3 > 0',
    'DELETE FROM reports WHERE rowid IN (SELECT rowid FROM reports WHERE tenant_id = ?1 AND reporter_id = ?2 LIMIT ?3)',
    'DELETE FROM reports WHERE rowid IN (SELECT rowid FROM reports WHERE tenant_id = ?1 AND user_id = ?2 LIMIT ?3)',
  ].map((q) => db.query<unknown, [string, string, number]>(q))
  // Their uploads: doomed (the upload sweeper removes the files) with the tenant's usage released.
  const doomUploads = db.query<{ upload_id: string; bytes: number }, [string, string, string, number]>(
    `UPDATE uploads SET deleted_at = ?1 WHERE upload_id IN
       (SELECT upload_id FROM uploads WHERE tenant_id = ?2 AND uploader_id = ?3 AND deleted_at IS NULL LIMIT ?4)
     RETURNING upload_id, bytes`,
  )
  const unlinkUpload = db.query('DELETE FROM message_uploads WHERE upload_id = ?')
  const releaseUsage = db.query('UPDATE upload_usage SET uploads = uploads - 1, bytes = bytes - ? WHERE tenant_id = ?')

  function membersPhase(tenantId: string, userId: string, max: number) {
    const left: LeftRoom[] = []
    for (const m of memberships.all(tenantId, userId, max)) {
      let owner: string | null = null
      if (m.role === 'owner' && m.type !== 'dm') {
        owner = (successor.get(m.room_id, 'admin', userId) ?? successor.get(m.room_id, 'member', userId))?.user_id ?? null
        if (owner) promote.run(m.room_id, owner)
      }
      leave.run(m.room_id, userId)
      countOut.run(m.room_id)
      left.push({ room_id: m.room_id, role: m.role, owner })
    }
    return left
  }

  function messagesPhase(tenantId: string, userId: string, c: Extract<EraseCursor, { phase: 'messages' }>, max: number, at: string) {
    const deleted: MessageRow[] = []
    let budget = max * SCAN_PER_ROW
    let rooms = 0
    let cursor: EraseCursor = c
    while (budget > 0 && cursor.phase === 'messages') {
      const room: ScanRoom | null = cursor.room === null ? roomAtOrAfter.get(tenantId, '') : (cursor.next ? roomAfter : roomAtOrAfter).get(tenantId, cursor.room)
      if (!room) {
        cursor = { phase: 'reactions' }
        break
      }
      const from = cursor.room === room.room_id && !cursor.next ? Math.max(cursor.seq, room.first_seq - 1) : room.first_seq - 1
      const to = Math.min(room.last_seq, from + budget)
      for (const { seq } of theirs.all(room.room_id, from, to, userId)) {
        const r = messages.tombstone(room.room_id, seq, userId, at)
        if (r.changed) deleted.push(r.row)
      }
      budget -= to - from + 1
      if (to >= room.last_seq) {
        rooms++
        cursor = { phase: 'messages', room: room.room_id, seq: 0, next: true }
      } else cursor = { phase: 'messages', room: room.room_id, seq: to, next: false }
    }
    return { deleted, rooms, cursor }
  }

  function reactionsPhase(tenantId: string, userId: string, max: number, at: string) {
    const found = theirReactions.all(tenantId, userId, max)
    const ops: ReactionOp[] = found.map((r) => ({ op: 'remove', room_id: r.room_id, seq: r.seq, key: r.key, user_id: userId, at }))
    const updated: EraseStep['updated'] = []
    reactions.apply(ops).forEach((r, i) => {
      if (r.ok && r.changed) updated.push({ row: r.row, change: { kind: 'reaction.removed', user_id: userId, key: ops[i].key } })
      // A reaction the removal could not take (its message deleted meanwhile) goes as a row.
      else if (!r.ok) dropReaction.run(ops[i].room_id, ops[i].seq, ops[i].key, userId)
    })
    return { updated, done: found.length < max, removed: found.length }
  }

  const none = { left: [], deleted: [], updated: [] }

  return {
    /** Records a `user.erase` job; its total: their memberships, the tenant's rooms, their reactions, the last phase. */
    begin(job: Omit<NewJob, 'total'>): void {
      db.transaction(() => jobs.insert({ ...job, total: count.get(job.tenant_id, job.target)?.n ?? 1 })).immediate()
    },

    /** One step of a `user.erase` job (see the file header); at most `max` rows written. */
    step(jobId: string, tenantId: string, userId: string, max: number, at: string): EraseStep {
      return background((): EraseStep => {
        const state = jobs.state(jobId)
        if (state?.status !== 'running') return { finished: false, over: true, ...none }
        const cursor = parseEraseCursor(state.cursor)
        if (cursor.phase === 'members') {
          const left = membersPhase(tenantId, userId, max)
          const next: EraseCursor = left.length < max ? { phase: 'messages', room: null, seq: 0, next: false } : cursor
          jobs.advance(jobId, left.length, JSON.stringify(next))
          return { finished: false, over: false, ...none, left }
        }
        if (cursor.phase === 'messages') {
          const r = messagesPhase(tenantId, userId, cursor, max, at)
          jobs.advance(jobId, r.rooms, JSON.stringify(r.cursor))
          return { finished: false, over: false, ...none, deleted: r.deleted }
        }
        if (cursor.phase === 'reactions') {
          const r = reactionsPhase(tenantId, userId, max, at)
          jobs.advance(jobId, r.removed, JSON.stringify(r.done ? { phase: 'rest' } : cursor))
          return { finished: false, over: false, ...none, updated: r.updated }
        }
        let removed = 0
        for (const q of rest) if (removed < max) removed += q.run(tenantId, userId, max - removed).changes
        for (const u of removed < max ? doomUploads.all(at, tenantId, userId, max - removed) : []) {
          unlinkUpload.run(u.upload_id)
          releaseUsage.run(u.bytes, tenantId)
          removed++
        }
        if (removed >= max) return { finished: false, over: false, ...none }
        jobs.finish(jobId, at)
        return { finished: true, over: true, ...none }
      })
    },
  }
}
