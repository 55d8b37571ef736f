// The outbox writer: HTTP deliveries (webhooks, endpoint calls) enqueued from anywhere on the main
// thread are group-committed once per event-loop turn, then the delivery worker is woken.

import type { Clock } from '../clock'
import type { Store } from '../db/types'
import type { NewDelivery } from '../db/rows'
import { newId } from '../ids'
import type { Logger } from '../log'
import { createGroupCommit } from './group-commit'

/** What a caller enqueues; ids, timing and state are the outbox's own. */
export type OutboxItem = Pick<NewDelivery, 'tenant_id' | 'kind' | 'url' | 'event_id' | 'ref_id' | 'body'>

export function createOutbox(deps: {
  store: Store
  clock: Clock
  log: Logger
  /** Nudges the delivery worker once new rows are committed (a no-op while no worker runs). */
  wake: () => void
}) {
  const { wake } = deps
  const commits = createGroupCommit<NewDelivery, true>((rows) => {
    const done = () => {
      queueMicrotask(() => wake())
      return rows.map(() => true as const)
    }
    const r = deps.store.deliveries.enqueue(rows) // SQLite: done now; PostgreSQL: a promise
    return r instanceof Promise ? r.then(done) : done()
  })
  return {
    /** Enqueues one delivery; resolves after it is committed. Failures are logged, never thrown at the caller. */
    enqueue(item: OutboxItem): Promise<void> {
      const now = deps.clock.now()
      return commits
        .submit({ ...item, delivery_id: newId('dlv'), next_attempt_at: now, created_at: new Date(now).toISOString() })
        .then(
          () => undefined,
          (error) => deps.log.error('outbox enqueue failed', { kind: item.kind, error }),
        )
    },
  }
}

export type Outbox = ReturnType<typeof createOutbox>
