// The main-thread side of HTTP delivery: applies the delivery worker's attempt results (the only
// writer of the outbox), turns exhausted deliveries into dead letters, and runs the admin dead-letter API.

import type { Clock } from '../clock'
import type { Config } from '../config'
import type { Store } from '../db/types'
import { invalid, notFound } from '../errors'
import { newId } from '../ids'
import type { DeadLetter } from '../schemas/notification'
import type { DeadLetterRow } from '../db/sqlite/dead-letters'
import { parseLimit } from './actor'
import { backoffMs } from './backoff'
import type { Redelivery } from './redelivery'

export type AttemptResult =
  | { delivery_id: string; outcome: 'ok' }
  | { delivery_id: string; outcome: 'failed'; error: string }
  /** Skipped while the endpoint's circuit is open: does not count as an attempt (SPEC §6). */
  | { delivery_id: string; outcome: 'skipped'; retry_at: number }

const KINDS = ['message', 'notification', 'webhook']
const DELIVERED_KEEP_MS = 3_600_000

const toDeadLetter = (r: DeadLetterRow): DeadLetter => ({
  id: r.id,
  kind: r.kind,
  tenant_id: r.tenant_id,
  target: r.target,
  ref_id: r.ref_id,
  ...(r.kind === 'message' && { from_seq: r.from_seq ?? 0, to_seq: r.to_seq ?? 0 }),
  attempts: r.attempts,
  last_error: r.last_error,
  created_at: r.created_at,
  last_attempt_at: r.last_attempt_at,
})

export function createDeliveryService(deps: { store: Store; clock: Clock; config: Config; redelivery: Redelivery; wake: () => void }) {
  const { store, clock, config } = deps

  /**
   * Records one attempt. A failure schedules the next try with backoff; after the first attempt
   * plus RETRY_MAX_ATTEMPTS retries the delivery becomes a dead letter. Success removes any dead
   * letter of this delivery (a retried dead letter leaves the list once it succeeds).
   */
  function applyResult(r: AttemptResult): void {
    const now = clock.now()
    const at = new Date(now).toISOString()
    if (r.outcome === 'ok') {
      if (store.deliveries.markDelivered(r.delivery_id, at)) store.deadLetters.deleteForDelivery(r.delivery_id)
      return
    }
    if (r.outcome === 'skipped') return store.deliveries.postpone(r.delivery_id, r.retry_at)
    const prev = store.deliveries.get(r.delivery_id)
    if (!prev || prev.state !== 'pending') return
    const row = store.deliveries.markFailed(r.delivery_id, r.error, at, now + backoffMs(config.RETRY_BASE_MS, prev.attempts + 1))
    if (!row || row.attempts <= config.RETRY_MAX_ATTEMPTS) return
    store.deliveries.markDead(row.delivery_id)
    store.deadLetters.deleteForDelivery(row.delivery_id)
    store.deadLetters.insert({
      id: newId('dl'),
      kind: row.kind,
      tenant_id: row.tenant_id,
      target: row.url,
      ref_id: row.ref_id,
      from_seq: null,
      to_seq: null,
      delivery_id: row.delivery_id,
      attempts: row.attempts,
      last_error: row.last_error,
      created_at: at,
      last_attempt_at: at,
    })
  }

  return {
    applyResult,
    /**
     * Applies a batch of attempt results (as applyResult) in one transaction that does not wait for
     * fsync: the delivery worker batches them, and losing the newest ones to a power cut only means
     * those calls are made again (at least once), so the event loop never waits on a disk flush per
     * webhook (SPEC §6: a worker's work must not stall the main thread).
     */
    applyResults(results: AttemptResult[]) {
      store.deliveries.atomically(
        () => {
          for (const r of results) applyResult(r)
        },
        { relaxed: true },
      )
    },

    /** Cleanup requested by the delivery worker: old delivered rows and expired notifications. */
    cleanup() {
      const now = clock.now()
      return {
        deliveries: store.deliveries.cleanupDelivered(new Date(now - DELIVERED_KEEP_MS).toISOString()),
        notifications: store.notifications.deleteExpired(now),
      }
    },

    listDeadLetters(q: { tenant_id?: string; kind?: string; limit?: string }) {
      if (q.kind !== undefined && !KINDS.includes(q.kind)) throw invalid('kind', 'kind must be message, notification or webhook')
      const rows = store.deadLetters.list({ tenant_id: q.tenant_id, kind: q.kind, limit: parseLimit(q.limit) })
      return { dead_letters: rows.map(toDeadLetter) }
    },

    /** Puts a dead letter back on its queue with attempts reset (202); it stays listed until success. */
    retryDeadLetter(id: string) {
      const dl = store.deadLetters.get(id)
      if (!dl) throw notFound('dead letter')
      if (dl.kind === 'message') return deps.redelivery.retry(dl.tenant_id, dl.target, dl.ref_id)
      if (dl.delivery_id && store.deliveries.requeue(dl.delivery_id, clock.now())) deps.wake()
    },

    /** Deletes a dead letter and the outbox row it kept for a retry (its body would otherwise stay forever). */
    deleteDeadLetter(id: string) {
      const dl = store.deadLetters.get(id)
      if (!dl || !store.deadLetters.delete(id)) throw notFound('dead letter')
      if (dl.delivery_id) store.deliveries.deleteDead(dl.delivery_id)
    },

    queueDepth: () => store.deliveries.pendingCount(),
  }
}

export type DeliveryService = ReturnType<typeof createDeliveryService>
