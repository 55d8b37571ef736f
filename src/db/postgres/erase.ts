// User erasure on PostgreSQL: the same phases, cursor and answers as db/sqlite/erase.ts, each step
// one transaction with the job row locked first.

import type { SQL, TransactionSQL } from 'bun'
import type { Role, RoomType } from '../../schemas/room'
import { parseEraseCursor, SCAN_PER_ROW, type EraseCursor, type EraseStep, type LeftRoom, type NewJob } from '../lifecycle'
import type { MessageRow } from '../rows'
import { jobSteps } from './jobs'
import { all, first } from './rows'

type ScanRoom = { room_id: string; first_seq: number; last_seq: number }

/**
 * Memberships go in room_id order with their rooms locked first, in that order: the lock order of
 * an append batch, so an erase and a send cannot wait for each other in a cycle.
 */
async function membersPhase(tx: TransactionSQL, tenantId: string, userId: string, max: number): Promise<LeftRoom[]> {
  const rows = all<{ room_id: string; role: Role; type: RoomType }>(await tx`
    SELECT m.room_id, m.role, r.type FROM members m JOIN rooms r ON r.room_id = m.room_id
    WHERE m.tenant_id = ${tenantId} AND m.user_id = ${userId} ORDER BY m.room_id LIMIT ${max}`)
  if (!rows.length) return []
  await tx`SELECT 1 FROM rooms WHERE room_id = ANY(${rows.map((r) => r.room_id)}::text[]) ORDER BY room_id FOR NO KEY UPDATE`
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
      cursor = { phase: 'rest' }
      break
    }
    const from = cursor.room === room.room_id && !cursor.next ? Math.max(cursor.seq, room.first_seq - 1) : room.first_seq - 1
    const to = Math.min(room.last_seq, from + budget)
    deleted.push(
      ...all<MessageRow>(await tx`UPDATE messages SET content = '', meta = NULL, deleted_at = ${at}
        WHERE room_id = ${room.room_id} AND seq > ${from} AND seq <= ${to} AND sender_id = ${userId} AND deleted_at IS NULL
        RETURNING *`).sort((a, b) => a.seq - b.seq),
    )
    budget -= to - from + 1
    if (to >= room.last_seq) {
      rooms++
      cursor = { phase: 'messages', room: room.room_id, seq: 0, next: true }
    } else cursor = { phase: 'messages', room: room.room_id, seq: to, next: false }
  }
  return { deleted, rooms, cursor }
}

export function createEraseStore(sql: SQL) {
  return {
    async begin(job: Omit<NewJob, 'total'>): Promise<void> {
      await sql.begin(async (tx) => {
        const [{ n }] = await tx`
          SELECT ((SELECT count(*) FROM members WHERE tenant_id = ${job.tenant_id} AND user_id = ${job.target})
                + (SELECT count(*) FROM rooms WHERE tenant_id = ${job.tenant_id} AND deleted_at IS NULL) + 1)::int8 AS n`
        await jobSteps.insert(tx, { ...job, total: Number(n) })
      })
    },

    async step(jobId: string, tenantId: string, userId: string, max: number, at: string): Promise<EraseStep> {
      return sql.begin(async (tx): Promise<EraseStep> => {
        const state = await jobSteps.lock(tx, jobId)
        if (state?.status !== 'running') return { finished: false, over: true, left: [], deleted: [] }
        const cursor = parseEraseCursor(state.cursor)
        if (cursor.phase === 'members') {
          const left = await membersPhase(tx, tenantId, userId, max)
          const next: EraseCursor = left.length < max ? { phase: 'messages', room: null, seq: 0, next: false } : cursor
          await jobSteps.advance(tx, jobId, left.length, JSON.stringify(next))
          return { finished: false, over: false, left, deleted: [] }
        }
        if (cursor.phase === 'messages') {
          const r = await messagesPhase(tx, tenantId, userId, cursor, max, at)
          await jobSteps.advance(tx, jobId, r.rooms, JSON.stringify(r.cursor))
          return { finished: false, over: false, left: [], deleted: r.deleted }
        }
        const removed =
          (await tx`DELETE FROM subscriptions WHERE subscription_id IN
              (SELECT subscription_id FROM subscriptions WHERE tenant_id = ${tenantId} AND user_id = ${userId} LIMIT ${max})`).count +
          (await tx`DELETE FROM notification_targets WHERE (tenant_id, user_id, notification_id) IN
              (SELECT tenant_id, user_id, notification_id FROM notification_targets WHERE tenant_id = ${tenantId} AND user_id = ${userId} LIMIT ${max})`).count +
          (await tx`DELETE FROM dead_letters WHERE id IN
              (SELECT id FROM dead_letters WHERE tenant_id = ${tenantId} AND kind = 'message' AND target = ${userId} LIMIT ${max})`).count
        if (removed >= max) return { finished: false, over: false, left: [], deleted: [] }
        await jobSteps.finish(tx, jobId, at)
        return { finished: true, over: true, left: [], deleted: [] }
      })
    },
  }
}
