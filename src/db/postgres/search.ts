// Search on PostgreSQL (SPEC §13): one statement over the GIN index of migration 0005. The tsquery
// names the tenant (and the rooms, when the caller has few, and the sender) next to the words, so
// the index scan itself is scoped; the caller's rooms are also a condition of the same statement,
// read from `members` in the same snapshot ("rooms the caller is a member of now").

import type { SQL } from 'bun'
import { tsqueryText, type SearchPage, type SearchRequest } from '../search-query'
import type { PageRow } from '../rows'
import { decodeCursor, encodeCursor } from '../cursor'
import { all } from './rows'

/** Up to this many rooms are named in the tsquery; more are only a condition on room_id. */
const ROOM_LEXEMES_MAX = 64

/** A lexeme of the scope part, quoted for tsquery input (ids hold no quote or backslash; escaped anyway). */
const lexeme = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`

export function createSearchStore(sql: SQL) {
  return {
    async query(req: SearchRequest): Promise<SearchPage> {
      const after = req.cursor === undefined ? null : (decodeCursor(req.cursor, ['string', 'string', 'number']) as [string, string, number])
      const rooms = req.roomId
        ? [req.roomId]
        : (await sql`SELECT room_id FROM members WHERE tenant_id = ${req.tenantId} AND user_id = ${req.userId}`).map((r: { room_id: string }) => r.room_id) as string[]
      if (!rooms.length) return { rows: [], next_cursor: null }
      const scope = [lexeme(`t:${req.tenantId}`)]
      if (rooms.length <= ROOM_LEXEMES_MAX) scope.push(`(${rooms.map((r) => lexeme(`r:${r}`)).join(' | ')})`)
      if (req.senderId !== undefined) scope.push(lexeme(`s:${req.senderId}`))
      const rows = all<PageRow>(await sql`
        SELECT m.message_id, m.room_id, m.seq, m.sender_id, m.content, m.meta, m.client_msg_id, m.created_at, m.edited_at, m.deleted_at
        FROM messages m
        WHERE chatapi_search_doc(m.tenant_id, m.room_id, m.sender_id, m.content)
              @@ (to_tsquery('simple', chatapi_search_fold(${tsqueryText(req.terms)})) && ${scope.join(' & ')}::tsquery)
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
