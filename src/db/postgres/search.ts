// Search on PostgreSQL (SPEC §13): one statement over the indexes of migration 0007, scoped by the
// tenant and the caller's rooms (read from `members` just before: "the rooms the caller is a member
// of now"). The planner picks per query, and measured well on 1,000,000 messages (docs/search.md):
// the GIN index for a rare word, a backward walk of messages_recent for a word common in the
// caller's rooms, the primary key for a caller in few rooms. Naming the tenant and rooms as
// lexemes inside the tsquery was tried and was slower (a rare word: 2 ms → 23 ms).

import type { SQL } from 'bun'
import { tsqueryText, type SearchPage, type SearchRequest } from '../search-query'
import { pageColumns, type PageRow } from '../rows'
import { decodeCursor, encodeCursor } from '../cursor'
import { all } from './rows'

const COLUMNS = pageColumns('m.')

export function createSearchStore(sql: SQL) {
  return {
    async query(req: SearchRequest): Promise<SearchPage> {
      const after = req.cursor === undefined ? null : (decodeCursor(req.cursor, ['string', 'string', 'number']) as [string, string, number])
      const rooms = req.roomId
        ? [req.roomId]
        : (await sql`SELECT room_id FROM members WHERE tenant_id = ${req.tenantId} AND user_id = ${req.userId}`).map((r: { room_id: string }) => r.room_id) as string[]
      if (!rooms.length) return { rows: [], next_cursor: null }
      const rows = all<PageRow>(await sql`
        SELECT ${sql.unsafe(COLUMNS)}
        FROM messages m
        WHERE chatapi_search_doc(m.content) @@ to_tsquery('simple', chatapi_search_fold(${tsqueryText(req.terms)}))
          AND m.tenant_id = ${req.tenantId}
          AND m.room_id = ANY(${rooms}::text[])
          AND m.deleted_at IS NULL
          ${req.senderId !== undefined ? sql`AND m.sender_id = ${req.senderId}` : sql``}
          ${after ? sql`AND (m.created_at, m.room_id, m.seq) < (${after[0]}, ${after[1]}, ${after[2]}::int)` : sql``}
        ORDER BY m.created_at DESC, m.room_id DESC, m.seq DESC
        LIMIT ${req.limit + 1}`)
      const page = rows.slice(0, req.limit)
      const last = page[page.length - 1]
      return { rows: page, next_cursor: rows.length > req.limit ? encodeCursor([last.created_at, last.room_id, last.seq]) : null }
    },
  }
}
