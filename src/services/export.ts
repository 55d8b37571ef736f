// Exports (SPEC §15): a room's or a user's data as application/x-ndjson, streamed with constant
// memory at any size:
// - the stream is pulled: a page is read from the store only when Bun's writer asks for more
//   (highWaterMark 0), so a slow reader slows the reads instead of filling a buffer;
// - pages are small (PAGE rows, ~40 KB) with a PAUSE_MS timer between two of them. Measured with the
//   bench `export` (1,000,000 messages, 400 MB): unpaced 500-row pages grew the server by 35-55 MB
//   while the export ran, these by about 22-25 MB, the same for 20,000 messages as for a million
//   (and a forced full GC does not lower it: it is streaming's working memory, not rows held).
//   The pause also gives the event loop to sends between any two pages; one export then runs at
//   about 50,000-100,000 rows a second;
// - the reads run on the store's export connection (no mmap, a small page cache: db/open-store.ts);
//   on the main connection the mapped file alone added up to 256 MB to RSS during an export.

import type { Store } from '../db/types'
import type { ReactionCursor, SentByCursor } from '../db/lifecycle'
import { toMessage, toRoom, type PageRow } from '../db/rows'
import { toBlock } from '../db/moderation-rows'
import { notFound } from '../errors'
import type { Member } from '../schemas/room'
import { roomFor } from './access'
import { asUser, type AppCaller } from './actor'
import { checkUserId, keyOnly } from './lifecycle'
import { toUpload } from './upload'

/** Rows read per page of an export. */
const PAGE = 100
/** Pause between two pages. */
const PAUSE_MS = 1

/** Produces the next lines (NDJSON text, '' for none this time), or null when the export is complete. */
type Pager = () => Promise<string | null>

const lines = (objects: object[]) => {
  let text = ''
  for (const o of objects) text += JSON.stringify(o) + '\n'
  return text
}

const encoder = new TextEncoder()
const messageLines = (rows: PageRow[]) => lines(rows.map((r) => ({ type: 'message', message: toMessage(r) })))

/** A pull stream of NDJSON lines from `next`, one page per pull, PAUSE_MS apart. */
export function ndjson(next: Pager): ReadableStream<Uint8Array> {
  let started = false
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (started) await new Promise((r) => setTimeout(r, PAUSE_MS))
        started = true
        // Skip empty pages (a scan window with no match) without handing the client an empty chunk.
        for (;;) {
          const text = await next()
          if (text === null) return controller.close()
          if (text) return controller.enqueue(encoder.encode(text))
        }
      },
    },
    { highWaterMark: 0 },
  )
}

/** Runs the phases in order; each returns a page of lines, or null when it is done. */
function phases(...list: Pager[]): Pager {
  let i = 0
  return async () => {
    while (i < list.length) {
      const lines = await list[i]()
      if (lines !== null) return lines
      i++
    }
    return null
  }
}

export function createExportService({ store }: { store: Store }) {
  return {
    /**
     * GET /v1/rooms/{room_id}/export: one `room` line, then `member` lines (join order), then every
     * `message` in ascending seq. API key only; an X-User-Id limits it to rooms that user may read.
     * Access is checked before the stream starts, so refusals are ordinary error answers.
     */
    async room(caller: AppCaller, roomId: string): Promise<ReadableStream<Uint8Array>> {
      keyOnly(caller, 'exporting a room')
      const user = asUser(caller)
      const room = user ? (await roomFor(store, user, roomId, 'member')).room : await store.rooms.get(caller.tenant.tenant_id, roomId)
      if (!room) throw notFound('room')
      let sentRoom = false
      let members: string | null | undefined
      let afterSeq = 0
      let messagesDone = false
      return ndjson(
        phases(
          async () => (sentRoom ? null : ((sentRoom = true), lines([{ type: 'room', room: toRoom(room) }]))),
          async () => {
            if (members === null) return null
            const page = await store.exports.roomMembers(roomId, PAGE, members)
            members = page.next_cursor
            const member = (m: (typeof page.rows)[number]): Member => ({
              user_id: m.user_id,
              role: m.role,
              joined_at: m.joined_at,
              last_ack: m.last_ack,
              last_read: m.last_read,
              online: null, // stored data, not live state
            })
            return lines(page.rows.map((m) => ({ type: 'member', member: member(m) })))
          },
          async () => {
            if (messagesDone) return null
            const rows = await store.exports.roomMessages(roomId, afterSeq, PAGE)
            if (rows.length < PAGE) messagesDone = true
            if (rows.length) afterSeq = rows[rows.length - 1].seq
            return messageLines(rows)
          },
        ),
      )
    },

    /**
     * GET /v1/users/{user_id}/export: `membership` lines, then `message` lines (every message they
     * sent, in every room of the tenant, rooms they left included), `reaction` lines (every reaction
     * of theirs), `upload` lines (their files' metadata, not the files: GET /v1/uploads/{id} has
     * those), `subscription` lines, then `block` lines (the users they block, as GET /v1/blocks
     * shows them).
     */
    async user(caller: AppCaller, userId: string): Promise<ReadableStream<Uint8Array>> {
      keyOnly(caller, 'exporting a user')
      checkUserId(userId)
      const tid = caller.tenant.tenant_id
      let afterRoom: string | null = ''
      let sent: SentByCursor | null | undefined
      let afterSub: string | null = ''
      let reacted: ReactionCursor | null | undefined
      let afterUpload: string | null = ''
      let afterBlock: string | null = ''
      return ndjson(
        phases(
          async () => {
            if (afterRoom === null) return null
            const rows = await store.exports.memberships(tid, userId, afterRoom, PAGE)
            afterRoom = rows.length < PAGE ? null : rows[rows.length - 1].room_id
            return lines(
              rows.map((m) => ({
                type: 'membership',
                membership: { room_id: m.room_id, role: m.role, joined_at: m.joined_at, last_ack: m.last_ack, last_read: m.last_read },
              })),
            )
          },
          async () => {
            if (sent === null) return null
            const page = await store.exports.sentBy(tid, userId, sent ?? null, PAGE)
            sent = page.cursor
            return messageLines(page.rows)
          },
          async () => {
            if (reacted === null) return null
            const rows = await store.exports.reactions(tid, userId, reacted ?? null, PAGE)
            const last = rows[rows.length - 1]
            reacted = rows.length < PAGE ? null : [last.room_id, last.seq, last.key]
            return lines(rows.map((r) => ({ type: 'reaction', reaction: { room_id: r.room_id, message_id: r.message_id, user_id: userId, key: r.key, created_at: r.created_at } })))
          },
          async () => {
            if (afterUpload === null) return null
            const rows = await store.exports.uploads(tid, userId, afterUpload, PAGE)
            afterUpload = rows.length < PAGE ? null : rows[rows.length - 1].upload_id
            return lines(rows.map((u) => ({ type: 'upload', upload: toUpload(u) })))
          },
          async () => {
            if (afterSub === null) return null
            const rows = await store.exports.subscriptions(tid, userId, afterSub, PAGE)
            afterSub = rows.length < PAGE ? null : rows[rows.length - 1].subscription_id
            return lines(
              rows.map((s) => ({
                type: 'subscription',
                subscription: { subscription_id: s.subscription_id, topic: s.topic, endpoint: s.endpoint, created_at: s.created_at },
              })),
            )
          },
          async () => {
            if (afterBlock === null) return null
            const rows = await store.exports.blocks(tid, userId, afterBlock, PAGE)
            afterBlock = rows.length < PAGE ? null : rows[rows.length - 1].blocked_id
            return lines(rows.map((b) => ({ type: 'block', block: toBlock(b) })))
          },
        ),
      )
    },
  }
}

export type ExportService = ReturnType<typeof createExportService>
