// A small Prometheus registry: counters, histograms and callback gauges rendered as text format 0.0.4.
// Labels carry route templates, methods, statuses and kinds; never tenant, user or room ids. The
// counters that the admin console charts by tenant also feed src/metrics-series.ts, which keeps
// those per-tenant points out of this registry.

import { createTenantSeries, type SeriesName, type TenantSeries } from './metrics-series'
import { systemClock } from './clock'

type Labels = Record<string, string>

const NEEDS_ESCAPE = /[\\"\n]/
const escapeValue = (v: string) => (NEEDS_ESCAPE.test(v) ? v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') : v)
/** `k="v",…` in key order; runs on every request, so no per-label array work or regex replace unless needed. */
function labelKey(l: Labels): string {
  const keys = Object.keys(l)
  if (keys.length > 1) keys.sort()
  let out = ''
  for (const k of keys) out += `${out ? ',' : ''}${k}="${escapeValue(String(l[k]))}"`
  return out
}
const fmt = (n: number) => (Number.isFinite(n) ? String(n) : n > 0 ? '+Inf' : '-Inf')

export interface Counter {
  inc(labels?: Labels, by?: number): void
}
/** A counter whose every increment also feeds the tenant's series (the tenant is never a label here). */
export interface TenantCounter {
  /** tenantId null: not a tenant's (an admin or anonymous call); it still counts in the totals. */
  inc(tenantId: string | null, labels?: Labels, by?: number): void
}
export interface Histogram {
  observe(value: number, labels?: Labels): void
}

export function createMetrics() {
  const blocks: (() => string | Promise<string>)[] = []

  function counter(name: string, help: string): Counter {
    const values = new Map<string, number>()
    blocks.push(() => {
      let out = `# HELP ${name} ${help}\n# TYPE ${name} counter\n`
      if (values.size === 0) out += `${name} 0\n`
      for (const [k, v] of values) out += `${name}${k ? `{${k}}` : ''} ${fmt(v)}\n`
      return out
    })
    return {
      inc(labels = {}, by = 1) {
        const k = labelKey(labels)
        values.set(k, (values.get(k) ?? 0) + by)
      },
    }
  }

  function histogram(name: string, help: string, buckets: number[]): Histogram {
    const series = new Map<string, { counts: number[]; sum: number; count: number }>()
    blocks.push(() => {
      let out = `# HELP ${name} ${help}\n# TYPE ${name} histogram\n`
      for (const [k, s] of series) {
        const pre = k ? `${k},` : ''
        let cum = 0
        buckets.forEach((b, i) => {
          cum += s.counts[i]
          out += `${name}_bucket{${pre}le="${fmt(b)}"} ${cum}\n`
        })
        out += `${name}_bucket{${pre}le="+Inf"} ${s.count}\n`
        out += `${name}_sum${k ? `{${k}}` : ''} ${fmt(s.sum)}\n${name}_count${k ? `{${k}}` : ''} ${s.count}\n`
      }
      return out
    })
    return {
      observe(value, labels = {}) {
        const k = labelKey(labels)
        let s = series.get(k)
        if (!s) series.set(k, (s = { counts: buckets.map(() => 0), sum: 0, count: 0 }))
        const i = buckets.findIndex((b) => value <= b)
        if (i >= 0) s.counts[i]++
        s.sum += value
        s.count++
      },
    }
  }

  function gauge(name: string, help: string, read: () => number | [Labels, number][] | Promise<number>) {
    blocks.push(async () => {
      const v = await read()
      let out = `# HELP ${name} ${help}\n# TYPE ${name} gauge\n`
      if (typeof v === 'number') return out + `${name} ${fmt(v)}\n`
      for (const [l, n] of v) out += `${name}{${labelKey(l)}} ${fmt(n)}\n`
      return out
    })
  }

  return { counter, histogram, gauge, render: async () => (await Promise.all(blocks.map((b) => b()))).join('') }
}

export type Metrics = ReturnType<typeof createMetrics>

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]

/** Feeds one counter and the tenant series that `pick` names for an increment's labels. */
function feeding(c: Counter, series: TenantSeries, pick: (labels: Labels) => readonly SeriesName[]): TenantCounter {
  return {
    inc(tenantId, labels = {}, by = 1) {
      c.inc(labels, by)
      for (const name of pick(labels)) series.add(tenantId, name, by)
    },
  }
}

const HTTP_OK = ['http_requests'] as const
const HTTP_ERROR = ['http_requests', 'http_errors'] as const
const HTTP_LIMITED = ['http_requests', 'http_errors', 'rate_limited'] as const
/** Every request counts; 4xx and 5xx are errors; a 429 is also `rate_limited`. */
const httpSeries = (l: Labels) => (l.status === '429' ? HTTP_LIMITED : Number(l.status) >= 400 ? HTTP_ERROR : HTTP_OK)

/** The series of SPEC §4 Operations, created once by the composition root; `series` gets the per-tenant points (SPEC §16). */
export function createAppMetrics(series: TenantSeries = createTenantSeries({ clock: systemClock })) {
  const m = createMetrics()
  return {
    registry: m,
    series,
    httpRequests: feeding(m.counter('chatapi_http_requests_total', 'HTTP requests by method, route template and status'), series, httpSeries),
    httpLatency: m.histogram('chatapi_http_request_duration_seconds', 'HTTP request latency by method and route template', LATENCY_BUCKETS),
    wsOpened: m.counter('chatapi_ws_connections_opened_total', 'WebSocket connections accepted'),
    messagesStored: feeding(m.counter('chatapi_messages_stored_total', 'Messages stored (client_msg_id replays excluded)'), series, () => ['messages']),
    fanout: feeding(m.counter('chatapi_fanout_deliveries_total', 'Frames handed to subscribed sockets by publish'), series, () => ['deliveries']),
    redeliveries: m.counter('chatapi_redeliveries_total', 'Message redeliveries to members whose ack lagged'),
    deliveryAttempts: feeding(
      m.counter('chatapi_delivery_attempts_total', 'Webhook and endpoint attempts by kind and outcome'),
      series,
      (l) => (l.outcome === 'failed' ? ['webhook_failures'] : []),
    ),
    dbWrite: m.histogram('chatapi_db_write_seconds', 'Duration of one group commit (one transaction)', LATENCY_BUCKETS),
    batchSize: m.histogram('chatapi_group_commit_batch_size', 'Messages per group commit', [1, 2, 5, 10, 20, 50, 100, 200, 500]),
    // Shared storage only (src/broker/room-order.ts): how long a message frame waited for a lower seq.
    orderWait: m.histogram(
      'chatapi_room_order_wait_seconds',
      'Extra wait of each live message frame before it went out in seq order (0: it was next in line; shared storage only)',
      [0, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.075, 0.1, 0.25, 0.5, 1, 5],
    ),
    orderReads: m.counter('chatapi_room_order_reads_total', 'Store reads that filled a seq gap, joined a socket to a room stream or caught up after Redis returned'),
  }
}

export type AppMetrics = ReturnType<typeof createAppMetrics>
