// createCore: the service graph and what happens after each commit, in one place. Builds the event
// bus and every service, then registers the event subscribers in dispatch order. No I/O of its own:
// the composition root (src/server.ts) opens the store and the broker and runs the lifecycle.

import type { Clock } from './clock'
import type { Config } from './config'
import type { Logger } from './log'
import type { Store } from './db/types'
import type { Broker, PresenceAnnouncer, PresenceStore } from './broker/types'
import type { TenantLimiter } from './broker/rate-limiter'
import type { AppMetrics } from './metrics'
import { eventMetrics } from './instrument'
import { createServices } from './services'
import { createEventBus } from './services/events'
import { realtimeFanout } from './services/fanout'
import { redeliveryBookkeeping, redeliverySweeper, type LiveUsers } from './services/redelivery'
import { tokenCacheEviction } from './services/token'
import { webhookEvents } from './services/webhook'
import type { BackgroundTask } from './tasks'
import { backupInWorker } from './workers/backup'
import type { BlobStore } from './blobs/types'
import { openBlobStore } from './blobs/open'
import { uploadSweeper } from './services/upload-sweep'
import type { SearchClient } from './workers/search-client'
import { searchIndexing } from './services/search'

export interface CoreInfra {
  store: Store
  clock: Clock
  config: Config
  log: Logger
  metrics: AppMetrics
  /** The one broker every layer publishes through (already counting fan-out for metrics). */
  broker: Broker & PresenceStore & LiveUsers
  connectedAnywhere: (tenantId: string, userId: string) => boolean | Promise<boolean>
  /** Decides presence announcements (for the cluster when shared). */
  announcer: PresenceAnnouncer
  limiter?: TenantLimiter
  /** Several instances share the storage (PostgreSQL with Redis). */
  shared: boolean
  wakeDelivery: () => void
  /** Where uploaded files live (default: the store UPLOAD_STORAGE names; making it does no I/O). */
  blobs?: BlobStore
  /** The search worker (SQLite with a database file and SEARCH_ENABLED); null: the store searches itself. */
  searchWorker?: SearchClient | null
}

export function createCore(infra: CoreInfra) {
  const { broker, log, metrics } = infra
  const events = createEventBus(log)
  const services = createServices({
    ...infra,
    events,
    presence: broker,
    live: broker,
    cacheMemberships: !infra.shared,
    copyBackup: backupInWorker,
    blobs: infra.blobs ?? openBlobStore(infra.config),
    searchBackend: infra.searchWorker ?? undefined,
  })

  // After a commit, in this order (the WebSocket layer adds itself last, in src/server.ts):
  events.subscribe(realtimeFanout(broker)) // frames to sockets here and, through the broker, elsewhere
  events.subscribe(redeliveryBookkeeping(services.redelivery)) // watch the room until members ack
  events.subscribe(webhookEvents(services.webhooks)) // tenant webhooks into the outbox
  events.subscribe(tokenCacheEviction(services.tokens)) // a changed tenant's secret is read afresh
  events.subscribe(eventMetrics(metrics))
  if (infra.searchWorker) events.subscribe(searchIndexing(infra.searchWorker)) // rooms with new rows, to the search index

  const tasks: BackgroundTask[] = [
    redeliverySweeper({ redelivery: services.redelivery, config: infra.config, log, onRedelivered: (n) => metrics.redeliveries.inc({}, n) }),
    uploadSweeper({ sweep: services.uploadSweep, config: infra.config, log }),
  ]
  return { events, services, tasks }
}

export type Core = ReturnType<typeof createCore>
