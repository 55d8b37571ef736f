// createServices: every service, built once over one store and one event bus. Nothing here listens
// to the events: src/core.ts registers the subscribers, so "what happens after a commit" is one list.

import type { Clock } from '../clock'
import type { Config } from '../config'
import type { Store } from '../db/types'
import type { Logger } from '../log'
import type { PresenceAnnouncer, PresenceStore } from '../broker/types'
import { createTenantLimiter, type TenantLimiter } from '../broker/rate-limiter'
import { createBackupService } from './backup'
import { createChatroomService } from './chatroom'
import { createDeliveryService } from './delivery'
import type { EventBus } from './events'
import { createMessageService } from './message'
import { createNotificationService } from './notification'
import { createOutbox } from './outbox'
import { createReceiptService } from './receipt'
import { createRealtimeService } from './realtime'
import { createRedelivery, type LiveUsers } from './redelivery'
import { createTenantService } from './tenant'
import { createTokenService } from './token'
import { createWebhookService } from './webhook'
import { createMemberCache } from './access'
import { createAuditLog } from './audit'
import { createBlockService } from './blocks'
import { createBlocklistCache } from './blocklist'
import { createModerationService } from './moderation'
import { createSendPolicy, createTenantBanCache } from './moderation-cache'
import { createOutboundFetch, type OutboundFetch } from './outbound-fetch'
import { createPresendHook } from './presend'
import { createReportService } from './reports'
import { createChangeService } from './changes'
import { createReactionService } from './reaction'
import { createPinService } from './pin'
import { createMentionService } from './mention'
import { createUploadService } from './upload'
import { createUploadSweep } from './upload-sweep'
import type { BlobStore } from '../blobs/types'
import { createSearchService, type SearchBackend } from './search'
import { createLifecycleService } from './lifecycle'
import { createExportService } from './export'

export interface ServiceInfra {
  store: Store
  clock: Clock
  config: Config
  log: Logger
  events: EventBus
  presence: PresenceStore
  /** Who announces a user's presence changes (one instance, or one of the cluster). */
  announcer: PresenceAnnouncer
  /** This instance's live sockets (redelivery writes to them directly). */
  live: LiveUsers
  /** Whether a user has a live connection on any instance (offline_user_ids of message webhooks). */
  connectedAnywhere: (tenantId: string, userId: string) => boolean | Promise<boolean>
  /** The tenant bucket; in memory unless shared (Redis) across instances. */
  limiter?: TenantLimiter
  /** Off with shared storage: a membership removed on another instance must not stay cached here. */
  cacheMemberships?: boolean
  /** Nudges the delivery worker after outbox rows are committed (a no-op while none runs). */
  wakeDelivery: () => void
  /** Copies the SQLite database file off the main thread (POST /v1/admin/backup). */
  copyBackup: (source: string, target: string) => Promise<number>
  /** Where uploaded files live (UPLOAD_STORAGE: a local directory or an S3 bucket). */
  blobs: BlobStore
  /** Outbound HTTP for the pre-send hook (default: the checked, pinned fetch of outbound-fetch.ts). */
  outboundFetch?: OutboundFetch
  /** Where searches are answered: the search worker (SQLite with a file), else the store itself. */
  searchBackend?: SearchBackend
  /** Tells the lifecycle runner (src/core.ts) that a job is waiting (a no-op before it runs). */
  wakeLifecycle: () => void
}

export function createServices(infra: ServiceInfra) {
  const { store, clock, config, log, events } = infra
  const audit = createAuditLog({ store, clock })
  const tenant = createTenantService({ store, clock, config, events, audit })
  const outbox = createOutbox({ store, clock, log, wake: infra.wakeDelivery })
  const redelivery = createRedelivery({ store, clock, config, live: infra.live })
  // Shared by the send/history path (reads) and the membership service (evicts after a removal).
  const memberships = createMemberCache(store, infra.cacheMemberships === false ? 0 : undefined)
  // Send checks cache like memberships (off with shared storage); tenant bans cache everywhere, since
  // a ban or lift is announced to every instance (moderation.shareChanges).
  const policy = createSendPolicy(store, clock, infra.cacheMemberships === false ? 0 : undefined)
  const moderation = createModerationService({ store, clock, events, audit, memberships, policy, bans: createTenantBanCache(store, clock) })
  const presend = createPresendHook({ fetch: infra.outboundFetch ?? createOutboundFetch({ allowPrivate: config.ALLOW_HTTP_WEBHOOKS }), clock, log })
  const message = createMessageService({ store, clock, events, log, config, memberships, policy, presend, blocklist: createBlocklistCache() })
  return {
    tenant,
    audit,
    moderation,
    blocks: createBlockService({ store, clock, audit, policy }),
    reports: createReportService({ store, clock, events, audit, moderation, messages: message }),
    chatroom: createChatroomService({ store, clock, events, presence: infra.presence, memberships, policy, audit }),
    message,
    changes: createChangeService({ store, memberships }),
    reaction: createReactionService({ store, clock, events, log, config, memberships, policy }),
    pin: createPinService({ store, clock, events, memberships }),
    mention: createMentionService({ store }),
    receipt: createReceiptService({ store, events, config }),
    realtime: createRealtimeService({ store, config, events, presence: infra.presence, announcer: infra.announcer }),
    limiter: infra.limiter ?? createTenantLimiter(clock),
    tokens: createTokenService({ tenants: tenant, clock }),
    notifications: createNotificationService({ store, clock, config, events, outbox }),
    webhooks: createWebhookService({ store, clock, outbox, tenants: tenant, isConnected: infra.connectedAnywhere }),
    redelivery,
    delivery: createDeliveryService({ store, clock, config, redelivery, wake: infra.wakeDelivery, audit }),
    backups: createBackupService({ config, copy: infra.copyBackup, audit }),
    blobs: infra.blobs,
    upload: createUploadService({ store, clock, config, blobs: infra.blobs }),
    uploadSweep: createUploadSweep({ store, clock, config, log, blobs: infra.blobs }),
    search: createSearchService({ store, backend: infra.searchBackend ?? store.search, enabled: config.SEARCH_ENABLED }),
    lifecycle: createLifecycleService({ store, clock, events, tenants: tenant, memberships, audit, wake: infra.wakeLifecycle }),
    exports: createExportService({ store }),
    /** The send path's membership cache: the data lifecycle forgets erased users' memberships in it. */
    memberships,
  }
}

export type Services = ReturnType<typeof createServices>
