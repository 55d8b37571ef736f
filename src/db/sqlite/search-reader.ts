// Search queries over the SQLite index (db/sqlite/search-index.ts): FTS5 finds candidates newest
// first (ascending rowid), restricted inside the FTS query to the caller's rooms when they are few,
// else to the tenant; each candidate is then checked against the chat tables as they are now: the
// caller's memberships, the sender when one is asked, and the message row itself (a delete or an
// edit the index has not applied yet never leaks an old match).

import type { Database } from 'bun:sqlite'
import { findMatches, fts5Expression, type SearchPage, type SearchRequest } from '../search-query'
import { decodeCursor, encodeCursor } from '../cursor'
import { pageColumns, type PageRow } from '../rows'

/** Up to this many rooms are named in the FTS query itself; more are checked per candidate. */
const ROOM_TOKENS_MAX = 64
/**
 * Candidates looked at per request at most. A page can end early (fewer than `limit` results with a
 * next_cursor) so that a word common in rooms the caller is not in cannot make one request scan
 * the whole index.
 */
export const SCAN_MAX = 10_000


export function decodeSearchCursor(cursor: string): number {
  const [id] = decodeCursor(cursor, ['number']) as number[]
  if (!Number.isSafeInteger(id) || id < 0) decodeCursor('', ['number']) // throws the 400 on `cursor`
  return id
}

export function createSearchReader(d: { chat: Database; idx: Database; schema: string }) {
  const { chat, idx } = d
  const S = d.schema
  const memberRooms = chat.query<{ room_id: string }, [string, string]>('SELECT room_id FROM members WHERE tenant_id = ? AND user_id = ?')
  const messageRow = chat.query<PageRow, [string, number]>(`SELECT ${pageColumns()} FROM messages WHERE room_id = ? AND seq = ?`)
  const keyGet = idx.query<{ key: number }, [string, string]>(`SELECT key FROM ${S}.keys WHERE kind = ? AND name = ?`)
  const docById = idx.query<{ room_id: string; seq: number; edited_at: string | null }, [number]>(`SELECT room_id, seq, edited_at FROM ${S}.docs WHERE id = ?`)
  const candidates = idx.query<{ id: number }, [string, number]>(`SELECT rowid AS id FROM ${S}.fts WHERE fts MATCH ? AND rowid > ? ORDER BY rowid`)

  return {
    query(req: SearchRequest): SearchPage {
      const after = req.cursor === undefined ? -1 : decodeSearchCursor(req.cursor)
      const empty: SearchPage = { rows: [], next_cursor: null }
      const rooms = req.roomId ? [req.roomId] : memberRooms.all(req.tenantId, req.userId).map((r) => r.room_id)
      const tenantKey = keyGet.get('t', req.tenantId)?.key
      if (!rooms.length || tenantKey === undefined) return empty
      // Room keys are unique across tenants: naming the rooms scopes the tenant too.
      const scope: string[] = []
      if (rooms.length <= ROOM_TOKENS_MAX) {
        const keys = rooms.flatMap((r) => keyGet.get('r', r)?.key ?? [])
        if (!keys.length) return empty // none of these rooms has an indexed message
        scope.push(`(${keys.map((k) => `r${k}`).join(' OR ')})`)
      } else scope.push(`t${tenantKey}`)
      const match = `body : (${fts5Expression(req.terms)}) AND scope : (${scope.join(' AND ')})`
      const inScope = new Set(rooms)
      const rows: PageRow[] = []
      let scanned = 0
      let last = after
      let kept = after
      for (const { id } of candidates.iterate(match, after)) {
        if (++scanned > SCAN_MAX) return { rows, next_cursor: encodeCursor([last]) }
        last = id
        const doc = docById.get(id)
        if (!doc || !inScope.has(doc.room_id)) continue
        const m = messageRow.get(doc.room_id, doc.seq)
        if (!m || m.deleted_at !== null) continue
        if (req.senderId !== undefined && m.sender_id !== req.senderId) continue
        // Edited since it was indexed (the change is on its way): only its current words count.
        if (m.edited_at !== doc.edited_at && !findMatches(m.content, req.terms).all) continue
        if (rows.length === req.limit) return { rows, next_cursor: encodeCursor([kept]) }
        rows.push(m)
        kept = id
      }
      return { rows, next_cursor: null }
    },
  }
}
