// Mentions (SPEC §11.5): the caller's mentions across the rooms they are still a member of.

import type { Store } from '../db/types'
import { toMessage } from '../db/rows'
import type { PageQuery } from '../schemas/common'
import type { MentionList } from '../schemas/mention'
import type { Actor } from './actor'
import { parseLimit } from './input'

export function createMentionService({ store }: { store: Store }) {
  return {
    /** GET /v1/mentions: newest first. */
    async list(actor: Actor, q: PageQuery): Promise<MentionList> {
      const limit = parseLimit(q.limit)
      const page = await store.mentions.listForUser(actor.tenant.tenant_id, actor.userId, limit, q.cursor)
      return { mentions: page.rows.map((r) => ({ room_id: r.room_id, message: toMessage(r) })), next_cursor: page.next_cursor }
    },
  }
}

export type MentionService = ReturnType<typeof createMentionService>
