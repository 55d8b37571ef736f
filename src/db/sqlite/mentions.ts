// Mentions (SPEC §11.5): the rows written with each message (db/sqlite/messages.ts), read here for
// unread_mentions and GET /v1/mentions.

import type { Database } from 'bun:sqlite'
import { decodeCursor } from '../cursor'
import { pageColumns, type PageRow } from '../rows'
import { toMentionPage } from '../rich-rows'

export function createMentionStore(db: Database) {
  const membersOf = db.query<{ user_id: string }, [string, string]>(
    'SELECT user_id FROM members WHERE room_id = ? AND user_id IN (SELECT value FROM json_each(?))',
  )
  const unread = db.query<{ room_id: string; n: number }, [string, string, string]>(
    `SELECT mn.room_id, count(*) AS n FROM members m
     JOIN mentions mn ON mn.tenant_id = m.tenant_id AND mn.user_id = m.user_id AND mn.room_id = m.room_id AND mn.seq > m.last_read
     WHERE m.tenant_id = ? AND m.user_id = ? AND m.room_id IN (SELECT value FROM json_each(?))
     GROUP BY mn.room_id`,
  )
  const list = (withCursor: boolean) =>
    db.query<PageRow, (string | number)[]>(
      `SELECT ${pageColumns('msg.')} FROM mentions mn
       JOIN members m ON m.room_id = mn.room_id AND m.user_id = mn.user_id
       JOIN messages msg ON msg.room_id = mn.room_id AND msg.seq = mn.seq
       WHERE mn.tenant_id = ? AND mn.user_id = ? ${withCursor ? 'AND (mn.created_at, mn.room_id, mn.seq) < (?, ?, ?)' : ''}
       ORDER BY mn.created_at DESC, mn.room_id DESC, mn.seq DESC LIMIT ?`,
    )
  const first = list(false)
  const next = list(true)

  return {
    /** Which of `userIds` are members of the room now. */
    membersAmong: (roomId: string, userIds: string[]) => membersOf.all(roomId, JSON.stringify(userIds)).map((r) => r.user_id),

    /** Per room of `roomIds` (the user's), how many messages mention the user above their read marker (absent: 0). */
    unreadCounts(tenantId: string, userId: string, roomIds: string[]): Record<string, number> {
      const out: Record<string, number> = {}
      if (roomIds.length) for (const r of unread.all(tenantId, userId, JSON.stringify(roomIds))) out[r.room_id] = r.n
      return out
    },

    /** Messages that mention the user in rooms they are a member of now, newest first. */
    listForUser(tenantId: string, userId: string, limit: number, cursor?: string) {
      const rows = cursor
        ? (() => {
            const [at, room, seq] = decodeCursor(cursor, ['string', 'string', 'number'])
            return next.all(tenantId, userId, at, room, seq, limit + 1)
          })()
        : first.all(tenantId, userId, limit + 1)
      return toMentionPage(rows, limit)
    },
  }
}

export type MentionStore = ReturnType<typeof createMentionStore>
