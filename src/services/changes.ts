// The room change feed (SPEC §11.1): REST pages of changed messages and the pages a WebSocket
// `sync … after_rev` streams.

import type { Store } from '../db/types'
import { changeOf, toMessage } from '../db/rows'
import type { ChangesPage, ChangesQuery, MessageChange } from '../schemas/change'
import type { Message } from '../schemas/message'
import type { Actor } from './actor'
import { parseLimit, parseSeq } from './input'
import { roomFor, type MemberCache } from './access'

type Deps = { store: Store; memberships: MemberCache }

export function createChangeService({ store, memberships }: Deps) {
  return {
    /**
     * GET /v1/rooms/{room_id}/changes: each message changed after `after_rev` once, in its current
     * state, ascending rev. Membership through the cache, like a history page.
     */
    async page(actor: Actor, roomId: string, q: ChangesQuery): Promise<ChangesPage> {
      const afterRev = parseSeq('after_rev', q.after_rev) ?? 0
      const limit = parseLimit(q.limit)
      await memberships.requireMember(actor, roomId)
      const { rows, last_rev } = await store.messages.changes(roomId, afterRev, limit + 1)
      return { messages: rows.slice(0, limit).map(toMessage), last_rev, has_more: rows.length > limit }
    },

    /**
     * How many changes a sync after `afterRev` may stream, for its cost: the room's changes since
     * then (an upper bound of the messages sent), at most `max`. Member access checked.
     */
    async syncBacklog(actor: Actor, roomId: string, afterRev: number, max: number): Promise<number> {
      const { room } = await roomFor(store, actor, roomId, 'member')
      return Math.min(max, Math.max(0, room.last_rev - afterRev))
    },

    /** Up to `limit` changed messages after `afterRev` with the change that set each rev (member access checked). */
    async syncPage(actor: Actor, roomId: string, afterRev: number, limit: number): Promise<{ message: Message; change: MessageChange }[]> {
      await roomFor(store, actor, roomId, 'member')
      const { rows } = await store.messages.changes(roomId, afterRev, limit)
      return rows.map((r) => ({ message: toMessage(r), change: changeOf(r)! }))
    },
  }
}

export type ChangeService = ReturnType<typeof createChangeService>
