// Instrumentation decorators applied by the composition root, so business code stays free of metrics.

import type { Broker } from './broker/types'
import { tenantOfTopic, topics } from './broker/topics'
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
    // A group commit may hold several tenants' messages: each counts for its own tenant.
    for (const r of results) if (r.ok && r.created) m.messagesStored.inc(r.row.tenant_id)
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
      if (n > 0) m.fanout.inc(tenantOfTopic(topic), { type: frame.type }, n)
    },
    publishToUsers(tenantId: string, userIds: readonly string[], frame: ServerFrame) {
      broker.publishToUsers(tenantId, userIds, frame)
      let n = 0
      for (const u of userIds) n += subscribers(topics.user(tenantId, u))
      if (n > 0) m.fanout.inc(tenantId, { type: frame.type }, n)
    },
  }
}

/** The sockets a connection registry holds, per tenant (the local broker and the Redis one wrap the same). */
export interface ConnectionRegistry<S> {
  register(tenantId: string, userId: string, ws: S): boolean
  unregister(tenantId: string, userId: string, ws: S): boolean
  localCounts(tenantId: string, userId: string): { user: number; tenant: number }
}

/**
 * Tells the tenant series each tenant's live socket count on this instance after every register and
 * unregister, read back from the registry itself so the chart cannot drift from it. Patches the
 * registry in place (like instrumentStore): the gateway and the health check hold the same object.
 */
export function instrumentConnections<S>(registry: ConnectionRegistry<S>, m: AppMetrics): void {
  const { register, unregister } = registry
  const report = (tenantId: string, userId: string) => m.series.connections(tenantId, registry.localCounts(tenantId, userId).tenant)
  registry.register = (tenantId, userId, ws) => {
    const first = register.call(registry, tenantId, userId, ws)
    report(tenantId, userId)
    return first
  }
  registry.unregister = (tenantId, userId, ws) => {
    const last = unregister.call(registry, tenantId, userId, ws)
    report(tenantId, userId)
    return last
  }
}
