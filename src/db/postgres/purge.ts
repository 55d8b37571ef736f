// The bounded background deletes of SPEC §15 on PostgreSQL: the same steps and answers as
// db/sqlite/purge.ts, each one transaction. A job step locks its job row first, so a step that
// two instances run at once (a lease that expired under a stalled instance) runs one after the other.

import type { SQL, TransactionSQL } from 'bun'
import type { RetentionRoom, StepResult } from '../lifecycle'
import { jobSteps } from './jobs'
import { attachmentSteps } from './uploads'
import { all, first } from './rows'

const MAX_SEQ = 2147483647 // seq is INTEGER

/** Removes a room's oldest messages (see db/sqlite/purge.ts messageRemover). */
export const pgMessageRemover = {
  /** Messages with seq <= toSeq, with their reactions and mention rows (SPEC §11); how many messages. */
  async through(tx: TransactionSQL, roomId: string, toSeq: number, at: string): Promise<number> {
    const to = Number.isFinite(toSeq) ? toSeq : MAX_SEQ
    await tx`DELETE FROM reactions WHERE room_id = ${roomId} AND seq <= ${to}`
    await tx`DELETE FROM mentions WHERE room_id = ${roomId} AND seq <= ${to}`
    await attachmentSteps.releaseThrough(tx, roomId, to, at) // SPEC §12: their files go with them (doomed, then swept)
    return (await tx`DELETE FROM messages WHERE room_id = ${roomId} AND seq <= ${to}`).count
  },
  async oldest(tx: TransactionSQL, roomId: string, max: number, at: string): Promise<number> {
    const nth = first<{ seq: number }>(await tx`SELECT seq FROM messages WHERE room_id = ${roomId} ORDER BY seq OFFSET ${max - 1} LIMIT 1`)
    return pgMessageRemover.through(tx, roomId, nth ? nth.seq : Infinity, at)
  },
}

/** A room's moderation rows (SPEC §14): bans, mutes and the reports filed in it. */
const roomModeration = [
  (tx: SQL, r: string, max: number) => tx`DELETE FROM room_bans WHERE room_id = ${r} AND user_id IN (SELECT user_id FROM room_bans WHERE room_id = ${r} LIMIT ${max})`,
  (tx: SQL, r: string, max: number) => tx`DELETE FROM room_mutes WHERE room_id = ${r} AND user_id IN (SELECT user_id FROM room_mutes WHERE room_id = ${r} LIMIT ${max})`,
  (tx: SQL, r: string, max: number) => tx`DELETE FROM reports WHERE report_id IN (SELECT report_id FROM reports WHERE room_id = ${r} LIMIT ${max})`,
]

/** Up to `max` rows of one room: messages first, then its moderation rows, members, and the room row (see SQLite's roomRows). */
async function roomRows(tx: TransactionSQL, roomId: string, max: number, at: string): Promise<{ messages: number; others: number; members: string[]; gone: boolean }> {
  const n = await pgMessageRemover.oldest(tx, roomId, max, at)
  if (n >= max) return { messages: n, others: 0, members: [], gone: false }
  let others = 0
  for (const q of roomModeration) if (n + others < max) others += (await q(tx, roomId, max - n - others)).count
  if (n + others >= max) return { messages: n, others, members: [], gone: false }
  const members = (await tx`DELETE FROM members WHERE room_id = ${roomId}
      AND user_id IN (SELECT user_id FROM members WHERE room_id = ${roomId} ORDER BY user_id LIMIT ${max - n - others})
      RETURNING user_id`).map((r: { user_id: string }) => r.user_id) as string[]
  if (n + others + members.length >= max) return { messages: n, others, members, gone: false }
  const room = first<{ tenant_id: string }>(await tx`SELECT tenant_id FROM rooms WHERE room_id = ${roomId}`)
  if (room) await tx`DELETE FROM dead_letters WHERE tenant_id = ${room.tenant_id} AND kind = 'message' AND ref_id = ${roomId}`
  await tx`DELETE FROM rooms WHERE room_id = ${roomId}`
  return { messages: n, others, members, gone: true }
}

/** What a tenant holds besides rooms, removed `max` rows at a time (children before parents). */
const tenantRows = [
  (tx: SQL, t: string, max: number) => tx`DELETE FROM notification_targets WHERE (tenant_id, user_id, notification_id) IN
      (SELECT tenant_id, user_id, notification_id FROM notification_targets WHERE tenant_id = ${t} LIMIT ${max})`,
  (tx: SQL, t: string, max: number) =>
    tx`DELETE FROM notifications WHERE notification_id IN (SELECT notification_id FROM notifications WHERE tenant_id = ${t} LIMIT ${max})`,
  (tx: SQL, t: string, max: number) =>
    tx`DELETE FROM subscriptions WHERE subscription_id IN (SELECT subscription_id FROM subscriptions WHERE tenant_id = ${t} LIMIT ${max})`,
  (tx: SQL, t: string, max: number) => tx`DELETE FROM deliveries WHERE delivery_id IN (SELECT delivery_id FROM deliveries WHERE tenant_id = ${t} LIMIT ${max})`,
  (tx: SQL, t: string, max: number) => tx`DELETE FROM dead_letters WHERE id IN (SELECT id FROM dead_letters WHERE tenant_id = ${t} LIMIT ${max})`,
  (tx: SQL, t: string, max: number) =>
    tx`DELETE FROM tenant_bans WHERE (tenant_id, user_id) IN (SELECT tenant_id, user_id FROM tenant_bans WHERE tenant_id = ${t} LIMIT ${max})`,
  (tx: SQL, t: string, max: number) => tx`DELETE FROM blocks WHERE (tenant_id, user_id, blocked_id) IN
      (SELECT tenant_id, user_id, blocked_id FROM blocks WHERE tenant_id = ${t} LIMIT ${max})`,
  (tx: SQL, t: string, max: number) => tx`DELETE FROM reports WHERE report_id IN (SELECT report_id FROM reports WHERE tenant_id = ${t} LIMIT ${max})`,
  // The audit log keeps the admin's entries about the tenant (its creation, changes, deletion).
  (tx: SQL, t: string, max: number) =>
    tx`DELETE FROM audit_log WHERE audit_id IN (SELECT audit_id FROM audit_log WHERE tenant_id = ${t} AND actor <> 'admin' LIMIT ${max})`,
  (tx: SQL, t: string, max: number, jobId: string) =>
    tx`DELETE FROM jobs WHERE job_id IN (SELECT job_id FROM jobs WHERE tenant_id = ${t} AND job_id <> ${jobId} LIMIT ${max})`,
]

export function createPurgeStore(sql: SQL) {
  return {
    retentionRooms: async (tenantId: string, afterRoomId: string | null, limit: number) =>
      all<RetentionRoom>(await sql`
        SELECT room_id, first_seq, last_seq FROM rooms WHERE tenant_id = ${tenantId} AND deleted_at IS NULL AND first_seq <= last_seq
        ${afterRoomId === null ? sql`` : sql`AND room_id > ${afterRoomId}`}
        ORDER BY room_id LIMIT ${limit}`),

    /**
     * Retention (see db/sqlite/purge.ts). The room row is locked first, as an append locks it, so
     * first_seq moves in the same order as last_seq and two instances trimming one room take turns.
     */
    async expire(roomId: string, cutoffIso: string, max: number, at: string): Promise<{ removed: number; first_seq: number }> {
      // The common case of a pass, without a lock: the oldest stored message is new enough.
      const peek = first<{ first_seq: number; created_at: string | null }>(await sql`
        SELECT r.first_seq, (SELECT created_at FROM messages WHERE room_id = r.room_id AND seq >= r.first_seq ORDER BY seq LIMIT 1) AS created_at
        FROM rooms r WHERE r.room_id = ${roomId} AND r.deleted_at IS NULL`)
      if (!peek) return { removed: 0, first_seq: 0 }
      if (peek.created_at === null || peek.created_at >= cutoffIso) return { removed: 0, first_seq: peek.first_seq }
      return sql.begin(async (tx) => {
        const room = first<{ first_seq: number }>(await tx`SELECT first_seq FROM rooms WHERE room_id = ${roomId} AND deleted_at IS NULL FOR NO KEY UPDATE`)
        if (!room) return { removed: 0, first_seq: 0 }
        const w = first<{ first: number | null; last: number | null; keep: number | null }>(await tx`
          SELECT min(seq) AS first, max(seq) AS last, min(CASE WHEN created_at >= ${cutoffIso} THEN seq END) AS keep
          FROM (SELECT seq, created_at FROM messages WHERE room_id = ${roomId} AND seq >= ${room.first_seq} ORDER BY seq LIMIT ${max}) w`)
        if (!w || w.last === null || w.keep === w.first) return { removed: 0, first_seq: room.first_seq }
        const through = w.keep === null ? w.last : w.keep - 1
        const removed = await pgMessageRemover.through(tx, roomId, through, at)
        await tx`UPDATE rooms SET first_seq = greatest(first_seq, ${through + 1}) WHERE room_id = ${roomId}`
        return { removed, first_seq: Math.max(room.first_seq, through + 1) }
      })
    },

    async roomStep(jobId: string, roomId: string, max: number, at: string): Promise<StepResult & { members: string[] }> {
      return sql.begin(async (tx) => {
        if ((await jobSteps.lock(tx, jobId))?.status !== 'running') return { removed: 0, finished: false, over: true, members: [] }
        const r = await roomRows(tx, roomId, max, at)
        const removed = r.messages + r.members.length
        await jobSteps.advance(tx, jobId, removed)
        if (r.gone) await jobSteps.finish(tx, jobId, at)
        return { removed, finished: r.gone, over: r.gone, members: r.members }
      })
    },

    async tenantStep(jobId: string, tenantId: string, max: number, at: string): Promise<StepResult> {
      return sql.begin(async (tx) => {
        if ((await jobSteps.lock(tx, jobId))?.status !== 'running') return { removed: 0, finished: false, over: true }
        const anyRoom = async () => first<{ room_id: string }>(await tx`SELECT room_id FROM rooms WHERE tenant_id = ${tenantId} ORDER BY room_id LIMIT 1`)
        let budget = max
        let units = 0
        for (let room = await anyRoom(); room && budget > 0; room = await anyRoom()) {
          const r = await roomRows(tx, room.room_id, budget, at)
          budget -= r.messages + r.others + r.members.length + (r.gone ? 1 : 0)
          units += r.messages + (r.gone ? 1 : 0)
          if (!r.gone) break
        }
        for (const q of tenantRows) {
          if (budget <= 0) break
          budget -= (await q(tx, tenantId, budget, jobId)).count
        }
        // Its files: every live upload doomed (the upload sweeper removes them), then its usage row.
        if (budget > 0)
          budget -= (await tx`UPDATE uploads SET deleted_at = ${at}
            WHERE upload_id IN (SELECT upload_id FROM uploads WHERE tenant_id = ${tenantId} AND deleted_at IS NULL LIMIT ${budget})`).count
        const finished = budget > 0 && !(await anyRoom())
        await jobSteps.advance(tx, jobId, units)
        if (finished) {
          await tx`DELETE FROM upload_usage WHERE tenant_id = ${tenantId}`
          await tx`DELETE FROM tenants WHERE tenant_id = ${tenantId}`
          await jobSteps.finish(tx, jobId, at)
        }
        return { removed: max - budget, finished, over: finished }
      })
    },
  }
}
