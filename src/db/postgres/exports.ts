// Reads for the streamed exports on PostgreSQL: the same pages and cursors as db/sqlite/exports.ts.

import type { SQL } from 'bun'
import { SENT_BY_SCAN, type ReactionCursor, type ReactionExportRow, type SentByCursor } from '../lifecycle'
import { MEMBER_COLUMNS } from '../room-list'
import { pageColumns, type MemberRow, type PageRow, type SubscriptionRow, type UploadRow } from '../rows'
import type { BlockRow } from '../moderation-rows'
import { all, first, numbers } from './rows'
import { createMemberStore } from './members'
import { createMessageStore } from './messages'

export function createExportStore(sql: SQL) {
  const members = createMemberStore(sql)
  const messages = createMessageStore(sql)
  return {
    roomMembers: (roomId: string, limit: number, cursor?: string) => members.page(roomId, limit, cursor),
    roomMessages: (roomId: string, afterSeq: number, limit: number) => messages.after(roomId, afterSeq, limit),

    memberships: async (tenantId: string, userId: string, afterRoomId: string, limit: number) =>
      all<MemberRow>(await sql`
        SELECT ${sql.unsafe(MEMBER_COLUMNS.replace(/(\w+)/g, 'm.$1'))} FROM members m JOIN rooms r ON r.room_id = m.room_id
        WHERE m.tenant_id = ${tenantId} AND m.user_id = ${userId} AND m.room_id > ${afterRoomId} AND r.deleted_at IS NULL
        ORDER BY m.room_id LIMIT ${limit}`),

    async sentBy(tenantId: string, userId: string, cursor: SentByCursor | null, limit: number): Promise<{ rows: PageRow[]; cursor: SentByCursor | null }> {
      const rows: PageRow[] = []
      let budget = SENT_BY_SCAN
      let c = cursor
      while (budget > 0 && rows.length < limit) {
        const strict = c !== null && c.next
        const room = first<{ room_id: string; first_seq: number; last_seq: number }>(await sql`
          SELECT room_id, first_seq, last_seq FROM rooms WHERE tenant_id = ${tenantId} AND deleted_at IS NULL
          AND room_id ${strict ? sql`>` : sql`>=`} ${c?.room ?? ''} ORDER BY room_id LIMIT 1`)
        if (!room) return { rows, cursor: null }
        const from = c && c.room === room.room_id && !c.next ? Math.max(c.seq, room.first_seq - 1) : room.first_seq - 1
        const to = Math.min(room.last_seq, from + budget)
        const want = limit - rows.length
        const page = all<PageRow>(await sql`
          SELECT ${sql.unsafe(pageColumns())} FROM messages WHERE room_id = ${room.room_id} AND seq > ${from} AND seq <= ${to} AND sender_id = ${userId} ORDER BY seq LIMIT ${want}`)
        rows.push(...page)
        if (page.length > 0 && page.length === want) {
          const last = page[page.length - 1].seq
          c = last >= room.last_seq ? { room: room.room_id, seq: 0, next: true } : { room: room.room_id, seq: last, next: false }
          break
        }
        budget -= to - from + 1
        c = to >= room.last_seq ? { room: room.room_id, seq: 0, next: true } : { room: room.room_id, seq: to, next: false }
      }
      return { rows, cursor: c }
    },

    subscriptions: async (tenantId: string, userId: string, afterId: string, limit: number) =>
      all<SubscriptionRow>(await sql`
        SELECT * FROM subscriptions WHERE tenant_id = ${tenantId} AND user_id = ${userId} AND subscription_id > ${afterId}
        ORDER BY subscription_id LIMIT ${limit}`),

    uploads: async (tenantId: string, userId: string, afterId: string, limit: number) =>
      all<UploadRow>(await sql`
        SELECT * FROM uploads WHERE tenant_id = ${tenantId} AND uploader_id = ${userId} AND upload_id > ${afterId} AND deleted_at IS NULL
        ORDER BY upload_id LIMIT ${limit}`).map((r) => numbers(r, 'bytes')),

    reactions: async (tenantId: string, userId: string, after: ReactionCursor | null, limit: number) =>
      all<ReactionExportRow>(await sql`
        SELECT r.room_id, r.seq, m.message_id, r.key, r.created_at FROM reactions r
        JOIN messages m ON m.room_id = r.room_id AND m.seq = r.seq
        WHERE r.tenant_id = ${tenantId} AND r.user_id = ${userId}
        ${after === null ? sql`` : sql`AND (r.room_id, r.seq, r.key) > (${after[0]}, ${after[1]}::int, ${after[2]})`}
        ORDER BY r.room_id, r.seq, r.key LIMIT ${limit}`),

    blocks: async (tenantId: string, userId: string, afterId: string, limit: number) =>
      all<BlockRow>(await sql`
        SELECT * FROM blocks WHERE tenant_id = ${tenantId} AND user_id = ${userId} AND blocked_id > ${afterId} ORDER BY blocked_id LIMIT ${limit}`),
  }
}
