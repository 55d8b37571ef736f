// Builds the worker specs (delivery, checkpoint) and starts them under the scheduler.

import type { Database } from 'bun:sqlite'
import type { Config } from '../config'
import type { Logger } from '../log'
import type { DeliveryService } from '../services/delivery'
import { createScheduler, type WorkerSpec } from './scheduler'
import type { AppMetrics } from '../metrics'
import type { SearchClient } from './search-client'

export function startWorkers(d: {
  config: Config
  log: Logger
  db: Database | null
  delivery: DeliveryService
  metrics: AppMetrics
  /**
   * Set on SQLite with a database file and SEARCH_ENABLED: the search worker answers through
   * `client`; `prune` deletes the search_changes rows it has applied.
   */
  search?: { client: SearchClient; prune(upTo: number): void } | null
}) {
  const { config, log } = d
  let truncating = false
  const base = { type: 'init' as const, dbPath: config.databasePath, postgresUrl: config.postgresUrl, logLevel: config.LOG_LEVEL }
  const specs: WorkerSpec[] = [
    {
      name: 'delivery',
      url: new URL('./delivery.worker.ts', import.meta.url),
      init: {
        ...base,
        settings: {
          circuitFailures: config.CIRCUIT_FAILURES,
          circuitOpenMs: config.CIRCUIT_OPEN_MS,
          allowPrivate: config.ALLOW_HTTP_WEBHOOKS,
          pollMs: Math.min(1000, config.RETRY_BASE_MS),
        },
      },
      onMessage(m) {
        if (m.type === 'results') {
          const failed = (e: unknown) => log.error('applying delivery results failed', { code: (e as { code?: string }).code }) // the rows are tried again
          try {
            void Promise.resolve(d.delivery.applyResults(m.results)).catch(failed) // one transaction per batch, not per attempt
          } catch (e) {
            failed(e)
          }
          for (const r of m.results) d.metrics.deliveryAttempts.inc(r.outcome === 'failed' ? (r.tenant_id ?? null) : null, { outcome: r.outcome })
        } else if (m.type === 'cleanup') void d.delivery.cleanup().catch((e) => log.warn('cleanup failed', { code: (e as { code?: string }).code }))
      },
    },
  ]
  // The WAL checkpoint worker exists for SQLite only (PostgreSQL manages its own WAL).
  const db = d.db
  if (db) specs.push(
    {
      name: 'checkpoint',
      url: new URL('./checkpoint.worker.ts', import.meta.url),
      init: { ...base, settings: { intervalMs: config.WAL_CHECKPOINT_INTERVAL_MS } },
      onMessage(m) {
        // Policy in workers/checkpoint-loop.ts: TRUNCATE on the main thread, between group commits.
        if (m.type !== 'wal' || m.bytes <= config.WAL_CHECKPOINT_BYTES || truncating) return
        truncating = true
        setImmediate(() => {
          truncating = false
          try {
            truncateWal(db)
          } catch (e) {
            log.warn('truncate checkpoint failed', { code: (e as { code?: string }).code })
          }
        })
      },
    })
  const search = d.search?.client
  const prune = d.search?.prune
  if (db && search && prune) {
    specs.push({
      name: 'search',
      url: new URL('./search.worker.ts', import.meta.url),
      init: { ...base, settings: { intervalMs: 1000, budget: 2000 } },
      onMessage(m) {
        if (search.onMessage(m)) return
        if (m.type !== 'search.progress') return
        try {
          prune(m.changes)
        } catch (e) {
          log.warn('pruning search_changes failed', { code: (e as { code?: string }).code }) // tried again at the next report
        }
      },
      onExit: () => search.failAll(),
    })
  }
  const scheduler = createScheduler(log, specs)
  scheduler.start()
  return scheduler
}

/**
 * TRUNCATE checkpoint on the main thread without ever waiting: a checkpoint that meets a reader
 * (a worker's read, a backup's VACUUM INTO) would otherwise sleep in the busy handler for up to
 * busy_timeout (5 s) with the event loop blocked. With the timeout at 0 it copies what it can and
 * returns; the next WAL report past the limit tries again.
 */
function truncateWal(db: Database) {
  const { timeout } = db.query<{ timeout: number }, []>('PRAGMA busy_timeout').get()!
  db.exec('PRAGMA busy_timeout = 0')
  try {
    return db.query<{ busy: number; log: number; checkpointed: number }, []>('PRAGMA wal_checkpoint(TRUNCATE)').get()
  } finally {
    db.exec(`PRAGMA busy_timeout = ${timeout}`)
  }
}
