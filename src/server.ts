// startServer: the composition root. The only place that creates things; linear, top to bottom.

import type { Server } from 'bun'
import type { Database } from 'bun:sqlite'
import { systemClock, type Clock } from './clock'
import type { Config } from './config'
import { createLogger, type Logger } from './log'
import { openStore } from './db/open-store'
import { openBroker } from './broker/open-broker'
import { createServices } from './services'
import { createApp } from './app'
import type { RequestStates } from './http/context'
import { createHealth } from './health'
import { createStorageHealth, watchStorage } from './storage-health'
import { createGateway } from './ws/gateway'
import { presenceRoutes } from './http/routes/presence'
import type { Elysia } from 'elysia'
import { createOutbox } from './services/outbox'
import { createWebhookService, type WebhookService } from './services/webhook'
import { createNotificationService } from './services/notification'
import { createRedelivery, type Redelivery } from './services/redelivery'
import { createDeliveryService } from './services/delivery'
import { roomFrameConsumers, withEventTap, type RoomFrameListener } from './services/event-tap'
import { notificationsRoutes } from './http/routes/notifications'
import { adminDeadLettersRoutes } from './http/routes/admin-dead-letters'
import { tokensRoutes } from './http/routes/tokens'
import { demoRoutes } from './http/routes/demo'
import { createTokenService } from './services/token'
import { createAppMetrics } from './metrics'
import { instrumentBroker, instrumentStore } from './instrument'
import { metricsRoutes } from './http/routes/metrics'
import { adminBackupRoutes } from './http/routes/admin-backup'
import { startWorkers } from './workers/start'
import type { Scheduler } from './workers/scheduler'
import type { Store } from './db/types'
import { createSearchClient, type SearchClient } from './workers/search-client'
import { createSearchService, searchHints } from './services/search'
import { searchRoutes } from './http/routes/search'
import { clearSearchIndex } from './db/sqlite/search-file'

/** Below this a master key draws a warning at start (issue 13: safe defaults). */
const MIN_MASTER_KEY_LENGTH = 32

export interface Overrides {
  log: Logger
  clock: Clock
  /** How often open token sockets are checked against their exp (ws/gateway.ts; default 1 s). */
  tokenExpirySweepMs: number
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
}

export async function startServer(config: Config, o: Partial<Overrides> = {}): Promise<ServerHandle> {
  const log = o.log ?? createLogger(config.LOG_LEVEL)
  const clock = o.clock ?? systemClock

  const opened = await openStore(config)
  const { store, sqlite: db } = opened
  if (opened.migrationsApplied.length) log.info('migrations applied', { applied: opened.migrationsApplied })
  const metrics = createAppMetrics()
  instrumentStore(store, metrics)
  const storage = createStorageHealth({ clock, log })
  watchStorage(store, storage)
  const started = await opened.startEpoch()
  const epoch = started.epoch
  if (started.changed) log.info('new epoch', { epoch, reason: started.reason })

  // One instance: Bun topics and in-memory presence and limits; REDIS_URL: shared through Redis.
  const fanout = await openBroker(config, log, clock)
  const broker = fanout.broker
  // Services publish through a tap that also feeds room frames to webhooks and redelivery (bound below).
  let roomFrames: RoomFrameListener | null = null
  const publisher = withEventTap(instrumentBroker(broker, broker.subscriberCount, metrics), () => roomFrames)
  const services = createServices({
    store,
    clock,
    config,
    log,
    broker: publisher,
    presence: broker,
    limiter: fanout.limiter,
    cacheMemberships: !fanout.shared,
  })
  fanout.shareTenantChanges(services.tenant)
  const states: RequestStates = new WeakMap()
  const health = createHealth({ config, store, storage, broker, epoch, clock })

  // Durable delivery (SPEC §6): outbox → delivery worker; redelivery on this thread.
  let workers: Scheduler | null = null
  const wakeDelivery = () => workers?.post('delivery', { type: 'wake' })
  const outbox = createOutbox({ store, clock, log })
  outbox.onCommitted(wakeDelivery)
  const webhooks: WebhookService = createWebhookService({ store, clock, outbox, tenants: services.tenant, isConnected: fanout.connectedAnywhere })
  services.chatroom.onRoomCreated((tenantId, room) => webhooks.emit(tenantId, 'room.created', room))
  const notifications = createNotificationService({ store, clock, config, broker: publisher, outbox, webhooks })
  const redelivery = createRedelivery({ store, clock, config, live: broker })
  const delivery = createDeliveryService({ store, clock, config, redelivery, wake: wakeDelivery })
  // Search (SPEC §13): PostgreSQL and :memory: answer from the store; a SQLite file from the search worker.
  const searchWorker: SearchClient | null =
    config.SEARCH_ENABLED && db && config.databasePath !== ':memory:'
      ? createSearchClient({ post: (m) => workers?.post('search', m), running: () => workers?.status().search?.state === 'running' })
      : null
  if (!config.SEARCH_ENABLED && db && config.databasePath !== ':memory:') clearSearchIndex(db, config.databasePath) // stale from now on
  const search = createSearchService({ store, backend: searchWorker ?? store.search, enabled: config.SEARCH_ENABLED })
  const consumers = roomFrameConsumers(webhooks, redelivery)
  const hints = searchWorker ? searchHints(searchWorker) : null
  roomFrames = hints ? (tenantId, frame) => (consumers(tenantId, frame), hints(frame)) : consumers

  const tokens = createTokenService({ tenants: services.tenant, clock })

  const gateway = createGateway({ config, log, clock, services, notifications, broker, connectedAnywhere: fanout.connectedAnywhere, sharedStorage: opened.kind === 'postgres', states, epoch, onOpen: () => metrics.wsOpened.inc(), tokenExpirySweepMs: o.tokenExpirySweepMs })
  const routeDeps = { config, services, broker: publisher, presence: broker, states }
  metrics.registry.gauge('chatapi_ws_connections', 'Live WebSocket connections', () => health.connections())
  metrics.registry.gauge('chatapi_delivery_queue_depth', 'Pending webhook and endpoint deliveries', () => delivery.queueDepth())
  metrics.registry.gauge('chatapi_dead_letters', 'Dead letters waiting for an operator', () => store.deadLetters.count())
  metrics.registry.gauge('chatapi_wal_bytes', 'Size of the SQLite WAL file', () => store.walBytes())
  const app = createApp({
    ...routeDeps,
    log,
    health,
    verifyToken: tokens.verify,
    onRequestDone(method, route, status, seconds) {
      metrics.httpRequests.inc({ method, route, status: String(status) })
      metrics.httpLatency.observe(seconds, { method, route })
    },
    extensions: [
      (a) => a.use(presenceRoutes(routeDeps)) as unknown as Elysia,
      (a) => a.use(notificationsRoutes(routeDeps, notifications)) as unknown as Elysia,
      (a) => a.use(adminDeadLettersRoutes(delivery)) as unknown as Elysia,
      (a) => a.use(tokensRoutes(routeDeps, tokens)) as unknown as Elysia,
      (a) => a.use(metricsRoutes(metrics.registry.render)) as unknown as Elysia,
      (a) => a.use(adminBackupRoutes(config)) as unknown as Elysia,
      (a) => a.use(searchRoutes(routeDeps, search)) as unknown as Elysia,
      ...(config.DEMO_ENABLED ? [(a: Elysia) => a.use(demoRoutes()) as unknown as Elysia] : []),
      gateway.mount,
    ],
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
      // Bun's own limit is only a backstop that answers a bare 413: the app refuses a declared
      // Content-Length over MAX_BODY_BYTES before reading and counts chunked bytes as they arrive,
      // so this can sit far above it and every 413 carries the envelope and X-Request-Id.
      maxRequestBodySize: Math.max(256 * 1024 * 1024, config.MAX_BODY_BYTES * 4),
      websocket: gateway.websocket() as never,
    })
  } catch (e) {
    // e.g. EADDRINUSE: release the database before the error reaches the CLI (one line, exit 1).
    await fanout.close()
    await opened.close(false)
    throw new Error(`cannot listen on ${config.host}:${config.port}: ${(e as Error).message}`)
  }
  const server = app.server as Server<unknown>
  broker.attach(server)
  gateway.start()
  // Workers need their own connections to the same database: none with :memory: (health shows them stopped).
  if (config.databasePath !== ':memory:') {
    workers = startWorkers({ config, log, db, delivery, metrics, search: searchWorker })
    health.setWorkers(workers.status)
    if (!(await workers.ready())) log.warn('workers not ready at start', { workers: workers.status() })
  }
  if (config.ALLOW_HTTP_WEBHOOKS) log.warn('ALLOW_HTTP_WEBHOOKS is set: webhooks and endpoints may use http and reach private addresses (local testing only)')
  const sweepMs = Math.min(5000, Math.max(20, Math.floor(Math.min(config.ACK_TIMEOUT_MS, config.RETRY_BASE_MS) / 2)))
  // One sweep at a time; shutdown waits for the one in flight before closing the store.
  let sweeping: Promise<void> | null = null
  const sweeper = setInterval(() => {
    sweeping ??= redelivery
      .tick()
      .then((r) => void (r.redelivered && metrics.redeliveries.inc({}, r.redelivered)))
      .catch((e) => log.error('redelivery sweep failed', { code: (e as { code?: string }).code }))
      .finally(() => (sweeping = null))
  }, sweepMs)
  log.info('listening', { url: server.url.href, version: config.version, database: opened.kind, shared: fanout.shared })

  let stopping: Promise<void> | null = null
  const stop = (reason = 'stop') =>
    (stopping ??= (async () => {
      log.info('shutting down', { reason })
      health.setDraining()
      const deadline = new Promise<void>((r) => setTimeout(r, config.SHUTDOWN_DRAIN_TIMEOUT_MS).unref())
      await Promise.race([gateway.shutdown(1000), deadline])
      await Promise.race([server.stop(false), deadline])
      server.stop(true)
      clearInterval(sweeper)
      await sweeping
      await workers?.stop(Math.max(100, config.SHUTDOWN_DRAIN_TIMEOUT_MS / 2))
      await fanout.close().catch((e) => log.warn('closing the broker failed', { error: e }))
      try {
        await opened.close(true) // final TRUNCATE checkpoint and clean-stop mark, then close
      } catch (e) {
        log.warn('final checkpoint failed', { error: e })
        await opened.close(false).catch(() => {})
      }
      log.info('stopped')
    })())

  return { url: server.url, port: server.port!, stop, workers, redelivery, db, store }
}
