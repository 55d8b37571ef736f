// createServices: builds every service once from the infrastructure the composition root made.

import type { Clock } from '../clock'
import type { Config } from '../config'
import type { Store } from '../db/types'
import type { Logger } from '../log'
import type { Broker, PresenceStore } from '../broker/types'
import { createChatroomService } from './chatroom'
import { createMessageService } from './message'
import { createReceiptService } from './receipt'
import { createRealtimeService } from './realtime'
import { createTenantService } from './tenant'
import { createTenantLimiter, type TenantLimiter } from './rate-limiter'
import { createMemberCache } from './access'
import { createChangeService } from './changes'
import { createReactionService } from './reaction'
import { createPinService } from './pin'
import { createMentionService } from './mention'

export interface Infra {
  store: Store
  clock: Clock
  config: Config
  log: Logger
  broker: Broker
  presence: PresenceStore
  /** The tenant bucket; in-memory unless shared (Redis) across instances. */
  limiter?: TenantLimiter
  /** Off with shared storage: a membership removed on another instance must not stay cached here. */
  cacheMemberships?: boolean
}

export function createServices(infra: Infra) {
  // Shared by the send/history path (reads) and the membership service (evicts after a removal).
  const memberships = createMemberCache(infra.store, infra.cacheMemberships === false ? 0 : undefined)
  return {
    tenant: createTenantService(infra),
    chatroom: createChatroomService({ ...infra, memberships }),
    message: createMessageService({ ...infra, memberships }),
    changes: createChangeService({ ...infra, memberships }),
    reaction: createReactionService(infra),
    pin: createPinService({ ...infra, memberships }),
    mention: createMentionService(infra),
    receipt: createReceiptService(infra),
    realtime: createRealtimeService(infra),
    limiter: infra.limiter ?? createTenantLimiter(infra.clock),
  }
}

export type Services = ReturnType<typeof createServices>
