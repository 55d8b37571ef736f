// One business step of the outbox (PostgreSQL): record a batch of attempt results from the delivery worker.

import type { SQL } from 'bun'
import { deadLetterFor, type AttemptResult, type ResultPolicy } from '../rows'
import { createDeadLetterStore } from './dead-letters'
import { createDeliveryStore } from './deliveries'

/**
 * The same steps as the SQLite store's (db/sqlite/delivery-results.ts), in one transaction: the
 * delivery and dead-letter aggregates are bound to the transaction's client. A failed result locks
 * its row first (FOR UPDATE), so the attempt count the backoff is computed from is the one being
 * incremented even if another instance records a result for the same row (after a lease expired).
 * PostgreSQL has no relaxed commit to choose: every commit is durable.
 */
export function createDeliveryResults(sql: SQL) {
  return async (results: AttemptResult[], p: ResultPolicy): Promise<undefined> => {
    if (!results.length) return
    await sql.begin(async (tx) => {
      const deliveries = createDeliveryStore(tx)
      const deadLetters = createDeadLetterStore(tx)
      const at = new Date(p.now).toISOString()
      for (const r of results) {
        if (r.outcome === 'ok') {
          if (await deliveries.markDelivered(r.delivery_id, at)) await deadLetters.deleteForDelivery(r.delivery_id)
          continue
        }
        if (r.outcome === 'skipped') {
          await deliveries.postpone(r.delivery_id, r.retry_at)
          continue
        }
        await tx`SELECT 1 FROM deliveries WHERE delivery_id = ${r.delivery_id} FOR UPDATE`
        const prev = await deliveries.get(r.delivery_id)
        if (!prev || prev.state !== 'pending') continue
        const row = await deliveries.markFailed(r.delivery_id, r.error, at, p.now + p.retryDelay(prev.attempts + 1))
        if (!row || row.attempts <= p.retryMax) continue
        await deliveries.markDead(row.delivery_id)
        await deadLetters.deleteForDelivery(row.delivery_id)
        await deadLetters.insert(deadLetterFor(row, p.newDeadLetterId(), at))
      }
    })
  }
}
