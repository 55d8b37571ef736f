// startServer: the composition root. The only place that creates things; linear, top to bottom.

import type { Server } from 'bun'
import { systemClock, type Clock } from './clock'
import type { Config } from './config'
import { createLogger, type Logger } from './log'
import { openSqlite } from './db/open'
import { runMigrations } from './db/migrate'
import { sqliteMigrations } from './db/migrations'
import { createSqliteStore } from './db/sqlite'
import { createLocalBroker } from './broker/local'
import { createServices } from './services'
import { createApp } from './app'
import type { RequestStates } from './http/context'
import { refuseTokens } from './http/plugins/auth'
import { createHealth } from './health'
import { randomBase62 } from './ids'
import { createGateway } from './ws/gateway'
import { presenceRoutes } from './http/routes/presence'
import type { Elysia } from 'elysia'

export interface Overrides {
  log: Logger
  clock: Clock
}

export interface ServerHandle {
  url: URL
  port: number
  /** Graceful shutdown (SPEC §6); resolves when the database is closed. */
  stop(reason?: string): Promise<void>
}

export async function startServer(config: Config, o: Partial<Overrides> = {}): Promise<ServerHandle> {
  const log = o.log ?? createLogger(config.LOG_LEVEL)
  const clock = o.clock ?? systemClock

  const db = openSqlite(config.databasePath, { synchronous: config.SQLITE_SYNCHRONOUS })
  const applied = runMigrations(db, sqliteMigrations)
  if (applied.length) log.info('migrations applied', { applied })
  const store = createSqliteStore(db)
  const epoch = store.meta.get('epoch') ?? (store.meta.set('epoch', randomBase62(12)), store.meta.get('epoch')!)

  const broker = createLocalBroker(clock, config.PRESENCE_GRACE_MS)
  const services = createServices({ store, clock, config, log, broker, presence: broker })
  const states: RequestStates = new WeakMap()
  const health = createHealth({ config, store, broker, epoch, clock })

  const gateway = createGateway({ config, log, clock, services, broker, states, epoch })
  const routeDeps = { config, services, broker, presence: broker, states }
  const app = createApp({
    ...routeDeps,
    log,
    health,
    verifyToken: refuseTokens,
    extensions: [(a) => a.use(presenceRoutes(routeDeps)) as unknown as Elysia, gateway.mount],
  })

  if (!config.MASTER_API_KEY) log.warn('MASTER_API_KEY is not set: the admin API answers 403 to every call')

  app.listen({
    hostname: config.host,
    port: config.port,
    // Bun's own limit is only a backstop: the app counts body bytes itself to answer 413 with the envelope.
    maxRequestBodySize: config.MAX_BODY_BYTES * 4,
    websocket: gateway.websocketOptions(),
  })
  const server = app.server as Server<unknown>
  broker.attach(server)
  gateway.start()
  log.info('listening', { url: server.url.href, version: config.version, database: config.databasePath })

  let stopping: Promise<void> | null = null
  const stop = (reason = 'stop') =>
    (stopping ??= (async () => {
      log.info('shutting down', { reason })
      health.setDraining()
      const deadline = new Promise<void>((r) => setTimeout(r, config.SHUTDOWN_DRAIN_TIMEOUT_MS).unref())
      await Promise.race([gateway.shutdown(1000), deadline])
      await Promise.race([server.stop(false), deadline])
      server.stop(true)
      try {
        db.exec('PRAGMA wal_checkpoint(TRUNCATE)')
      } catch (e) {
        log.warn('final checkpoint failed', { error: e })
      }
      db.close()
      log.info('stopped')
    })())

  return { url: server.url, port: server.port!, stop }
}
