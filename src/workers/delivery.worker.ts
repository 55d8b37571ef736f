// Delivery worker thread (thin shell): own read-only connection, runs the delivery loop.

import { systemClock } from '../clock'
import { openSqlite } from '../db/open'
import { SQL } from 'bun'
import { createDeliveryReader } from '../db/sqlite/deliveries'
import type { DeliveryRow } from '../db/rows'
import { createPgDeliveryReader } from '../db/postgres/deliveries'
import { createLogger } from '../log'
import type { AttemptResult } from '../services/delivery'
import { createOutboundFetch } from '../services/outbound-fetch'
import { createDeliveryLoop } from './delivery-loop'
import { runWorker } from './run-loop'

const CLEANUP_EVERY_MS = 60_000
const RESULTS_EVERY_MS = 10

runWorker((init, post) => {
  const source = init.postgresUrl ? openPostgresSource(init.postgresUrl) : openSqliteSource(init.dbPath)
  const s = init.settings
  // Results go back in batches (one message, one main-thread transaction, per RESULTS_EVERY_MS).
  let results: AttemptResult[] = []
  let flushTimer: ReturnType<typeof setTimeout> | null = null
  const flush = () => {
    flushTimer = null
    if (results.length) post({ type: 'results', results })
    results = []
  }
  const report = (r: AttemptResult) => {
    results.push(r)
    flushTimer ??= setTimeout(flush, RESULTS_EVERY_MS)
  }
  const loop = createDeliveryLoop({
    due: source.due,
    webhookSecret: source.webhookSecret,
    http: createOutboundFetch({ allowPrivate: Boolean(s.allowPrivate) }),
    clock: systemClock,
    log: createLogger(init.logLevel, { worker: 'delivery' }),
    report,
    settings: {
      circuitFailures: Number(s.circuitFailures),
      circuitOpenMs: Number(s.circuitOpenMs),
    },
  })
  let lastCleanup = 0
  return {
    intervalMs: Number(s.pollMs),
    // Sleep until the next retry is due rather than a whole poll interval, so backoff keeps its
    // timing; never less than a results batch (a due row may just be waiting for its result).
    nextDelayMs() {
      const at = source.nextDueAt()
      return at === null ? Number(s.pollMs) : Math.max(RESULTS_EVERY_MS, at - Date.now())
    },
    async tick() {
      await source.prefetch()
      while ((await loop.tick()) > 0) await source.prefetch() // drain everything due, then sleep
      if (Date.now() - lastCleanup > CLEANUP_EVERY_MS) {
        lastCleanup = Date.now()
        post({ type: 'cleanup' })
      }
    },
    wake: () => loop.wake(),
    stop: () => loop.stop(),
    close() {
      if (flushTimer) clearTimeout(flushTimer)
      flush()
      source.close()
    },
  }
})

/** SQLite: the worker's own read-only connection answers at once. */
function openSqliteSource(path: string) {
  const db = openSqlite(path, { readonly: true })
  const reader = createDeliveryReader(db)
  const secret = db.query<{ webhook_secret: string }, [string]>('SELECT webhook_secret FROM tenants WHERE tenant_id = ?')
  return {
    due: reader.due,
    nextDueAt: reader.nextDueAt,
    webhookSecret: (tid: string) => secret.get(tid)?.webhook_secret ?? null,
    prefetch: async () => {},
    close: () => db.close(),
  }
}

/**
 * PostgreSQL (shared by N instances): rows are LEASED to this worker as they are read (SKIP LOCKED),
 * so each delivery is attempted by one instance at a time and comes back if that instance dies.
 * The loop reads synchronously, so leased rows and their tenants' current secrets are fetched ahead
 * into a buffer before each pass.
 */
function openPostgresSource(url: string) {
  const sql = new SQL(url, { max: 2 })
  const reader = createPgDeliveryReader(sql)
  let buffer: DeliveryRow[] = []
  const secrets = new Map<string, string>()
  let nextDue: number | null = null
  return {
    due(now: number, limit: number, skipUrls: string[]) {
      const skip = new Set(skipUrls)
      const out = buffer.filter((r) => r.next_attempt_at <= now && !skip.has(r.url)).slice(0, limit)
      const taken = new Set(out)
      buffer = buffer.filter((r) => !taken.has(r))
      return out
    },
    nextDueAt: () => nextDue,
    webhookSecret: (tid: string) => secrets.get(tid) ?? null,
    async prefetch() {
      // Endpoints with a backlog already buffered are left out of the read, so one slow endpoint's
      // rows cannot fill the buffer and starve every other tenant's webhooks.
      const perUrl = new Map<string, number>()
      for (const r of buffer) perUrl.set(r.url, (perUrl.get(r.url) ?? 0) + 1)
      const backlog = [...perUrl].filter(([, n]) => n >= 8).map(([url]) => url)
      if (buffer.length < 100) buffer.push(...(await reader.due(Date.now(), 100 - buffer.length, backlog)))
      // The secrets are read afresh for every pass (one query), never kept from an earlier one: a
      // rotation on any instance applies from the next pass, as the SQLite reader does per attempt.
      // No attempt is in flight here, and the pass only takes rows of tenants in the buffer now.
      secrets.clear()
      const tenants = [...new Set(buffer.map((r) => r.tenant_id))]
      if (tenants.length) {
        const rows = (await sql`SELECT tenant_id, webhook_secret FROM tenants WHERE tenant_id IN ${sql(tenants)}`) as { tenant_id: string; webhook_secret: string }[]
        for (const r of rows) secrets.set(r.tenant_id, r.webhook_secret)
      }
      nextDue = (await reader.nextDueAt()) ?? null
    },
    close: () => void sql.close(),
  }
}
