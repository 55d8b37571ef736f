// Exports (SPEC §15): a room's or a user's data as application/x-ndjson, streamed with constant
// memory at any size. The stream is pulled: a page is read from the store only when the client has
// taken the previous one (highWaterMark 0), so memory holds one page whatever the export's size,
// and a slow reader slows the reads instead of filling a buffer.

import type { Store } from '../db/types'
import type { SentByCursor } from '../db/sqlite/exports'
import { toMessage } from '../db/sqlite/messages'
import { toRoom } from '../db/sqlite/rooms'
import { notFound } from '../errors'
import type { Member } from '../schemas/room'
import { roomFor } from './access'
import { asUser, type AppCaller } from './actor'
import { checkUserId, keyOnly } from './lifecycle'

/** Rows read per page of an export. */
const PAGE = 500

type Line = Record<string, unknown>
/** Produces the next lines, or null when the export is complete. */
type Pager = () => Promise<Line[] | null>

const encoder = new TextEncoder()

/** A pull stream of NDJSON lines from `next`, one page per pull. */
export function ndjson(next: Pager): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        // Skip empty pages (a scan window with no match) without handing the client an empty chunk.
        for (;;) {
          const lines = await next()
          if (lines === null) return controller.close()
          if (!lines.length) continue
          let text = ''
          for (const l of lines) text += JSON.stringify(l) + '\n'
          return controller.enqueue(encoder.encode(text))
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
          async () => (sentRoom ? null : ((sentRoom = true), [{ type: 'room', room: toRoom(room) }])),
          async () => {
            if (members === null) return null
            const page = await store.members.page(roomId, PAGE, members)
            members = page.next_cursor
            const member = (m: (typeof page.rows)[number]): Member => ({
              user_id: m.user_id,
              role: m.role,
              joined_at: m.joined_at,
              last_ack: m.last_ack,
              last_read: m.last_read,
              online: null, // stored data, not live state
            })
            return page.rows.map((m) => ({ type: 'member', member: member(m) }))
          },
          async () => {
            if (messagesDone) return null
            const rows = await store.messages.after(roomId, afterSeq, PAGE)
            if (rows.length < PAGE) messagesDone = true
            if (rows.length) afterSeq = rows[rows.length - 1].seq
            return rows.map((r) => ({ type: 'message', message: toMessage(r) }))
          },
        ),
      )
    },

    /**
     * GET /v1/users/{user_id}/export: `membership` lines, then `message` lines (every message they
     * sent, in every room of the tenant, rooms they left included), then `subscription` lines.
     */
    async user(caller: AppCaller, userId: string): Promise<ReadableStream<Uint8Array>> {
      keyOnly(caller, 'exporting a user')
      checkUserId(userId)
      const tid = caller.tenant.tenant_id
      let afterRoom: string | null = ''
      let sent: SentByCursor | null | undefined
      let afterSub: string | null = ''
      return ndjson(
        phases(
          async () => {
            if (afterRoom === null) return null
            const rows = await store.exports.memberships(tid, userId, afterRoom, PAGE)
            afterRoom = rows.length < PAGE ? null : rows[rows.length - 1].room_id
            return rows.map((m) => ({
              type: 'membership',
              membership: { room_id: m.room_id, role: m.role, joined_at: m.joined_at, last_ack: m.last_ack, last_read: m.last_read },
            }))
          },
          async () => {
            if (sent === null) return null
            const page = await store.exports.sentBy(tid, userId, sent ?? null, PAGE)
            sent = page.cursor
            return page.rows.map((r) => ({ type: 'message', message: toMessage(r) }))
          },
          async () => {
            if (afterSub === null) return null
            const rows = await store.exports.subscriptions(tid, userId, afterSub, PAGE)
            afterSub = rows.length < PAGE ? null : rows[rows.length - 1].subscription_id
            return rows.map((s) => ({
              type: 'subscription',
              subscription: { subscription_id: s.subscription_id, topic: s.topic, endpoint: s.endpoint, created_at: s.created_at },
            }))
          },
        ),
      )
    },
  }
}

export type ExportService = ReturnType<typeof createExportService>
