// User erasure on PostgreSQL: the same phases, cursor and answers as db/sqlite/erase.ts, each step
// one transaction with the job row locked first. Messages and reactions change through the message
// and reaction stores' own rules (tombstoneIn, removeReaction) inside that transaction.

import type { SQL, TransactionSQL } from 'bun'
import type { Role, RoomType } from '../../schemas/room'
import { parseEraseCursor, SCAN_PER_ROW, type EraseCursor, type EraseStep, type LeftRoom, type NewJob } from '../lifecycle'
import type { MessageRow } from '../rows'
import { jobSteps } from './jobs'
import { tombstoneIn } from './messages'
import { removeReaction } from './reactions'
import { lockRoom } from './revs'
import { all, first } from './rows'

type ScanRoom = { room_id: string; first_seq: number; last_seq: number }

/** Locks rooms in room_id order: the lock order of an append batch, so an erase and a send cannot wait for each other in a cycle. */
const lockRooms = (tx: TransactionSQL, ids: string[]) => tx`SELECT 1 FROM rooms WHERE room_id = ANY(${[...new Set(ids)].sort()}::text[]) ORDER BY room_id FOR NO KEY UPDATE`

async function membersPhase(tx: TransactionSQL, tenantId: string, userId: string, max: number): Promise<LeftRoom[]> {
  const rows = all<{ room_id: string; role: Role; type: RoomType }>(await tx`
    SELECT m.room_id, m.role, r.type FROM members m JOIN rooms r ON r.room_id = m.room_id
    WHERE m.tenant_id = ${tenantId} AND m.user_id = ${userId} ORDER BY m.room_id LIMIT ${max}`)
  if (!rows.length) return []
  await lockRooms(tx, rows.map((r) => r.room_id))
  const left: LeftRoom[] = []
  for (const m of rows) {
    let owner: string | null = null
    if (m.role === 'owner' && m.type !== 'dm') {
      const next = async (role: Role) =>
        first<{ user_id: string }>(await tx`SELECT user_id FROM members WHERE room_id = ${m.room_id} AND role = ${role} AND user_id <> ${userId}
          ORDER BY joined_at, user_id LIMIT 1`)
      owner = ((await next('admin')) ?? (await next('member')))?.user_id ?? null
      if (owner) await tx`UPDATE members SET role = 'owner' WHERE room_id = ${m.room_id} AND user_id = ${owner}`
    }
    await tx`DELETE FROM members WHERE room_id = ${m.room_id} AND user_id = ${userId}`
    await tx`UPDATE rooms SET member_count = member_count - 1 WHERE room_id = ${m.room_id}`
    left.push({ room_id: m.room_id, role: m.role, owner })
  }
  return left
}

async function messagesPhase(tx: TransactionSQL, tenantId: string, userId: string, c: Extract<EraseCursor, { phase: 'messages' }>, max: number, at: string) {
  const deleted: MessageRow[] = []
  let budget = max * SCAN_PER_ROW
  let rooms = 0
  let cursor: EraseCursor = c
  while (budget > 0 && cursor.phase === 'messages') {
    const strict: boolean = cursor.room !== null && cursor.next
    const room: ScanRoom | null = first<ScanRoom>(await tx`
      SELECT room_id, first_seq, last_seq FROM rooms WHERE tenant_id = ${tenantId} AND deleted_at IS NULL
      AND room_id ${strict ? tx`>` : tx`>=`} ${cursor.room ?? ''} ORDER BY room_id LIMIT 1`)
    if (!room) {
      cursor = { phase: 'reactions' }
      break
    }
    const from = cursor.room === room.room_id && !cursor.next ? Math.max(cursor.seq, room.first_seq - 1) : room.first_seq - 1
    const to = Math.min(room.last_seq, from + budget)
    const seqs = all<{ seq: number }>(await tx`
      SELECT seq FROM messages WHERE room_id = ${room.room_id} AND seq > ${from} AND seq <= ${to} AND sender_id = ${userId} AND deleted_at IS NULL
      ORDER BY seq`)
    if (seqs.length) await lockRoom(tx, room.room_id)
    for (const { seq } of seqs) {
      const r = await tombstoneIn(tx, room.room_id, seq, userId, at)
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

async function reactionsPhase(tx: TransactionSQL, tenantId: string, userId: string, max: number, at: string) {
  const found = all<{ room_id: string; seq: number; key: string }>(await tx`
    SELECT room_id, seq, key FROM reactions WHERE tenant_id = ${tenantId} AND user_id = ${userId} ORDER BY room_id, seq, key LIMIT ${max}`)
  const updated: EraseStep['updated'] = []
  if (found.length) await lockRooms(tx, found.map((r) => r.room_id))
  for (const r of found) {
    const op = { op: 'remove' as const, room_id: r.room_id, seq: r.seq, key: r.key, user_id: userId, at }
    try {
      const c = await tx.savepoint((sp) => removeReaction(sp, op))
      if (c.changed) updated.push({ row: c.row, change: { kind: 'reaction.removed', user_id: userId, key: r.key } })
    } catch {
      // Its message was deleted meanwhile (CONFLICT): the reaction goes as a row.
      await tx`DELETE FROM reactions WHERE room_id = ${r.room_id} AND seq = ${r.seq} AND key = ${r.key} AND user_id = ${userId}`
    }
  }
  return { updated, done: found.length < max, removed: found.length }
}

/** The last phase's rows (see db/sqlite/erase.ts), each delete bounded by what the step has left. */
type Q = (tx: TransactionSQL, t: string, u: string, max: number) => Promise<{ count: number }>
const rest: Q[] = [
  (tx, t, u, max) => tx`DELETE FROM subscriptions WHERE subscription_id IN
      (SELECT subscription_id FROM subscriptions WHERE tenant_id = ${t} AND user_id = ${u} LIMIT ${max})`,
  (tx, t, u, max) => tx`DELETE FROM notification_targets WHERE (tenant_id, user_id, notification_id) IN
      (SELECT tenant_id, user_id, notification_id FROM notification_targets WHERE tenant_id = ${t} AND user_id = ${u} LIMIT ${max})`,
  (tx, t, u, max) => tx`DELETE FROM mentions WHERE (tenant_id, user_id, room_id, seq) IN
      (SELECT tenant_id, user_id, room_id, seq FROM mentions WHERE tenant_id = ${t} AND user_id = ${u} LIMIT ${max})`,
  (tx, t, u, max) => tx`DELETE FROM dead_letters WHERE id IN
      (SELECT id FROM dead_letters WHERE tenant_id = ${t} AND kind = 'message' AND target = ${u} LIMIT ${max})`,
  (tx, t, u, max) => tx`DELETE FROM blocks WHERE (tenant_id, user_id, blocked_id) IN
      (SELECT tenant_id, user_id, blocked_id FROM blocks WHERE tenant_id = ${t} AND user_id = ${u} LIMIT ${max})`,
  (tx, t, u, max) => tx`DELETE FROM blocks WHERE (tenant_id, user_id, blocked_id) IN
      (SELECT tenant_id, user_id, blocked_id FROM blocks WHERE tenant_id = ${t} AND blocked_id = ${u} LIMIT ${max})`,
  (tx, t, u, max) => tx`DELETE FROM room_bans WHERE (room_id, user_id) IN
      (SELECT room_id, user_id FROM room_bans WHERE tenant_id = ${t} AND user_id = ${u} LIMIT ${max})`,
  (tx, t, u, max) => tx`DELETE FROM room_mutes WHERE (room_id, user_id) IN
      (SELECT room_id, user_id FROM room_mutes WHERE tenant_id = ${t} AND user_id = ${u} LIMIT ${max})`,
  (tx, t, u) => tx`DELETE FROM tenant_bans WHERE tenant_id = ${t} AND user_id = ${u}`,
  (tx, t, u, max) => tx`DELETE FROM reports WHERE report_id IN (SELECT report_id FROM reports WHERE tenant_id = ${t} AND reporter_id = ${u} LIMIT ${max})`,
  (tx, t, u, max) => tx`DELETE FROM reports WHERE report_id IN (SELECT report_id FROM reports WHERE tenant_id = ${t} AND user_id = ${u} LIMIT ${max})`,
]

const none = { left: [], deleted: [], updated: [] }

export function createEraseStore(sql: SQL) {
  return {
    async begin(job: Omit<NewJob, 'total'>): Promise<void> {
      await sql.begin(async (tx) => {
        const [{ n }] = await tx`
          SELECT ((SELECT count(*) FROM members WHERE tenant_id = ${job.tenant_id} AND user_id = ${job.target})
                + (SELECT count(*) FROM rooms WHERE tenant_id = ${job.tenant_id} AND deleted_at IS NULL)
                + (SELECT count(*) FROM reactions WHERE tenant_id = ${job.tenant_id} AND user_id = ${job.target}) + 1)::int8 AS n`
        await jobSteps.insert(tx, { ...job, total: Number(n) })
      })
    },

    async step(jobId: string, tenantId: string, userId: string, max: number, at: string): Promise<EraseStep> {
      return sql.begin(async (tx): Promise<EraseStep> => {
        const state = await jobSteps.lock(tx, jobId)
        if (state?.status !== 'running') return { finished: false, over: true, ...none }
        const cursor = parseEraseCursor(state.cursor)
        if (cursor.phase === 'members') {
          const left = await membersPhase(tx, tenantId, userId, max)
          const next: EraseCursor = left.length < max ? { phase: 'messages', room: null, seq: 0, next: false } : cursor
          await jobSteps.advance(tx, jobId, left.length, JSON.stringify(next))
          return { finished: false, over: false, ...none, left }
        }
        if (cursor.phase === 'messages') {
          const r = await messagesPhase(tx, tenantId, userId, cursor, max, at)
          await jobSteps.advance(tx, jobId, r.rooms, JSON.stringify(r.cursor))
          return { finished: false, over: false, ...none, deleted: r.deleted }
        }
        if (cursor.phase === 'reactions') {
          const r = await reactionsPhase(tx, tenantId, userId, max, at)
          await jobSteps.advance(tx, jobId, r.removed, JSON.stringify(r.done ? { phase: 'rest' } : cursor))
          return { finished: false, over: false, ...none, updated: r.updated }
        }
        let removed = 0
        for (const q of rest) if (removed < max) removed += (await q(tx, tenantId, userId, max - removed)).count
        // Their uploads: doomed (the upload sweeper removes the files), the tenant's usage released.
        const doomed = all<{ upload_id: string; bytes: string | number }>(await tx`
          UPDATE uploads SET deleted_at = ${at} WHERE upload_id IN
            (SELECT upload_id FROM uploads WHERE tenant_id = ${tenantId} AND uploader_id = ${userId} AND deleted_at IS NULL LIMIT ${Math.max(max - removed, 0)})
          RETURNING upload_id, bytes`)
        if (doomed.length) {
          await tx`DELETE FROM message_uploads WHERE upload_id = ANY(${doomed.map((u) => u.upload_id)}::text[])`
          const bytes = doomed.reduce((a, u) => a + Number(u.bytes), 0)
          await tx`UPDATE upload_usage SET uploads = uploads - ${doomed.length}, bytes = bytes - ${bytes} WHERE tenant_id = ${tenantId}`
        }
        if (removed + doomed.length >= max) return { finished: false, over: false, ...none }
        await jobSteps.finish(tx, jobId, at)
        return { finished: true, over: true, ...none }
      })
    },
  }
}
