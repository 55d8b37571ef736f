// Instrumentation decorators applied by the composition root, so business code stays free of metrics.

import type { ServerWebSocket } from 'bun'
import type { Broker } from './broker/types'
import { isUserTopic, tenantOfTopic, topics } from './broker/topics'
import type { ServerFrame } from './schemas/server-frames'
import type { Store } from './db/types'
import type { AppMetrics } from './metrics'
import type { AppendResult } from './db/rows'
import type { Subscriber } from './services/events'

/**
 * The store seen by the services: the same store, with every group commit timed and sized. A new
 * object; the store itself is not changed (the workers and the CLI use it bare).
 */
export function instrumentStore(store: Store, m: AppMetrics): Store {
  const append = store.messages.appendBatch
  const record = (t0: number, n: number, results: AppendResult[]) => {
    m.dbWrite.observe((performance.now() - t0) / 1000)
    m.batchSize.observe(n)
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

/** What instrumentBroker needs of the broker beyond publishing: its local socket registry. */
interface LocalSockets<S> {
  subscriberCount(topic: string): number
  register(tenantId: string, userId: string, ws: S): boolean
  unregister(tenantId: string, userId: string, ws: S): boolean
  localCounts(tenantId: string, userId: string): { user: number; tenant: number }
}

/**
 * The broker every layer uses, counting fan-out deliveries: one per socket of this instance
 * subscribed to the topic at publish time (the skipped sender of publishFrom not counted). It also
 * tells the admin console's series each tenant's live socket count after every register and
 * unregister, read back from the registry itself so the chart cannot drift from it.
 */
export function instrumentBroker<S, B extends Broker & LocalSockets<S>>(broker: B, m: AppMetrics): B {
  const count = (topic: string, frame: ServerFrame, skipped: number) => {
    const n = broker.subscriberCount(topic) - skipped
    if (n > 0) m.fanout.inc(tenantOfTopic(topic), { type: frame.type }, n)
  }
  const connections = (tenantId: string, userId: string) => m.series.connections(tenantId, broker.localCounts(tenantId, userId).tenant)
  return {
    ...broker,
    register(tenantId: string, userId: string, ws: S) {
      const first = broker.register(tenantId, userId, ws)
      connections(tenantId, userId)
      return first
    },
    unregister(tenantId: string, userId: string, ws: S) {
      const last = broker.unregister(tenantId, userId, ws)
      connections(tenantId, userId)
      return last
    },
    publish(topic: string, frame: ServerFrame) {
      broker.publish(topic, frame)
      count(topic, frame, 0)
    },
    publishFrom(from: ServerWebSocket<unknown>, topic: string, frame: ServerFrame) {
      broker.publishFrom(from, topic, frame)
      // A user topic's receivers always include the sender's own socket; a room topic's, once it is subscribed.
      count(topic, frame, isUserTopic(topic) || from.isSubscribed(topic) ? 1 : 0)
    },
    publishToUsers(tenantId: string, userIds: readonly string[], frame: ServerFrame) {
      broker.publishToUsers(tenantId, userIds, frame)
      let n = 0
      for (const u of userIds) n += broker.subscriberCount(topics.user(tenantId, u))
      if (n > 0) m.fanout.inc(tenantId, { type: frame.type }, n)
    },
  }
}

/** Counts from the domain events: messages stored (client_msg_id replays emit none), by tenant for the console's series. */
export const eventMetrics = (m: AppMetrics): Subscriber => ({
  name: 'metrics',
  handlers: { 'message.created': (e) => m.messagesStored.inc(e.tenantId) },
})
