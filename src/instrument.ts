// Instrumentation decorators applied by the composition root, so business code stays free of metrics.

import type { Broker, Frame } from './broker/types'
import type { Store } from './db/types'
import type { AppMetrics } from './metrics'
import type { AppendResult } from './db/rows'

/**
 * The store seen by the services: the same store, with every group commit timed and the messages it
 * stored counted. A new object; the store itself is not changed (the workers and the CLI use it bare).
 */
export function instrumentStore(store: Store, m: AppMetrics): Store {
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
  const appendBatch: Store['messages']['appendBatch'] = (items) => {
    const t0 = performance.now()
    const results = append(items)
    return results instanceof Promise ? results.then((r) => record(t0, items.length, r)) : record(t0, items.length, results)
  }
  return { ...store, messages: { ...store.messages, appendBatch } }
}

/** Counts fan-out deliveries: one per subscribed socket of the topic at publish time. */
export function instrumentBroker<B extends Broker>(broker: B, subscribers: (topic: string) => number, m: AppMetrics): B {
  return {
    ...broker,
    publish(topic: string, frame: Frame) {
      broker.publish(topic, frame)
      const n = subscribers(topic)
      if (n > 0) m.fanout.inc({ type: frame.type }, n)
    },
  }
}
