// Instrumentation decorators applied by the composition root, so business code stays free of metrics.

import type { Broker } from './broker/types'
import { topics } from './broker/topics'
import type { ServerFrame } from './schemas/server-frames'
import type { Store } from './db/types'
import type { AppMetrics } from './metrics'
import type { AppendResult } from './db/sqlite/messages'

/** Times every group commit and counts the messages it stored. */
export function instrumentStore(store: Store, m: AppMetrics): void {
  const append = store.messages.appendBatch
  const record = (t0: number, n: number, results: AppendResult[]) => {
    m.dbWrite.observe((performance.now() - t0) / 1000)
    m.batchSize.observe(n)
    let created = 0
    for (const r of results) if (r.ok && r.created) created++
    if (created) m.messagesStored.inc({}, created)
    return results
  }
  // Keeps the SQLite path synchronous (no promise when the store answers at once).
  store.messages.appendBatch = (items) => {
    const t0 = performance.now()
    const results = append(items)
    return results instanceof Promise ? results.then((r) => record(t0, items.length, r)) : record(t0, items.length, results)
  }
}

/** Counts fan-out deliveries: one per subscribed socket of the topic at publish time. */
export function instrumentBroker<B extends Broker>(broker: B, subscribers: (topic: string) => number, m: AppMetrics): B {
  return {
    ...broker,
    publish(topic: string, frame: ServerFrame) {
      broker.publish(topic, frame)
      const n = subscribers(topic)
      if (n > 0) m.fanout.inc({ type: frame.type }, n)
    },
    publishToUsers(tenantId: string, userIds: readonly string[], frame: ServerFrame) {
      broker.publishToUsers(tenantId, userIds, frame)
      let n = 0
      for (const u of userIds) n += subscribers(topics.user(tenantId, u))
      if (n > 0) m.fanout.inc({ type: frame.type }, n)
    },
  }
}
