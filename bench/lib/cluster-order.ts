// cluster-order: what keeping each room in seq order costs on two instances (issue 22). Two
// instances on PostgreSQL + Redis (a fresh database); every room has two senders, one on each
// instance, so commits to one room race across instances; probes and members sit on both. The
// figure is the server's own: `chatapi_room_order_wait_seconds`, the extra wait of every live
// message frame before it went out in seq order (0 when it was next in line), read from both
// instances' /metrics after the load, as p50/p90/p99 (interpolated within the histogram's buckets),
// the share of frames that waited at all, and how many store reads filled a gap. The probes' end-to-
// end latency (send → receive, which includes that wait) is the phases' `latency`.

import { freshPgDatabase } from './pg-database'
import type { WsRoomSpec, WsSpec } from './load-ws'
import type { Phase, Scenario } from './types'
import { createRoom, pool, spawnTarget, type Target } from './target'
import { round } from './util'

/** Cumulative histogram buckets (upper bound in s → count) of one series, summed over instances. */
type Buckets = Map<number, number>

function parseHistogram(text: string, name: string, into: Buckets) {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}_bucket{`)) continue
    const le = /le="([^"]+)"/.exec(line)?.[1]
    const n = Number(line.slice(line.lastIndexOf(' ') + 1))
    if (le === undefined || !Number.isFinite(n)) continue
    const bound = le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le)
    into.set(bound, (into.get(bound) ?? 0) + n)
  }
}

function counterValue(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`))
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0
}

/** The q-quantile (ms) of cumulative buckets, linear within the bucket that holds it. */
export function quantileMs(b: Buckets, q: number): number | null {
  const bounds = [...b.keys()].sort((x, y) => x - y)
  const total = b.get(Number.POSITIVE_INFINITY) ?? 0
  if (!total) return null
  const want = q * total
  let prevBound = 0
  let prevCum = 0
  for (const bound of bounds) {
    const cum = b.get(bound)!
    if (cum >= want) {
      if (!Number.isFinite(bound)) return round(prevBound * 1000, 3) // past the last bound: its floor
      const frac = cum === prevCum ? 1 : (want - prevCum) / (cum - prevCum)
      return round((prevBound + (bound - prevBound) * frac) * 1000, 3)
    }
    prevBound = bound
    prevCum = cum
  }
  return null
}

const num = (flags: Record<string, string>, k: string, def: number) => (flags[k] !== undefined ? Number(flags[k]) : def)

export const clusterOrder: Scenario = {
  name: 'cluster-order',
  about: 'two instances on PostgreSQL + Redis, two senders per room on different instances: extra wait for seq order (server histogram p50/p99), then e2e latency',
  needsSpawn: true,
  ownsServers: true,
  async run(ctx) {
    const pgUrl = ctx.flags['pg-url'] ?? 'postgres://postgres@127.0.0.1:5432/postgres'
    const redisUrl = ctx.flags['redis-url'] ?? 'redis://127.0.0.1:6379'
    const db = await freshPgDatabase(pgUrl)
    const ts: Target[] = []
    try {
      for (let i = 0; i < 2; i++) ts.push(await spawnTarget({ DATABASE_URL: db.url, REDIS_URL: redisUrl }, null))
      ts[1].apiKey = ts[0].apiKey // one tenant through both instances
      const rooms = num(ctx.flags, 'rooms', 50)
      const size = Math.max(4, num(ctx.flags, 'members', 10))
      const users = Array.from({ length: rooms }, (_, r) => Array.from({ length: size }, (_, m) => `${ctx.tag}r${r}m${m}`))
      const ids = await pool(16, users.map((u, r) => () => createRoom(ts[r % 2], u[0], 'group', u.slice(1))))
      // m0 sends on instance 0, m1 on instance 1; probe m2 on 0, probe m3 on 1; the rest alternate.
      const portOf: Record<string, number> = {}
      users.forEach((u) => u.forEach((user, m) => (portOf[user] = ts[m % 2].port)))
      const specs: WsRoomSpec[] = users.flatMap((u, r) => [
        { room_id: ids[r], sender: u[0], probes: [u[2]], raw: u.slice(4).filter((_, i) => i % 2 === 0) },
        { room_id: ids[r], sender: u[1], probes: [u[3]], raw: u.slice(4).filter((_, i) => i % 2 === 1) },
      ])
      const rate = num(ctx.flags, 'pg-rate', 1000)
      const spec: WsSpec = {
        mode: 'rooms',
        host: ts[0].host,
        port: ts[0].port,
        apiKey: ts[0].apiKey,
        serverPid: ts[0].pid,
        port_of: portOf,
        rooms: specs,
        phases: [
          { name: `2x2-senders/at-${rate}`, rate },
          { name: '2x2-senders/max', window: num(ctx.flags, 'window', 4) },
        ],
        warmup_s: ctx.warmup,
        secs: ctx.secs,
        hardcap_s: 60 + 4 * (ctx.warmup + ctx.secs),
      }
      const lines = await ctx.load('ws', spec as unknown as Record<string, unknown>, spec.hardcap_s)
      const phases = lines.filter((l) => l.phase) as Phase[]

      const wait: Buckets = new Map()
      let reads = 0
      for (const t of ts) {
        const text = await (await fetch(`${t.baseUrl}/metrics`)).text()
        parseHistogram(text, 'chatapi_room_order_wait_seconds', wait)
        reads += counterValue(text, 'chatapi_room_order_reads_total')
      }
      const total = wait.get(Number.POSITIVE_INFINITY) ?? 0
      const inLine = wait.get(0) ?? 0
      // The same figures among the frames that did wait (bucket le=0 removed).
      const waited: Buckets = new Map([...wait].filter(([b]) => b > 0).map(([b, n]) => [b, n - inLine]))
      const extra = {
        frames_sequenced: total,
        frames_waited_share: total ? round((total - inLine) / total, 4) : null,
        order_wait_p50_ms: quantileMs(wait, 0.5),
        order_wait_p90_ms: quantileMs(wait, 0.9),
        order_wait_p99_ms: quantileMs(wait, 0.99),
        order_wait_max_bucket_ms: (() => {
          const bounds = [...wait.keys()].sort((a, b) => a - b)
          const top = bounds.find((b) => (wait.get(b) ?? 0) === total)
          return top === undefined || !Number.isFinite(top) ? null : top * 1000
        })(),
        waited_p50_ms: quantileMs(waited, 0.5),
        waited_p99_ms: quantileMs(waited, 0.99),
        gap_fill_reads: reads,
      }
      const max = phases.find((p) => p.phase === '2x2-senders/max')
      return { phases, headline: { throughput: max?.persisted_per_s ?? null, unit: 'persisted msg/s (2 instances, 2 senders per room)', latencyPhase: `2x2-senders/at-${rate}`, extra } }
    } finally {
      for (const t of ts) await t.stop()
      await db.drop()
    }
  },
}
