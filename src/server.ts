// startServer: the composition root's outer half. Opens the infrastructure (store, broker, metrics),
// hands it to createCore (every service and event subscriber) and createApp (every route), then
// runs the lifecycle: listen, start the background tasks, and stop it all in order (SPEC §6).

import type { Server } from 'bun'
import type { Database } from 'bun:sqlite'
import { systemClock, type Clock } from './clock'
import type { Config } from './config'
import { createLogger, type Logger } from './log'
import { openStore } from './db/open-store'
import { openBroker } from './broker/open-broker'
import { createCore } from './core'
import { createApp } from './app'
import type { RequestStates } from './request-state'
import { createHealth } from './health'
import { createStorageHealth, watchStorage } from './storage-health'
import { createGateway } from './ws/gateway'
import type { Redelivery } from './services/redelivery'
import { createAppMetrics } from './metrics'
import { createTenantSeries } from './metrics-series'
import { instrumentBroker, instrumentStore } from './instrument'
import { startWorkers } from './workers/start'
import type { Scheduler } from './workers/scheduler'
import type { BackgroundTask } from './tasks'
import type { Store } from './db/types'
import { toMessage } from './db/rows'
import { messageFrame, serializeFrame } from './schemas/server-frames'
import type { UploadSweep } from './services/upload-sweep'
import { openBlobStore } from './blobs/open'
import { createSearchClient } from './workers/search-client'
import { clearSearchIndex } from './db/sqlite/search-file'
import { createChangesPruner } from './db/sqlite/search-changes'
import type { LifecycleSettings } from './workers/lifecycle-loop'
import type { RunnerSettings } from './workers/lifecycle-runner'

/** Below this a master key draws a warning at start (issue 13: safe defaults). */
const MIN_MASTER_KEY_LENGTH = 32

export interface Overrides {
  log: Logger
  clock: Clock
  /** Typing indicator lifetime without a refresh (SPEC §5: 6 s); tests shorten it. */
  typingTimeoutMs: number
  /** How often open token sockets are checked against their exp (ws/gateway.ts; default 1 s). */
  tokenExpirySweepMs: number
  /** Slices of connect-time sync per turn of the event loop (ws/turn-budget.ts; default 32). */
  connectStepsPerTurn: number
  /** Data lifecycle knobs (workers/lifecycle-loop.ts, lifecycle-runner.ts): batch size, pacing, retention pass interval. */
  lifecycle: Partial<LifecycleSettings & RunnerSettings>
  /** Bun's HTTP idle timeout in seconds (its default: 10); tests lower it to outlast it cheaply. */
  httpIdleTimeoutS: number
  /** The backup copy (default: VACUUM INTO in a Worker thread); tests slow it down. */
  copyBackup: (source: string, target: string) => Promise<number>
}

export interface ServerHandle {
  url: URL
  port: number
  /** Graceful shutdown (SPEC §6); resolves when the database is closed. */
  stop(reason?: string): Promise<void>
  /** In-process handles for tests and operators (null workers with a :memory: database). */
  workers: Scheduler | null
  redelivery: Redelivery
  /**
   * The main thread's SQLite write connection (null on PostgreSQL). In-process only (never
   * reachable over the network): the storage-fault tests use it to set `max_page_count` /
   * `query_only` and simulate a full or read-only database on the very connection the server writes with.
   */
  db: Database | null
  /**
   * The store the services call. In-process only, like `db`: the connect-cost tests count the store
   * calls one WebSocket connect makes (they must not grow with the user's number of rooms).
   */
  store: Store
  /** The upload clean-up (orphans, files of deleted messages): tests run a sweep with `tick()`. */
  uploadSweep: UploadSweep
}

export async function startServer(config: Config, o: Partial<Overrides> = {}): Promise<ServerHandle> {
  const log = o.log ?? createLogger(config.LOG_LEVEL)
  const clock = o.clock ?? systemClock

  // Infrastructure.
  const opened = await openStore(config)
  if (opened.migrationsApplied.length) log.info('migrations applied', { applied: opened.migrationsApplied })
  const metrics = createAppMetrics(createTenantSeries({ clock }))
  // The store the services see: group commits timed, storage faults reported to /health.
  const storage = createStorageHealth({ clock, log })
  const store = watchStorage(instrumentStore(opened.store, metrics), storage)
  const started = await opened.startEpoch()
  const epoch = started.epoch
  if (started.changed) log.info('new epoch', { epoch, reason: started.reason })
  // One instance: Bun topics and in-memory presence and limits; REDIS_URL: shared through Redis.
  // Shared storage: each room's live frames go out in seq order whichever instance committed them.
  const readAfter = async (roomId: string, afterSeq: number, limit: number) =>
    (await store.messages.after(roomId, afterSeq, limit)).map((row) => ({ seq: row.seq, data: serializeFrame(messageFrame('message', toMessage(row))) }))
  const cluster = await openBroker(config, log, clock, {
    order:
      opened.kind === 'postgres'
        ? { readAfter, onWait: (ms) => metrics.orderWait.observe(ms / 1000), onRead: () => metrics.orderReads.inc() }
        : undefined,
  })
  const broker = instrumentBroker(cluster.broker, metrics) // the one broker: services, routes and sockets

  // The delivery worker starts after listen (and never with :memory:); until then a wake-up is a no-op.
  let workers: Scheduler | null = null
  // Search (SPEC §13): on a SQLite file the search worker keeps the index and answers; PostgreSQL and
  // :memory: search in the store. With SEARCH_ENABLED off nothing keeps an index, so its file goes.
  const sqliteFile = opened.sqlite && config.databasePath !== ':memory:' ? opened.sqlite : null
  const searchWorker =
    sqliteFile && config.SEARCH_ENABLED
      ? createSearchClient({ post: (m) => workers?.post('search', m), running: () => workers?.status().search?.state === 'running' })
      : null
  if (sqliteFile && !config.SEARCH_ENABLED) clearSearchIndex(sqliteFile, config.databasePath)
  const core = createCore({
    store,
    clock,
    config,
    log,
    metrics,
    broker,
    connectedAnywhere: cluster.connectedAnywhere,
    announcer: cluster.announcer,
    limiter: cluster.limiter,
    shared: cluster.shared,
    wakeDelivery: () => workers?.post('delivery', { type: 'wake' }),
    wakeCheckpoint: () => workers?.post('checkpoint', { type: 'wake' }),
    blobs: openBlobStore(config),
    searchWorker,
    lifecycle: o.lifecycle,
    copyBackup: o.copyBackup,
  })
  const { services } = core
  cluster.shareTenantChanges(services.tenant)
  cluster.shareUserChanges(services.moderation)

  // Transports.
  const states: RequestStates = new WeakMap()
  const health = createHealth({ config, store, storage, broker, epoch, clock, workers: () => workers?.status() ?? null, cluster: cluster.health })
  const gateway = createGateway({
    config,
    log,
    clock,
    services,
    broker,
    states,
    epoch,
    onOpen: () => metrics.wsOpened.inc(),
    typingTimeoutMs: o.typingTimeoutMs,
    tokenExpirySweepMs: o.tokenExpirySweepMs,
    connectStepsPerTurn: o.connectStepsPerTurn,
  })
  core.events.subscribe(gateway.subscriber)
  metrics.registry.gauge('chatapi_ws_connections', 'Live WebSocket connections', () => health.connections())
  metrics.registry.gauge('chatapi_ws_sync_waiting', 'Slices of connect-time sync waiting for a turn of the event loop (a reconnect storm)', () => gateway.syncWaiting())
  metrics.registry.gauge('chatapi_delivery_queue_depth', 'Pending webhook and endpoint deliveries', () => services.delivery.queueDepth())
  metrics.registry.gauge('chatapi_dead_letters', 'Dead letters waiting for an operator', () => store.deadLetters.count())
  metrics.registry.gauge('chatapi_wal_bytes', 'Size of the SQLite WAL file', () => store.walBytes())
  const app = createApp({
    config,
    log,
    services,
    broker,
    states,
    health,
    gateway,
    renderMetrics: metrics.registry.render,
    stats: metrics.series,
    onRequestDone(method, route, status, seconds, tenantId) {
      metrics.httpRequests.inc(tenantId, { method, route, status: String(status) })
      metrics.httpLatency.observe(seconds, { method, route })
    },
  })

  if (!config.MASTER_API_KEY) log.warn('MASTER_API_KEY is not set: the admin API answers 403 to every call')
  // It opens every tenant: a short one is accepted (existing deployments keep working) but flagged.
  else if (config.MASTER_API_KEY.length < MIN_MASTER_KEY_LENGTH)
    log.warn(`MASTER_API_KEY is shorter than ${MIN_MASTER_KEY_LENGTH} characters: use a random one (openssl rand -hex 24)`, { length: config.MASTER_API_KEY.length })

  try {
    app.listen({
      hostname: config.host,
      port: config.port,
      // Elysia defaults to SO_REUSEPORT, which would let a second instance share the port (and the
      // database file) silently; one process per address, so a taken port fails loudly.
      reusePort: false,
      ...(o.httpIdleTimeoutS !== undefined && { idleTimeout: o.httpIdleTimeoutS }),
      // Bun's own limit is only a backstop that answers a bare 413: the app refuses a declared
      // Content-Length over MAX_BODY_BYTES before reading and counts chunked bytes as they arrive,
      // so this can sit far above it and every 413 carries the envelope and X-Request-Id.
      // Uploads (SPEC §12) check their own limit as they stream, so this only has to let the largest through.
      maxRequestBodySize: Math.max(256 * 1024 * 1024, config.MAX_BODY_BYTES * 4, config.MAX_UPLOAD_BYTES + 1024 * 1024),
      websocket: gateway.websocket(),
    })
  } catch (e) {
    // e.g. EADDRINUSE: release the database before the error reaches the CLI (one line, exit 1).
    await cluster.close()
    await opened.close(false)
    throw new Error(`cannot listen on ${config.host}:${config.port}: ${(e as Error).message}`)
  }
  const server = app.server as Server<unknown>
  broker.attach(server)

  // Background tasks, started in this order and stopped in the reverse one.
  const tasks: BackgroundTask[] = [gateway.timers]
  // Workers need their own connections to the same database: none with :memory: (health shows them stopped).
  if (config.databasePath !== ':memory:')
    tasks.push({
      name: 'worker threads',
      async start() {
        const search = searchWorker && sqliteFile ? { client: searchWorker, prune: createChangesPruner(sqliteFile).upTo } : null
        workers = startWorkers({ config, log, db: opened.sqlite, delivery: services.delivery, metrics, search })
        if (!(await workers.ready())) log.warn('workers not ready at start', { workers: workers.status() })
      },
      stop: () => workers?.stop(Math.max(100, config.SHUTDOWN_DRAIN_TIMEOUT_MS / 2)),
    })
  if (opened.kind === 'postgres' && config.UPLOAD_STORAGE === 'local')
    log.warn('UPLOAD_STORAGE=local with a PostgreSQL database: every instance must see the same UPLOAD_DIR (a shared volume), or use UPLOAD_STORAGE=s3', { upload_dir: config.UPLOAD_DIR })
  tasks.push(...core.tasks)
  for (const t of tasks) await t.start()
  if (config.ALLOW_HTTP_WEBHOOKS) log.warn('ALLOW_HTTP_WEBHOOKS is set: webhooks and endpoints may use http and reach private addresses (local testing only)')
  log.info('listening', { url: server.url.href, version: config.version, database: opened.kind, shared: cluster.shared })

  let stopping: Promise<void> | null = null
  const stop = (reason = 'stop') =>
    (stopping ??= (async () => {
      log.info('shutting down', { reason })
      health.setDraining()
      const deadline = new Promise<void>((r) => setTimeout(r, config.SHUTDOWN_DRAIN_TIMEOUT_MS).unref())
      await Promise.race([gateway.shutdown(1000), deadline])
      await Promise.race([server.stop(false), deadline])
      server.stop(true)
      for (const t of [...tasks].reverse()) await t.stop()
      await cluster.close().catch((e) => log.warn('closing the broker failed', { error: e }))
      try {
        await opened.close(true) // final TRUNCATE checkpoint and clean-stop mark, then close
      } catch (e) {
        log.warn('final checkpoint failed', { error: e })
        await opened.close(false).catch(() => {})
      }
      log.info('stopped')
    })())

  return { url: server.url, port: server.port!, stop, workers, redelivery: services.redelivery, db: opened.sqlite, store, uploadSweep: services.uploadSweep }
}
