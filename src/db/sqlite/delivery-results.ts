// One business step of the outbox: record a batch of attempt results from the delivery worker.

import type { createDeadLetterStore, DeadLetterRow } from './dead-letters'
import type { createDeliveryStore, DeliveryRow } from './deliveries'

export type AttemptResult =
  | { delivery_id: string; outcome: 'ok' }
  /** tenant_id: the row's tenant, for the admin console's per-tenant failure series (metrics only). */
  | { delivery_id: string; outcome: 'failed'; error: string; tenant_id?: string }
  /** Skipped while the endpoint's circuit is open: does not count as an attempt (SPEC §6). */
  | { delivery_id: string; outcome: 'skipped'; retry_at: number }

export interface ResultPolicy {
  now: number
  /** Retries after the first attempt before a dead letter. */
  retryMax: number
  /** Delay before attempt number `attempt` + 1. */
  retryDelay(attempt: number): number
  newDeadLetterId(): string
}

/**
 * Applies the results in one transaction that does not wait for fsync: the worker batches them, and
 * losing the newest to a power cut only means those calls are made again (at least once, same
 * webhook-id), so the event loop never waits on a disk flush per webhook. A failure schedules the
 * next try; after 1 + retryMax failed attempts the row is dead and a dead letter names it; success
 * removes any dead letter of the row (a retried dead letter leaves the list once it succeeds).
 */
/** The dead letter of an outbox row that exhausted its attempts (SPEC §10: target = URL, ref_id). */
export function deadLetterFor(row: DeliveryRow, id: string, at: string): DeadLetterRow {
  return {
    id,
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
  }
}

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
