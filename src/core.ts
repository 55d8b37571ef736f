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
import { createLifecycleLoop, LIFECYCLE_DEFAULTS, type LifecycleSettings } from './workers/lifecycle-loop'
import { RUNNER_DEFAULTS, startLifecycleRunner, type LifecycleRunner, type RunnerSettings } from './workers/lifecycle-runner'

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
  /** Asks the checkpoint worker for a checkpoint now (SQLite; a no-op otherwise or while none runs). */
  wakeCheckpoint?: () => void
  /** Where uploaded files live (default: the store UPLOAD_STORAGE names; making it does no I/O). */
  blobs?: BlobStore
  /** The search worker (SQLite with a database file and SEARCH_ENABLED); null: the store searches itself. */
  searchWorker?: SearchClient | null
  /** Data lifecycle knobs (tests shorten the retention pass interval). */
  lifecycle?: Partial<LifecycleSettings & RunnerSettings>
  /** The backup copy (default: VACUUM INTO in a Worker thread, workers/backup.ts). */
  copyBackup?: (source: string, target: string) => Promise<number>
}

export function createCore(infra: CoreInfra) {
  const { broker, log, metrics } = infra
  const events = createEventBus(log)
  // The lifecycle runner starts with the other tasks; until then a job waits for it (a wake is a no-op).
  let runner: LifecycleRunner | null = null
  const services = createServices({
    ...infra,
    events,
    presence: broker,
    live: broker,
    cacheMemberships: !infra.shared,
    copyBackup: infra.copyBackup ?? backupInWorker,
    blobs: infra.blobs ?? openBlobStore(infra.config),
    searchBackend: infra.searchWorker ?? undefined,
    wakeLifecycle: () => runner?.wake(),
  })

  // After a commit, in this order (the WebSocket layer adds itself last, in src/server.ts):
  events.subscribe(realtimeFanout(broker)) // frames to sockets here and, through the broker, elsewhere
  events.subscribe(redeliveryBookkeeping(services.redelivery)) // watch the room until members ack
  events.subscribe(webhookEvents(services.webhooks)) // tenant webhooks into the outbox
  events.subscribe(tokenCacheEviction(services.tokens)) // a changed tenant's secret is read afresh
  events.subscribe(eventMetrics(metrics))
  if (infra.searchWorker) events.subscribe(searchIndexing(infra.searchWorker)) // rooms with new rows, to the search index
  // An erasure removed the user's bans, mutes and blocks: the moderation caches forget them (SPEC §15).
  events.subscribe({ name: 'moderation caches', handlers: { 'user.erased': (e) => services.moderation.userErased(e.tenantId, e.userId) } })
  // A new retention_days applies at once, not at the next pass (SPEC §15).
  events.subscribe({ name: 'retention', handlers: { 'tenant.changed': (e) => void (e.why === 'config' && runner?.retentionChanged()) } })

  // Data lifecycle (SPEC §15): job steps and retention passes, paced on this thread.
  const settings = { ...LIFECYCLE_DEFAULTS, ...RUNNER_DEFAULTS, ...infra.lifecycle }
  const lifecycleLoop = createLifecycleLoop({
    store: infra.store,
    clock: infra.clock,
    log,
    events,
    memberships: services.memberships,
    effective: (c) => services.tenant.effective(c),
    afterWrite: infra.wakeCheckpoint,
    settings,
  })

  const tasks: BackgroundTask[] = [
    redeliverySweeper({ redelivery: services.redelivery, config: infra.config, log, onRedelivered: (n) => metrics.redeliveries.inc({}, n) }),
    uploadSweeper({ sweep: services.uploadSweep, config: infra.config, log }),
    {
      name: 'data lifecycle',
      start: () => void (runner = startLifecycleRunner(lifecycleLoop, log, settings)),
      // The step in flight ends; a job resumes from its last committed step at the next start.
      stop: () => runner?.stop(),
    },
  ]
  return { events, services, tasks }
}

export type Core = ReturnType<typeof createCore>
