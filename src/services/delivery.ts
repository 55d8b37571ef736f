// The main-thread side of HTTP delivery: applies the delivery worker's attempt results (the only
// writer of the outbox), turns exhausted deliveries into dead letters, and runs the admin dead-letter API.

import type { Clock } from '../clock'
import type { Config } from '../config'
import type { Store } from '../db/types'
import { invalid, notFound } from '../errors'
import { newId } from '../ids'
import type { DeadLetter } from '../schemas/notification'
import type { AttemptResult, DeadLetterRow } from '../db/rows'
import { parseLimit } from './input'
import { backoffMs } from './backoff'
import type { Redelivery } from './redelivery'
import type { AuditLog } from './audit'

export type { AttemptResult }

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

/** `audit` records the admin's retries and deletions of dead letters (SPEC §14). */
export function createDeliveryService(deps: { store: Store; clock: Clock; config: Config; redelivery: Redelivery; wake: () => void; audit: Pick<AuditLog, 'record'> }) {
  const { store, clock, config } = deps
  const audited = (action: string, dl: DeadLetterRow) =>
    deps.audit.record({ tenant_id: dl.tenant_id, actor: 'admin', action, target: dl.id, data: { kind: dl.kind, ref_id: dl.ref_id } })

  return {
    /** Records a batch of the delivery worker's attempt results (one atomic store step). */
    applyResults(results: AttemptResult[]) {
      return store.applyDeliveryResults(results, {
        now: clock.now(),
        retryMax: config.RETRY_MAX_ATTEMPTS,
        retryDelay: (attempt) => backoffMs(config.RETRY_BASE_MS, attempt),
        newDeadLetterId: () => newId('dl'),
      })
    },

    /** Cleanup requested by the delivery worker: old delivered rows and expired notifications. */
    async cleanup() {
      const now = clock.now()
      return {
        deliveries: await store.deliveries.cleanupDelivered(new Date(now - DELIVERED_KEEP_MS).toISOString()),
        notifications: await store.notifications.deleteExpired(now),
      }
    },

    async listDeadLetters(q: { tenant_id?: string; kind?: string; limit?: string }) {
      if (q.kind !== undefined && !KINDS.includes(q.kind)) throw invalid('kind', 'kind must be message, notification or webhook')
      const rows = await store.deadLetters.list({ tenant_id: q.tenant_id, kind: q.kind, limit: parseLimit(q.limit) })
      return { dead_letters: rows.map(toDeadLetter) }
    },

    /** Puts a dead letter back on its queue with attempts reset (202); it stays listed until success. */
    async retryDeadLetter(id: string) {
      const dl = await store.deadLetters.get(id)
      if (!dl) throw notFound('dead letter')
      if (dl.kind === 'message') await deps.redelivery.retry(dl.tenant_id, dl.target, dl.ref_id)
      else if (dl.delivery_id && (await store.deliveries.requeue(dl.delivery_id, clock.now()))) deps.wake()
      await audited('dead_letter.retry', dl)
    },

    /** Deletes a dead letter and the outbox row it kept for a retry (its body would otherwise stay forever). */
    async deleteDeadLetter(id: string) {
      const dl = await store.deadLetters.get(id)
      if (!dl || !(await store.deadLetters.delete(id))) throw notFound('dead letter')
      if (dl.delivery_id) await store.deliveries.deleteDead(dl.delivery_id)
      await audited('dead_letter.delete', dl)
    },

    queueDepth: () => store.deliveries.pendingCount(),
  }
}

export type DeliveryService = ReturnType<typeof createDeliveryService>
