// `bun run bench curves [--svg] [--quick]`: how throughput and p99 latency move with the work,
// one curve per dimension, each point on a fresh server (bench/lib/curve-point.ts):
//   room-size  members per room, all connected: 2 … 10,000
//   rooms      active rooms (of 2 members), one sender each: 1 … 10,000
//   conns      idle connections held beside a fixed load (100 rooms of 10): 0 … ~18,000
//   db-size    messages already in the database (built in bulk, under /tmp, deleted after): 0 … 5M
// Every point runs the same WS load process: an open-loop phase at a fixed rate (p99 publish →
// receive at a known load), then `max` (closed loop: the ceiling in persisted msg/s). With --svg the
// charts go to docs/perf/curve-<name>.svg and the points to docs/perf/curves.md (curve-report.ts).

import type { Ctx, Phase, Scenario } from './types'
import { medianPoint, runPoint, type PointResult, type PointSpec } from './curve-point'
import { gitCommit, writeCurves } from './curve-report'
import { CORES, nofileLimit } from './util'

export const CURVE_NAMES = ['room-size', 'rooms', 'conns', 'db-size'] as const
export type CurveName = (typeof CURVE_NAMES)[number]

const clamp = (v: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, v))

/** The load beside idle sockets and on a big database: ws-rooms' shape (100 rooms of 10, 8 in flight per sender). */
const standard = (curve: CurveName, x: number, rate: number, more: Partial<PointSpec>): PointSpec => ({
  curve,
  x,
  rooms: 100,
  members: 10,
  probes: 1,
  probeRooms: 100,
  window: 8,
  rate,
  ...more,
})

/**
 * The points of each curve. About 800 sends are in flight in every `max` phase (8 per sender over
 * 100 rooms), capped per sender so a single room is not flooded; the open-loop rate is `rate`
 * msg/s, except on the room-size curve, where it is a fixed delivery load instead (at most 100,000
 * deliveries/s: 2,000 msg/s into rooms of 2 or 10, 100 msg/s into rooms of 1,000, 10 into 10,000).
 */
export function sweep(curve: CurveName, quick: boolean, rate: number, fdLimit: number): PointSpec[] {
  switch (curve) {
    case 'room-size':
      return (quick ? [2, 100, 10_000] : [2, 10, 100, 1000, 10_000]).map((m) => {
        // 100 rooms for small sizes, fewer as rooms grow (≤ ~2,000 members in all), one room at 10,000
        const rooms = clamp(Math.floor(2000 / m), 1, 100)
        return { curve, x: m, rooms, members: m, probes: rooms >= 10 ? 1 : 4, probeRooms: rooms, window: clamp(Math.round(800 / rooms), 1, 32), rate: Math.min(rate, Math.floor(100_000 / m)) }
      })
    case 'rooms':
      // rooms of 2: the sender and one member; the member connects in the first 5,000 rooms only
      // (10,000 rooms would need 20,000 sockets, the whole fd limit of the server)
      return (quick ? [1, 100, 1000] : [1, 10, 100, 1000, 10_000]).map((n) => ({
        curve,
        x: n,
        rooms: n,
        members: 2,
        connectedRooms: Math.min(n, 5000),
        probes: 1,
        probeRooms: Math.min(n, 100),
        window: clamp(Math.round(800 / n), 1, 64),
        rate,
      }))
    case 'conns': {
      // the server needs ~300 fds of its own; the load holds 1,000 sockets beside the idle ones
      const top = Math.min(18_000, Math.floor((fdLimit - 1300 - 200) / 500) * 500)
      const xs = quick ? [0, top / 2, top] : [0, top / 4, top / 2, (3 * top) / 4, top]
      return xs.map((n) => standard(curve, Math.round(n), rate, { idle: Math.round(n) }))
    }
    case 'db-size':
      return (quick ? [0, 100_000, 1_000_000] : [0, 100_000, 1_000_000, 5_000_000]).map((n) => standard(curve, n, rate, { dbMessages: n }))
  }
}

export const curves: Scenario = {
  name: 'curves',
  about: 'cost curves: throughput and p99 against room size, rooms, idle connections and database size (--svg writes docs/perf/; --quick: fewer points)',
  ownsServers: true,
  separate: true,
  async run(ctx: Ctx) {
    const quick = ctx.flags.quick === 'true'
    const rate = Number(ctx.flags['curves-rate'] ?? 2000)
    const which = (ctx.flags.curves ?? CURVE_NAMES.join(',')).split(',').filter(Boolean)
    const bad = which.filter((w) => !(CURVE_NAMES as readonly string[]).includes(w))
    if (bad.length) throw new Error(`--curves: unknown curve ${bad.join(', ')}; curves: ${CURVE_NAMES.join(', ')}`)
    const fd = nofileLimit()
    // each point waits for a quiet box too, up to 10 s (the driver's --gate, default 20, applies once before)
    const gateS = Math.min(10, Number(ctx.flags.gate ?? 20))
    const rounds = Number(ctx.flags['curve-rounds'] ?? 1)
    // --server-env=K=V,… reaches the servers this scenario starts itself, as it does the driver's
    const serverEnv = Object.fromEntries((ctx.flags['server-env'] ?? '').split(',').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]))
    const started = new Date()
    const commit = gitCommit() // the code measured is the code at the start
    const points: PointResult[] = []
    for (const c of which as CurveName[]) {
      // Rounds go up the sweep, then down, and so on, so a box getting busier or quieter during
      // the run tilts neither end of the curve; each point is the median of its rounds.
      const specs = sweep(c, quick, rate, fd).map((s) => ({ ...s, env: serverEnv }))
      const got = new Map<number, PointResult[]>()
      for (let round = 0; round < rounds; round++)
        for (const spec of round % 2 ? [...specs].reverse() : specs) {
          const r = await runPoint(ctx, spec, gateS)
          got.set(spec.x, [...(got.get(spec.x) ?? []), r])
          console.error(
            `curves ${r.curve} x=${r.x}${rounds > 1 ? ` round ${round + 1}/${rounds}` : ''}: max ${r.max_msg_s} msg/s (${r.max_deliveries_s} deliveries/s), at ${r.rate}/s p99 ${r.rate_p99_ms} ms; ${r.connections} sockets, others ${r.others_cpu} cores, setup ${r.setup_s} s${r.startup_ms !== undefined ? `, start-up ${r.startup_ms} ms` : ''}`,
          )
        }
      for (const spec of specs) points.push(medianPoint(got.get(spec.x)!))
    }
    const meta = {
      // where the files went and --json change nothing measured
      command: `bun run bench curves${Object.entries(ctx.flags).filter(([k]) => k !== 'svg-dir' && k !== 'json').map(([k, v]) => ` --${k}${v === 'true' ? '' : `=${v}`}`).join('')}`,
      started: started.toISOString(),
      finished: new Date().toISOString(),
      secs: ctx.secs,
      warmup: ctx.warmup,
      rate,
      fd_limit: fd,
      cores: CORES,
      rounds,
      commit,
      quick,
    }
    const written = ctx.flags.svg === 'true' ? writeCurves(ctx.flags['svg-dir'] ?? 'docs/perf', points, meta) : []
    if (written.length) console.error(`curves: wrote ${written.join(', ')}`)
    const phases: Phase[] = points.map((p) => ({
      ...p,
      phase: `${p.curve}@${p.x}`,
      persisted_per_s: p.max_msg_s,
      latency: p.phases.find((x) => x.phase !== 'max')?.latency,
      server_cpu_cores: p.server_cpu_rate,
      other_cpu_cores: p.others_cpu,
    }))
    return { phases, headline: { throughput: points.length, unit: 'curve points', latencyPhase: 'none', extra: { ...meta, written } } }
  },
}
