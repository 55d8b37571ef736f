// Instrumentation decorators applied by the composition root, so business code stays free of metrics.

import type { Broker, Frame } from './broker/types'
import type { Store } from './db/types'
import type { AppMetrics } from './metrics'

/** Times every group commit and counts the messages it stored. */
export function instrumentStore(store: Store, m: AppMetrics): void {
  const append = store.messages.appendBatch
  store.messages.appendBatch = (items) => {
    const t0 = performance.now()
    const results = append(items)
    m.dbWrite.observe((performance.now() - t0) / 1000)
    m.batchSize.observe(items.length)
    let created = 0
    for (const r of results) if (r.ok && r.created) created++
    if (created) m.messagesStored.inc({}, created)
    return results
  }
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
