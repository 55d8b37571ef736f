// One business step of the outbox: record a batch of attempt results from the delivery worker.

import { deadLetterFor, type AttemptResult, type ResultPolicy } from '../rows'
import type { createDeadLetterStore } from './dead-letters'
import type { createDeliveryStore } from './deliveries'

/**
 * Applies the results in one transaction that does not wait for fsync: the worker batches them, and
 * losing the newest to a power cut only means those calls are made again (at least once, same
 * webhook-id), so the event loop never waits on a disk flush per webhook. A failure schedules the
 * next try; after 1 + retryMax failed attempts the row is dead and a dead letter names it; success
 * removes any dead letter of the row (a retried dead letter leaves the list once it succeeds).
 */
export function createDeliveryResults(deliveries: ReturnType<typeof createDeliveryStore>, deadLetters: ReturnType<typeof createDeadLetterStore>) {
  function applyOne(r: AttemptResult, p: ResultPolicy) {
    const at = new Date(p.now).toISOString()
    if (r.outcome === 'ok') {
      if (deliveries.markDelivered(r.delivery_id, at)) deadLetters.deleteForDelivery(r.delivery_id)
      return
    }
    if (r.outcome === 'skipped') return deliveries.postpone(r.delivery_id, r.retry_at)
    const prev = deliveries.get(r.delivery_id)
    if (!prev || prev.state !== 'pending') return
    const row = deliveries.markFailed(r.delivery_id, r.error, at, p.now + p.retryDelay(prev.attempts + 1))
    if (!row || row.attempts <= p.retryMax) return
    deliveries.markDead(row.delivery_id)
    deadLetters.deleteForDelivery(row.delivery_id)
    deadLetters.insert(deadLetterFor(row, p.newDeadLetterId(), at))
  }
  return (results: AttemptResult[], p: ResultPolicy): void =>
    deliveries.atomically(() => {
      for (const r of results) applyOne(r, p)
    }, { relaxed: true })
}
