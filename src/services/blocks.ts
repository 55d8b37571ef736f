// User blocks (SPEC §14): a user lists the users they block. When either user of a pair blocks the
// other, neither opens a new dm with the other nor sends into their dm (chatroom.ts, moderation-cache.ts);
// groups and channels are unaffected (a client hides what it wants with the list).

import type { Clock } from '../clock'
import type { Store } from '../db/types'
import { toBlock } from '../db/moderation-rows'
import { invalid } from '../errors'
import type { Block } from '../schemas/moderation'
import type { Actor } from './actor'
import type { AuditLog } from './audit'
import { parseLimit } from './input'
import type { SendPolicy } from './moderation-cache'

type Deps = { store: Store; clock: Clock; audit: Pick<AuditLog, 'record'>; policy: Pick<SendPolicy, 'evictTenant'> }

export function createBlockService({ store, clock, audit, policy }: Deps) {
  const tid = (a: Actor) => a.tenant.tenant_id
  return {
    /** PUT /v1/blocks/{user_id}: 200 with the block, new or already there. */
    async block(actor: Actor, userId: string): Promise<Block> {
      if (userId === actor.userId) throw invalid('user_id', 'you cannot block yourself')
      let r
      try {
        r = await store.moderation.block({ tenant_id: tid(actor), user_id: actor.userId, blocked_id: userId, created_at: new Date(clock.now()).toISOString() })
      } finally {
        policy.evictTenant(tid(actor)) // dm send checks read the pair again
      }
      if (r.created) await audit.record({ tenant_id: tid(actor), actor: actor.userId, action: 'user.block', target: userId })
      return toBlock(r.row)
    },

    /** DELETE /v1/blocks/{user_id}: 204 whether or not there was one. */
    async unblock(actor: Actor, userId: string): Promise<void> {
      let removed: boolean
      try {
        removed = await store.moderation.unblock(tid(actor), actor.userId, userId)
      } finally {
        policy.evictTenant(tid(actor))
      }
      if (removed) await audit.record({ tenant_id: tid(actor), actor: actor.userId, action: 'user.unblock', target: userId })
    },

    async list(actor: Actor, q: { limit?: string; cursor?: string }) {
      const page = await store.moderation.blocksOf(tid(actor), actor.userId, parseLimit(q.limit), q.cursor)
      return { blocks: page.rows.map(toBlock), next_cursor: page.next_cursor }
    },

    /** True when either user blocks the other (a new dm between them is refused). */
    blockedEitherWay: (tenantId: string, a: string, b: string) => store.moderation.blockedEitherWay(tenantId, a, b),
  }
}

export type BlockService = ReturnType<typeof createBlockService>
