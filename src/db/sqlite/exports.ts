// Reads for the streamed exports (SPEC §15): keyset pages, so a stream of any size holds one page.
// They run on a connection of their own (db/open-store.ts): no mmap and a small page cache, so an
// export of millions of rows neither grows the process by the file it reads nor pushes the send
// path's hot pages out of the main connection's cache.

import type { Database } from 'bun:sqlite'
import { decodeCursor, encodeCursor } from '../cursor'
import { SENT_BY_SCAN, type ReactionCursor, type ReactionExportRow, type SentByCursor } from '../lifecycle'
import { MEMBER_COLUMNS } from '../room-list'
import { pageColumns, type MemberRow, type PageRow, type SubscriptionRow, type UploadRow } from '../rows'
import type { BlockRow } from '../moderation-rows'

export function createExportStore(db: Database) {
  const memberships = db.query<MemberRow, [string, string, string, number]>(
    `SELECT ${MEMBER_COLUMNS.replace(/(\w+)/g, 'm.$1')} FROM members m JOIN rooms r ON r.room_id = m.room_id
     WHERE m.tenant_id = ? AND m.user_id = ? AND m.room_id > ? AND r.deleted_at IS NULL ORDER BY m.room_id LIMIT ?`,
  )
  const roomFrom = (strict: boolean) =>
    db.query<{ room_id: string; first_seq: number; last_seq: number }, [string, string]>(
      `SELECT room_id, first_seq, last_seq FROM rooms WHERE tenant_id = ? AND room_id ${strict ? '>' : '>='} ? AND deleted_at IS NULL
       ORDER BY room_id LIMIT 1`,
    )
  const roomAtOrAfter = roomFrom(false)
  const roomAfter = roomFrom(true)
  const sent = db.query<PageRow, [string, number, number, string, number]>(
    `SELECT ${pageColumns()} FROM messages WHERE room_id = ? AND seq > ? AND seq <= ? AND sender_id = ? ORDER BY seq LIMIT ?`,
  )
  // The reactions_by_user index order (tenant_id, user_id, room_id, seq, key): a keyset walk.
  const reactions = (withCursor: boolean) =>
    db.query<ReactionExportRow, (string | number)[]>(
      `SELECT r.room_id, r.seq, m.message_id, r.key, r.created_at FROM reactions r
       JOIN messages m ON m.room_id = r.room_id AND m.seq = r.seq
       WHERE r.tenant_id = ? AND r.user_id = ?
       ${withCursor ? 'AND (r.room_id > ? OR (r.room_id = ? AND (r.seq > ? OR (r.seq = ? AND r.key > ?))))' : ''}
       ORDER BY r.room_id, r.seq, r.key LIMIT ?`,
    )
  const uploads = db.query<UploadRow, [string, string, string, number]>(
    'SELECT * FROM uploads WHERE tenant_id = ? AND uploader_id = ? AND upload_id > ? AND deleted_at IS NULL ORDER BY upload_id LIMIT ?',
  )
  const blocks = db.query<BlockRow, [string, string, string, number]>(
    'SELECT * FROM blocks WHERE tenant_id = ? AND user_id = ? AND blocked_id > ? ORDER BY blocked_id LIMIT ?',
  )
  const reactionsFirst = reactions(false)
  const reactionsNext = reactions(true)
  const members = (withCursor: boolean) =>
    db.query<MemberRow, (string | number)[]>(
      `SELECT ${MEMBER_COLUMNS} FROM members WHERE room_id = ? ${withCursor ? 'AND (joined_at > ? OR (joined_at = ? AND user_id > ?))' : ''}
       ORDER BY joined_at, user_id LIMIT ?`,
    )
  const membersFirst = members(false)
  const membersNext = members(true)
  const messagesAfter = db.query<PageRow, [string, number, number]>(`SELECT ${pageColumns()} FROM messages WHERE room_id = ? AND seq > ? ORDER BY seq LIMIT ?`)
  const subscriptions = db.query<SubscriptionRow, [string, string, string, number]>(
    'SELECT * FROM subscriptions WHERE tenant_id = ? AND user_id = ? AND subscription_id > ? ORDER BY subscription_id LIMIT ?',
  )

  return {
    /** A room's members by join time (as members.page), for the room export. */
    roomMembers(roomId: string, limit: number, cursor?: string): { rows: MemberRow[]; next_cursor: string | null } {
      const rows = cursor
        ? (() => {
            const [at, id] = decodeCursor(cursor, ['string', 'string']) as string[]
            return membersNext.all(roomId, at, at, id, limit + 1)
          })()
        : membersFirst.all(roomId, limit + 1)
      const page = rows.slice(0, limit)
      const last = page[page.length - 1]
      return { rows: page, next_cursor: rows.length > limit ? encodeCursor([last.joined_at, last.user_id]) : null }
    },

    /** Up to `limit` messages with seq > afterSeq, ascending (as messages.after), for the room export. */
    roomMessages: (roomId: string, afterSeq: number, limit: number) => messagesAfter.all(roomId, afterSeq, limit),

    /** The user's memberships of live rooms, by room id after `afterRoomId` ('' from the start). */
    memberships: (tenantId: string, userId: string, afterRoomId: string, limit: number) => memberships.all(tenantId, userId, afterRoomId, limit),

    /**
     * Messages the user sent, room by room (room id order) and in seq order within a room, from
     * `cursor` (null: the start). Scans at most SENT_BY_SCAN seqs, so it may answer fewer than
     * `limit` rows; `cursor` is null once every room is done.
     */
    sentBy(tenantId: string, userId: string, cursor: SentByCursor | null, limit: number): { rows: PageRow[]; cursor: SentByCursor | null } {
      const rows: PageRow[] = []
      let budget = SENT_BY_SCAN
      let c = cursor
      while (budget > 0 && rows.length < limit) {
        const room = c === null ? roomAtOrAfter.get(tenantId, '') : (c.next ? roomAfter : roomAtOrAfter).get(tenantId, c.room)
        if (!room) return { rows, cursor: null }
        const from = c && c.room === room.room_id && !c.next ? Math.max(c.seq, room.first_seq - 1) : room.first_seq - 1
        const to = Math.min(room.last_seq, from + budget)
        const want = limit - rows.length
        const page = sent.all(room.room_id, from, to, userId, want)
        rows.push(...page)
        if (page.length > 0 && page.length === want) {
          // The page is full: go on after its last row next time (the window may hold more).
          const last = page[page.length - 1].seq
          c = last >= room.last_seq ? { room: room.room_id, seq: 0, next: true } : { room: room.room_id, seq: last, next: false }
          break
        }
        budget -= to - from + 1
        c = to >= room.last_seq ? { room: room.room_id, seq: 0, next: true } : { room: room.room_id, seq: to, next: false }
      }
      return { rows, cursor: c }
    },

    /** The user's subscriptions by id after `afterId` ('' from the start). */
    subscriptions: (tenantId: string, userId: string, afterId: string, limit: number) => subscriptions.all(tenantId, userId, afterId, limit),

    /** The user's live uploads by id after `afterId` ('' from the start). */
    uploads: (tenantId: string, userId: string, afterId: string, limit: number) => uploads.all(tenantId, userId, afterId, limit),

    /** The user's reactions in (room, seq, key) order after `after` (null: from the start). */
    reactions: (tenantId: string, userId: string, after: ReactionCursor | null, limit: number) =>
      after === null ? reactionsFirst.all(tenantId, userId, limit) : reactionsNext.all(tenantId, userId, after[0], after[0], after[1], after[1], after[2], limit),

    /** The users this user blocks, by blocked id after `afterId` ('' from the start; the primary key's order). */
    blocks: (tenantId: string, userId: string, afterId: string, limit: number) => blocks.all(tenantId, userId, afterId, limit),
  }
}
