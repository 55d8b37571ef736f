// The bounded steps that remove data in the background (SPEC §15): retention, room deletion and
// tenant deletion. Each step is ONE immediate transaction that removes at most `max` rows and, for
// a job, moves its progress in the same commit: a step killed before its commit left nothing, one
// killed after left its progress, so a restarted job simply runs the next step (the steps always take
// "the next rows still there" and need no cursor of their own).

import type { Database } from 'bun:sqlite'
import { relaxedTransaction } from './relaxed'
import { jobWriters } from './jobs'
import { createAttachmentSteps } from './uploads'
import type { RetentionRoom, StepResult } from '../lifecycle'

/**
 * Deletes a room's oldest messages, up to `max` of them, on one connection. Every delete of message
 * rows goes through here (retention, room and tenant deletion), so rows that hang off a message
 * (reactions, mention rows) are removed with it in one place. Pins and replies are columns of the
 * messages themselves; a reply whose parent went keeps its parent_id (the parent is simply gone).
 */
export function messageRemover(db: Database) {
  const nth = db.query<{ seq: number }, [string, number]>('SELECT seq FROM messages WHERE room_id = ? ORDER BY seq LIMIT 1 OFFSET ?')
  const upTo = db.query('DELETE FROM messages WHERE room_id = ? AND seq <= ?')
  // SPEC §11 rows of those messages: their reactions (a primary-key range) and mention rows (mentions_by_room).
  const reactionsUpTo = db.query('DELETE FROM reactions WHERE room_id = ? AND seq <= ?')
  const mentionsUpTo = db.query('DELETE FROM mentions WHERE room_id = ? AND seq <= ?')
  const attachments = createAttachmentSteps(db) // SPEC §12: their files go with them (doomed, then swept)
  return {
    /**
     * Removes messages with seq <= `toSeq` (all of the room's when toSeq is Infinity), their
     * reactions and mention rows, and releases their uploads (doomed at `at` once no message lists
     * them; the upload sweeper removes the files). How many messages.
     */
    through(roomId: string, toSeq: number, at: string): number {
      const to = Number.isFinite(toSeq) ? toSeq : Number.MAX_SAFE_INTEGER
      reactionsUpTo.run(roomId, to)
      mentionsUpTo.run(roomId, to)
      attachments.releaseThrough(roomId, to, at)
      return upTo.run(roomId, to).changes
    },
    /** Removes the room's `max` oldest messages (fewer when fewer are left); how many. */
    oldest(roomId: string, max: number, at: string): number {
      const last = nth.get(roomId, max - 1)
      return this.through(roomId, last ? last.seq : Infinity, at)
    },
  }
}

export function createPurgeStore(db: Database) {
  const jobs = jobWriters(db)
  const messages = messageRemover(db)
  const background = relaxedTransaction(db)

  // --- retention ---------------------------------------------------------------------------------
  const roomsFirst = db.query<RetentionRoom, [string, number]>(
    `SELECT room_id, first_seq, last_seq FROM rooms WHERE tenant_id = ? AND deleted_at IS NULL AND first_seq <= last_seq
     ORDER BY room_id LIMIT ?`,
  )
  const roomsNext = db.query<RetentionRoom, [string, string, number]>(
    `SELECT room_id, first_seq, last_seq FROM rooms WHERE tenant_id = ? AND room_id > ? AND deleted_at IS NULL AND first_seq <= last_seq
     ORDER BY room_id LIMIT ?`,
  )
  const horizon = db.query<{ first_seq: number }, [string]>('SELECT first_seq FROM rooms WHERE room_id = ? AND deleted_at IS NULL')
  const oldest = db.query<{ created_at: string }, [string, number]>('SELECT created_at FROM messages WHERE room_id = ? AND seq >= ? ORDER BY seq LIMIT 1')
  // The window of the oldest `max` rows: its last seq, and the first seq in it that is new enough to keep.
  const window = db.query<{ first: number | null; last: number | null; keep: number | null }, [string, number, number, string]>(
    `SELECT min(seq) AS first, max(seq) AS last, min(CASE WHEN created_at >= ?4 THEN seq END) AS keep
     FROM (SELECT seq, created_at FROM messages WHERE room_id = ?1 AND seq >= ?2 ORDER BY seq LIMIT ?3)`,
  )
  const setHorizon = db.query('UPDATE rooms SET first_seq = max(first_seq, ?) WHERE room_id = ?')

  // --- room and tenant deletion --------------------------------------------------------------------
  const roomMembers = db.query<{ user_id: string }, [string, string, number]>(
    `DELETE FROM members WHERE room_id = ? AND user_id IN (SELECT user_id FROM members WHERE room_id = ? ORDER BY user_id LIMIT ?)
     RETURNING user_id`,
  )
  // Its moderation rows (SPEC §14): bans, mutes and the reports filed in it.
  const roomModeration = [
    'DELETE FROM room_bans WHERE room_id = ?1 AND user_id IN (SELECT user_id FROM room_bans WHERE room_id = ?1 LIMIT ?2)',
    'DELETE FROM room_mutes WHERE room_id = ?1 AND user_id IN (SELECT user_id FROM room_mutes WHERE room_id = ?1 LIMIT ?2)',
    'DELETE FROM reports WHERE rowid IN (SELECT rowid FROM reports WHERE room_id = ?1 LIMIT ?2)',
  ].map((q) => db.query<unknown, [string, number]>(q))
  const roomDeadLetters = db.query("DELETE FROM dead_letters WHERE tenant_id = ? AND kind = 'message' AND ref_id = ?")
  const dropRoom = db.query('DELETE FROM rooms WHERE room_id = ?')
  const roomTenant = db.query<{ tenant_id: string }, [string]>('SELECT tenant_id FROM rooms WHERE room_id = ?')
  const anyRoom = db.query<{ room_id: string }, [string]>('SELECT room_id FROM rooms WHERE tenant_id = ? ORDER BY room_id LIMIT 1')
  const dropTenant = db.query('DELETE FROM tenants WHERE tenant_id = ?')
  // What a tenant holds besides rooms, removed `max` rows at a time (children before parents).
  const tenantRows: ((tenantId: string, max: number, jobId: string) => number)[] = [
    'DELETE FROM notification_targets WHERE (tenant_id, user_id, notification_id) IN (SELECT tenant_id, user_id, notification_id FROM notification_targets WHERE tenant_id = ? LIMIT ?)',
    'DELETE FROM notifications WHERE rowid IN (SELECT rowid FROM notifications WHERE tenant_id = ? LIMIT ?)',
    'DELETE FROM subscriptions WHERE rowid IN (SELECT rowid FROM subscriptions WHERE tenant_id = ? LIMIT ?)',
    'DELETE FROM deliveries WHERE rowid IN (SELECT rowid FROM deliveries WHERE tenant_id = ? LIMIT ?)',
    'DELETE FROM dead_letters WHERE rowid IN (SELECT rowid FROM dead_letters WHERE tenant_id = ? LIMIT ?)',
    'DELETE FROM tenant_bans WHERE (tenant_id, user_id) IN (SELECT tenant_id, user_id FROM tenant_bans WHERE tenant_id = ? LIMIT ?)',
    'DELETE FROM blocks WHERE (tenant_id, user_id, blocked_id) IN (SELECT tenant_id, user_id, blocked_id FROM blocks WHERE tenant_id = ? LIMIT ?)',
    'DELETE FROM reports WHERE rowid IN (SELECT rowid FROM reports WHERE tenant_id = ? LIMIT ?)',
    // The audit log keeps the admin's entries about the tenant (its creation, changes, deletion).
    "DELETE FROM audit_log WHERE rowid IN (SELECT rowid FROM audit_log WHERE tenant_id = ? AND actor <> 'admin' LIMIT ?)",
  ]
    .map((q) => db.query<unknown, [string, number]>(q))
    .map((q) => (tenantId: string, max: number) => q.run(tenantId, max).changes)
  // Its files: every live upload doomed (the upload sweeper removes them), then its usage row.
  const doomUploads = db.query<unknown, [string, string, number]>(
    'UPDATE uploads SET deleted_at = ? WHERE upload_id IN (SELECT upload_id FROM uploads WHERE tenant_id = ? AND deleted_at IS NULL LIMIT ?)',
  )
  const dropUsage = db.query<unknown, [string]>('DELETE FROM upload_usage WHERE tenant_id = ?')
  const otherJobs = db.query<unknown, [string, string, number]>('DELETE FROM jobs WHERE rowid IN (SELECT rowid FROM jobs WHERE tenant_id = ? AND job_id <> ? LIMIT ?)')
  tenantRows.push((tenantId, max, jobId) => otherJobs.run(tenantId, jobId, max).changes)

  /** Removes up to `max` rows of one room: messages first, then its moderation rows, members, and the room row. */
  function roomRows(roomId: string, max: number, at: string): { messages: number; others: number; members: string[]; gone: boolean } {
    const n = messages.oldest(roomId, max, at)
    if (n >= max) return { messages: n, others: 0, members: [], gone: false }
    let others = 0 // moderation rows: in the step's budget, not in the job's progress
    for (const q of roomModeration) if (n + others < max) others += q.run(roomId, max - n - others).changes
    if (n + others >= max) return { messages: n, others, members: [], gone: false }
    const members = roomMembers.all(roomId, roomId, max - n - others).map((r) => r.user_id)
    if (n + others + members.length >= max) return { messages: n, others, members, gone: false }
    const tenant = roomTenant.get(roomId)
    if (tenant) roomDeadLetters.run(tenant.tenant_id, roomId)
    dropRoom.run(roomId)
    return { messages: n, others, members, gone: true }
  }

  return {
    /** A tenant's live rooms with stored messages, by id after `afterRoomId` (a retention pass walks them). */
    retentionRooms: (tenantId: string, afterRoomId: string | null, limit: number) =>
      afterRoomId === null ? roomsFirst.all(tenantId, limit) : roomsNext.all(tenantId, afterRoomId, limit),

    /**
     * Retention (SPEC §15): removes the room's oldest messages created before `cutoffIso`, at most
     * `max`, and moves first_seq past them, in one immediate transaction. Only a prefix goes: it
     * stops at the first message new enough to keep, so every seq below first_seq is gone and every
     * one from it is still stored. Returns how many went and the room's first_seq after.
     */
    expire(roomId: string, cutoffIso: string, max: number, at: string): { removed: number; first_seq: number } {
      return background(() => {
        const room = horizon.get(roomId)
        if (!room) return { removed: 0, first_seq: 0 }
        // The common case of a pass: the oldest message is new enough, one row read.
        const first = oldest.get(roomId, room.first_seq)
        if (!first || first.created_at >= cutoffIso) return { removed: 0, first_seq: room.first_seq }
        const w = window.get(roomId, room.first_seq, max, cutoffIso)
        if (!w || w.last === null || w.keep === w.first) return { removed: 0, first_seq: room.first_seq }
        const through = w.keep === null ? w.last : w.keep - 1
        const removed = messages.through(roomId, through, at)
        setHorizon.run(through + 1, roomId)
        return { removed, first_seq: Math.max(room.first_seq, through + 1) }
      })
    },

    /**
     * One step of a `room.delete` job: up to `max` of the (already deleted) room's rows, messages
     * first, then members, then the room itself, which finishes the job. Returns the members removed
     * in this step too (their sockets leave the room's topic).
     */
    roomStep(jobId: string, roomId: string, max: number, at: string): StepResult & { members: string[] } {
      return background(() => {
        if (jobs.state(jobId)?.status !== 'running') return { removed: 0, finished: false, over: true, members: [] }
        const r = roomRows(roomId, max, at)
        const removed = r.messages + r.members.length
        jobs.advance(jobId, removed)
        if (r.gone) jobs.finish(jobId, at)
        return { removed, finished: r.gone, over: r.gone, members: r.members }
      })
    },

    /**
     * One step of a `tenant.delete` job: up to `max` rows of the (already deleted) tenant: its rooms
     * one by one (messages, bans, mutes, reports, members, the room), then its notifications,
     * subscriptions, outbox rows, dead letters, tenant bans, blocks, its own audit entries (the
     * admin's stay) and other jobs, dooms its uploads (the upload sweeper removes the files), then the
     * tenant row, which finishes the job.
     */
    tenantStep(jobId: string, tenantId: string, max: number, at: string): StepResult {
      return background(() => {
        if (jobs.state(jobId)?.status !== 'running') return { removed: 0, finished: false, over: true }
        let budget = max
        let units = 0
        for (let room = anyRoom.get(tenantId); room && budget > 0; room = anyRoom.get(tenantId)) {
          const r = roomRows(room.room_id, budget, at)
          budget -= r.messages + r.others + r.members.length + (r.gone ? 1 : 0)
          units += r.messages + (r.gone ? 1 : 0)
          if (!r.gone) break
        }
        for (const q of tenantRows) {
          if (budget <= 0) break
          budget -= q(tenantId, budget, jobId)
        }
        if (budget > 0) budget -= doomUploads.run(at, tenantId, budget).changes
        const finished = budget > 0 && !anyRoom.get(tenantId)
        jobs.advance(jobId, units)
        if (finished) {
          dropUsage.run(tenantId)
          dropTenant.run(tenantId)
          jobs.finish(jobId, at)
        }
        return { removed: max - budget, finished, over: finished }
      })
    },
  }
}
