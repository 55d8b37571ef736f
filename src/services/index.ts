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
import { createTenantLimiter, type TenantLimiter } from '../broker/rate-limiter'

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
  return {
    tenant: createTenantService(infra),
    chatroom: createChatroomService(infra),
    message: createMessageService(infra),
    receipt: createReceiptService(infra),
    realtime: createRealtimeService(infra),
    limiter: infra.limiter ?? createTenantLimiter(infra.clock),
  }
}

export type Services = ReturnType<typeof createServices>
