// Delivery worker thread (thin shell): own read-only connection, runs the delivery loop.

import { systemClock } from '../clock'
import { openSqlite } from '../db/open'
import { createDeliveryReader } from '../db/sqlite/deliveries'
import { createLogger } from '../log'
import type { AttemptResult } from '../services/delivery'
import { createDeliveryLoop } from './delivery-loop'
import { runWorker } from './run-loop'

const CLEANUP_EVERY_MS = 60_000
const RESULTS_EVERY_MS = 10

runWorker((init, post) => {
  const db = openSqlite(init.dbPath, { readonly: true })
  const reader = createDeliveryReader(db)
  const secret = db.query<{ webhook_secret: string }, [string]>('SELECT webhook_secret FROM tenants WHERE tenant_id = ?')
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
    due: reader.due,
    webhookSecret: (tid) => secret.get(tid)?.webhook_secret ?? null,
    http: fetch,
    clock: systemClock,
    log: createLogger(init.logLevel, { worker: 'delivery' }),
    report,
    settings: {
      circuitFailures: Number(s.circuitFailures),
      circuitOpenMs: Number(s.circuitOpenMs),
      allowPrivate: Boolean(s.allowPrivate),
    },
  })
  let lastCleanup = 0
  return {
    intervalMs: Number(s.pollMs),
    // Sleep until the next retry is due rather than a whole poll interval, so backoff keeps its
    // timing; never less than a results batch (a due row may just be waiting for its result).
    nextDelayMs() {
      const at = reader.nextDueAt()
      return at === null ? Number(s.pollMs) : Math.max(RESULTS_EVERY_MS, at - Date.now())
    },
    async tick() {
      while ((await loop.tick()) > 0) {} // drain everything due, then sleep
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
      db.close()
    },
  }
})
