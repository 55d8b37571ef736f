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
import { createUploadService } from './upload'
import { createUploadSweep } from './upload-sweep'
import type { BlobStore } from '../blobs/types'
import { openBlobStore } from '../blobs/open'

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
  /** Where uploaded files live (default: the one UPLOAD_STORAGE names). */
  blobs?: BlobStore
}

export function createServices(infra: Infra) {
  // Shared by the send/history path (reads) and the membership service (evicts after a removal).
  const memberships = createMemberCache(infra.store, infra.cacheMemberships === false ? 0 : undefined)
  const blobs = infra.blobs ?? openBlobStore(infra.config)
  return {
    tenant: createTenantService(infra),
    chatroom: createChatroomService({ ...infra, memberships }),
    message: createMessageService({ ...infra, memberships }),
    receipt: createReceiptService(infra),
    realtime: createRealtimeService(infra),
    limiter: infra.limiter ?? createTenantLimiter(infra.clock),
    blobs,
    upload: createUploadService({ ...infra, blobs }),
    uploadSweep: createUploadSweep({ ...infra, blobs }),
  }
}

export type Services = ReturnType<typeof createServices>
