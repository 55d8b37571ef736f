// Mentions (PostgreSQL, SPEC §11.5): unread_mentions and GET /v1/mentions over the rows messages.ts writes.

import type { SQL } from 'bun'
import { pageColumns, type PageRow } from '../rows'
import { toMentionPage } from '../rich-rows'
import { decodeCursor } from '../cursor'
import { all } from './rows'

const COLUMNS = pageColumns('msg.')

export function createMentionStore(sql: SQL) {
  return {
    async membersAmong(roomId: string, userIds: string[]): Promise<string[]> {
      return all<{ user_id: string }>(await sql`SELECT user_id FROM members WHERE room_id = ${roomId} AND user_id = ANY(${userIds}::text[])`).map((r) => r.user_id)
    },

    async unreadCounts(tenantId: string, userId: string, roomIds: string[]): Promise<Record<string, number>> {
      const out: Record<string, number> = {}
      if (!roomIds.length) return out
      const rows = all<{ room_id: string; n: number }>(await sql`
        SELECT mn.room_id, count(*)::int AS n FROM members m
        JOIN mentions mn ON mn.tenant_id = m.tenant_id AND mn.user_id = m.user_id AND mn.room_id = m.room_id AND mn.seq > m.last_read
        WHERE m.tenant_id = ${tenantId} AND m.user_id = ${userId} AND m.room_id = ANY(${roomIds}::text[])
        GROUP BY mn.room_id`)
      for (const r of rows) out[r.room_id] = r.n
      return out
    },

    async listForUser(tenantId: string, userId: string, limit: number, cursor?: string) {
      const after = cursor ? decodeCursor(cursor, ['string', 'string', 'number']) : null
      const rows = all<PageRow>(await sql`
        SELECT ${sql.unsafe(COLUMNS)} FROM mentions mn
        JOIN members m ON m.room_id = mn.room_id AND m.user_id = mn.user_id
        JOIN messages msg ON msg.room_id = mn.room_id AND msg.seq = mn.seq
        WHERE mn.tenant_id = ${tenantId} AND mn.user_id = ${userId}
        ${after ? sql`AND (mn.created_at, mn.room_id, mn.seq) < (${after[0]}, ${after[1]}, ${after[2]})` : sql``}
        ORDER BY mn.created_at DESC, mn.room_id DESC, mn.seq DESC LIMIT ${limit + 1}`)
      return toMentionPage(rows, limit)
    },
  }
}
